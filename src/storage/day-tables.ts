/**
 * Day tables: where a shard's workflows keep their rows (docs/scale.md, "Where a shard's rows live"). Cloudflare
 * bills a deleted row as a row written, and `DROP TABLE` as none. So a workflow new to its shard is
 * written to the table of the UTC day it arrived, `state_d<N>`: the schema of `state` and a run's list
 * entry's columns, which its run's row carries (src/visibility/list-entry.ts); once that day has ended and
 * the namespace's retention has passed, the shard's retention sweep moves out what must outlive it and
 * drops the table (retention-sweep.ts): a short workflow's deletion writes no row. `state` and
 * `visibility` keep the workflows written before day tables, and those moved out of one.
 *
 * A workflow's rows are in exactly one table; its `TableBinding` names it, shared by every StateTable
 * and the list entries' writer of the workflow, so that a move rebinds all of them at once.
 */
import { VERSION_KEY, prefixEnd } from './state-table.js';
import { DAY_LIST_COLUMNS_DDL } from '../visibility/list-entry.js';

export const DAY_MS = 86_400_000;

/** The schema version from which a database may have day tables (schema.ts SCHEMA_VERSION). */
const DAY_TABLES_VERSION = 4;

/** The UTC day number of a moment (wall-clock ms). */
export const dayOf = (ms: number) => Math.floor(ms / DAY_MS);
/** When a day ends (wall-clock ms): its tables are dropped once this and the retention have passed. */
export const dayEnd = (day: number) => (day + 1) * DAY_MS;

/** The state table of a day (null: `state`). */
export const stateTableOf = (day: number | null) => (day === null ? 'state' : `state_d${day}`);
/** The table of a day's list entries, its state table (null: `visibility`). */
export const listTableOf = (day: number | null) => (day === null ? 'visibility' : stateTableOf(day));

/** A day's state table: `state`'s columns, and a run's list entry's (NULL on every other row). */
export const dayTableDdl = (day: number) => `CREATE TABLE IF NOT EXISTS ${stateTableOf(day)} (k TEXT PRIMARY KEY, v TEXT NOT NULL, n INTEGER,
  ${DAY_LIST_COLUMNS_DDL}) WITHOUT ROWID`;

/** A `no such table` error of SQLite for `visibility`. */
export const isMissingVisibilityTable = (err: unknown) => /no such table: visibility/i.test(String((err as Error)?.message ?? err));

/**
 * Which tables a workflow's rows are in: `day` null for `state`/`visibility`, else its day's table.
 * Mutable: the sweep's move sets it to null in the turn it moves the rows (WorkflowObject.dayDropped).
 */
export class TableBinding {
  /**
   * @param day null for `state`, else the day whose tables hold the rows.
   * @param foundEmpty no table held a row of the workflow when it was located (ShardDays.locate).
   */
  constructor(
    public day: number | null = null,
    private foundEmpty = false,
  ) {}

  /**
   * Whether no table held a row of the workflow when it was located, once: its store, made in the same
   * turn, then knows it new without asking again (WorkflowStore's `scopeIsEmpty`); any later reader asks.
   */
  takeFoundEmpty(): boolean {
    if (!this.foundEmpty) return false;
    this.foundEmpty = false;
    return true;
  }
  get state(): string {
    return stateTableOf(this.day);
  }
  /** The table of its runs' list entries: `visibility`, or its day table's run rows. */
  get listTable(): string {
    return listTableOf(this.day);
  }
  /** Its runs' list entries ride in their rows (a day table), not in `visibility`. */
  get listsInRunRows(): boolean {
    return this.day !== null;
  }
}

/** The binding of an object that keeps one workflow, and of code from before day tables: `state` always. */
export const STATE_ONLY: TableBinding = Object.freeze(new TableBinding(null)) as TableBinding;

const DAY_TABLE = /^state_d(\d+)$/;

/**
 * A shard's day tables: the days whose table exists, read once from sqlite_master and then kept in
 * memory (created and dropped only through this).
 */
export class ShardDays {
  private days: number[] | undefined;
  /** False: a workflow new to the shard goes to `state`, as every one did before day tables (tests of `state`'s own path set it). */
  newInDays = true;

  /**
   * @param openSchema brings the database to this build's schema (schema.ts `openSchema`), before the
   *   shard's first day table records its version.
   */
  constructor(
    private readonly sql: SqlStorage,
    private readonly openSchema: () => void,
    /**
     * The wall clock (the shard's `Clock.wall`): the UTC day a new workflow arrives in. Not the time tests
     * move to make the sweep see a day end (that is the sweep's): a workflow started after it still goes to today's.
     */
    private readonly now: () => number,
  ) {}

  /** The live days, oldest first. */
  list(): readonly number[] {
    if (!this.days) {
      this.days = this.sql
        .exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'state_d%'`)
        .toArray()
        .flatMap(({ name }) => {
          const m = DAY_TABLE.exec(name);
          return m ? [Number(m[1])] : [];
        })
        .sort((a, b) => a - b);
    }
    return this.days;
  }

  /**
   * The table of the workflow whose keys start with `scope`: `state` when it holds any of its rows,
   * else the newest live day table that does, else (a workflow new to the shard) today's, created now
   * — outside any change's transaction, so that a change rolled back cannot take the table back from
   * under this memory (a new day's table costs its creation's rows once per shard and day).
   */
  locate(scope: string): TableBinding {
    const days = this.list();
    // Newest first after `state`; one statement for all (a workflow new to the shard, every start, asks each).
    const tables = [null, ...[...days].reverse()];
    const probes = tables.map((day, i) => `EXISTS (SELECT 1 FROM ${stateTableOf(day)} WHERE k >= ?1 AND k < ?2) AS t${i}`).join(', ');
    let found: Record<string, number> | undefined;
    try {
      found = this.sql.exec<Record<string, number>>(`SELECT ${probes}`, scope, prefixEnd(scope)).one();
    } catch (err) {
      // A new shard's database: `state` is made when its schema is opened (schema.ts), after this; no day table yet either.
      if (!/no such table: state\b/i.test(String((err as Error)?.message ?? err))) throw err;
    }
    const at = found ? tables.findIndex((_, i) => found[`t${i}`] === 1) : -1;
    if (at >= 0) return new TableBinding(tables[at] ?? null);
    return new TableBinding(this.newInDays ? this.ensure(dayOf(this.now())) : null, true);
  }

  /**
   * Creates the day's table if it does not exist. The shard's first records schema version 4 in `state`
   * once its schema is opened (a new database's made, an older one's migrated): a build from before
   * day tables then refuses the database rather than missing the workflows in them (schema.ts).
   */
  ensure(day: number): number {
    const days = this.list();
    if (days.includes(day)) return day;
    if (days.length === 0) {
      this.openSchema();
      const recorded = this.sql.exec<{ v: string }>(`SELECT v FROM state WHERE k = ?`, VERSION_KEY).toArray()[0]?.v;
      if (recorded === undefined || Number(recorded) < DAY_TABLES_VERSION) this.sql.exec(`INSERT OR REPLACE INTO state (k, v, n) VALUES (?, ?, NULL)`, VERSION_KEY, String(DAY_TABLES_VERSION));
    }
    this.sql.exec(dayTableDdl(day));
    this.days = [...days, day].sort((a, b) => a - b);
    return day;
  }

  /** The day's table is gone (the sweep dropped it, in its transaction; called once that committed). */
  forgetDay(day: number): void {
    this.days = this.list().filter((d) => d !== day);
  }

  /** The memory is no longer what the database holds (a transaction rolled back): read it again. */
  forget(): void {
    this.days = undefined;
  }
}

/** The workflow scopes that have rows in `table`, in key order: one seek per workflow. */
export function* scopesIn(sql: SqlStorage, table: string, scopeOf: (key: string) => string): Generator<string> {
  let from = '';
  for (;;) {
    const k = sql.exec<{ k: string }>(`SELECT k FROM ${table} WHERE k >= ? ORDER BY k LIMIT 1`, from).toArray()[0]?.k;
    if (k === undefined) return;
    const scope = scopeOf(k);
    yield scope;
    from = prefixEnd(scope);
  }
}
