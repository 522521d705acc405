/**
 * Dropping a shard's day tables (src/storage/day-tables.ts) once their day has ended and the
 * namespace's retention has passed: `DROP TABLE` is billed no row, where deleting a finished
 * workflow's rows one by one bills each. Before the drop, every workflow of the day that still has
 * something to keep is moved to `state`, and its runs' list entries (its run rows' list columns:
 * src/visibility/list-entry.ts) to `visibility`, since `state` has no such columns (INSERT … SELECT:
 * billed once, only for the workflows that outlive their day's retention); the rest go with the table. Run by the
 * shard's retention sweep (retention-sweep.ts), in one synchronous stretch: nothing else runs between
 * the choice of what to keep and the commit.
 *
 * A workflow is kept when any of these holds: a run of it is listed as running or closed after the
 * cutoff (now − retention); it has a run row that is not closed; it has a task or a call on its way
 * (outbox and call rows); it has no list entry at all (no run: kept rather than guessed); its host in
 * memory is not quiet.
 */
import { STATE_TABLE, prefixEnd } from '../storage/state-table.js';
import { scopesIn, stateTableOf } from '../storage/day-tables.js';
import { IS_LIST_ENTRY, LIST_ENTRY_SQL, VISIBILITY_TABLE } from '../visibility/list-entry.js';
import { RUN_PREFIX } from '../storage/run-rows.js';
import { scopeOfKey, workflowIdOfScope } from './host-storage.js';

/** What a drop needs of its shard. */
export interface DayDropShard {
  readonly sql: SqlStorage;
  transactionSync<T>(fn: () => T): T;
  /** The workflow is in the shard's memory and something waits on it there (not `quiet`). */
  busy(workflowId: string): boolean;
}

/** Prefixes of the rows that are on their way somewhere (workflow-store.ts OUTBOX, workflow-calls.ts). */
const ON_ITS_WAY = ['o/', 'c/'];

/**
 * Moves out the day's workflows that outlive `cutoff` and drops the day's table, in one transaction.
 * Returns the ids moved, and how many runs went with the tables.
 */
export function dropDay(shard: DayDropShard, day: number, cutoff: number): { moved: Set<string>; runsDropped: number } {
  const { sql } = shard;
  const state = stateTableOf(day);
  // One scan of the day's list entries (its run rows): per workflow, its runs and whether one of them is to be kept.
  const listed = new Map<string, { runs: number; live: boolean }>();
  for (const r of sql.exec<{ id: string; runs: number; live: number }>(
    `SELECT workflow_id AS id, COUNT(*) AS runs, MAX(status = 'RUNNING' OR close_time IS NULL OR close_time > ?) AS live FROM ${state} WHERE ${IS_LIST_ENTRY} GROUP BY workflow_id`,
    cutoff,
  )) {
    listed.set(r.id, { runs: r.runs, live: r.live === 1 });
  }
  const has = (from: string, to: string, extra = '') => sql.exec(`SELECT 1 FROM ${state} WHERE k >= ? AND k < ?${extra} LIMIT 1`, from, to).toArray().length > 0;
  const moved = new Set<string>();
  const keep: string[] = [];
  let runsDropped = 0;
  for (const scope of scopesIn(sql, state, scopeOfKey)) {
    const id = workflowIdOfScope(scope);
    const entry = listed.get(id);
    const runs = scope + RUN_PREFIX;
    const kept =
      entry === undefined ||
      entry.live ||
      shard.busy(id) ||
      has(runs, prefixEnd(runs), ` AND CASE WHEN typeof(v) = 'blob' THEN 0 ELSE (v ->> '$.closeTime') IS NULL END`) ||
      ON_ITS_WAY.some((p) => has(scope + p, prefixEnd(scope + p)));
    if (kept) {
      keep.push(scope);
      moved.add(id);
    } else runsDropped += entry.runs;
  }
  shard.transactionSync(() => {
    if (keep.length > 0) {
      sql.exec(STATE_TABLE);
      sql.exec(VISIBILITY_TABLE);
    }
    for (const scope of keep) sql.exec(`INSERT OR IGNORE INTO state (k, v, n) SELECT k, v, n FROM ${state} WHERE k >= ? AND k < ?`, scope, prefixEnd(scope));
    // One scan of the day's run rows for all the moved workflows' entries (the table has no index by workflow).
    if (moved.size > 0) {
      sql.exec(
        `INSERT OR REPLACE INTO visibility (${LIST_ENTRY_SQL}) SELECT ${LIST_ENTRY_SQL} FROM ${state} WHERE ${IS_LIST_ENTRY} AND workflow_id IN (SELECT value FROM json_each(?))`,
        JSON.stringify([...moved]),
      );
    }
    sql.exec(`DROP TABLE IF EXISTS ${state}`);
  });
  return { moved, runsDropped };
}
