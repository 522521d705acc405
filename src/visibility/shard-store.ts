/**
 * The visibility store of a workflow shard (src/workflow-object.ts): the list entries of the runs of
 * its workflows (list-entry.ts), in its own SQLite database, written in the transaction of the change
 * that makes them (a start, a close, an upsert of search attributes or memo, a deletion). No outbox,
 * no delivery, no retry: the entry moves with the change or not at all (design invariant 1), and a
 * started run is listed at once. List, count, the namespace's cost and the service's metrics ask
 * every shard of the namespace (readShard) and merge the answers (queries.ts, list-rows.ts).
 *
 * Where a run's entry is depends on its workflow's table (src/storage/day-tables.ts):
 * - a workflow of a day table, `state_d<N>` (every workflow new to its shard): in its run's own row,
 *   in the list columns that table has (NULL on its other rows), written in the statement that writes
 *   the run's row (WorkflowStore `listRun`, StateTable `putRun`): no billed row of its own, and dropped
 *   with the day's table;
 * - a workflow of `state` (written before day tables, or moved out of one): in `visibility`, a row per
 *   run, whose primary key is the default list order's (start time, run id).
 * Neither has another index: a write is one billed row, and a filter walks the shard's runs (rows read
 * cost a thousandth of rows written). The list columns are those of D1's `executions` that lists read,
 * so that one translation of a list filter (filter-sql.ts, SHARD_LAYOUT and dayLayout) serves all. A
 * run's search-attribute values (search-attributes.ts) are a JSON array in its entry, `attributes`.
 *
 * `visibility` is made by the first summary a shard writes there (a table costs billed rows and a page),
 * so a database of its SCHEMA_VERSION (src/storage/schema.ts) is whole without it; reads of a shard
 * without it find nothing there.
 */
import type { WorkflowExecutionStatus } from '../../protocol/index.js';
import { parseListFilter } from './list-filter.js';
import { SHARD_LAYOUT, countSql, dayLayout, listSql, sortKeys, whereSql, type Sql, type SqlValue } from './filter-sql.js';
import { mergePages, storePage, withinBytes, type ExecutionRow, type StorePage } from './list-rows.js';
import { STATE_ONLY, isMissingVisibilityTable, type TableBinding } from '../storage/day-tables.js';
import { LIST_ENTRY_SQL, VISIBILITY_TABLE, listEntryValues, type RunListings } from './list-entry.js';
import type { ExecutionSummary, SummaryWriter } from './summary.js';
import { unitsSql } from '../cost/namespace-cost.js';
import { runsByQueueSql, type QueueStatusCount } from '../metrics/service-metrics.js';
import { wallClock } from '../clock.js';

const upsert = `INSERT OR REPLACE INTO visibility (${LIST_ENTRY_SQL}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * One workflow's summaries, written inside the caller's transaction. Of a workflow of a day table:
 * staged for its run's row (`runRows`, the workflow's store), which the same change writes. Of a
 * workflow of `state`: written to `visibility` — but a run's first, its start's, is held in memory up
 * to `holdMs` (a row written is billed, and a run
 * that closes by then, most short workflows, replaces it with its close's: one row, not two).
 * Nothing sees the difference: a read of the shard's list, count or cost writes every held entry
 * first (`writeHeld`, WorkflowObject.readVisibility), so a started run is still listed at once, and a
 * metrics read, every few seconds, counts the held ones from memory (`heldCounts`); the
 * workflow's alarm comes by the moment its hold ends (`earliestDue`) and writes it then; a
 * workflow holding one is never dropped from its shard's memory (`settled`). What a crash loses is
 * written again by the run's first change after it (`isListed`, WorkflowHost.mutate): the start's
 * alarm slot, written in its transaction, makes sure there is one.
 */
export class ShardSummaries implements SummaryWriter {
  /** Held entries by run id: the row's values, and when the hold ends. */
  private readonly held = new Map<string, { row: SqlValue[]; due: number }>();
  /** What this change did to `held`, applied when it commits (`changeEnded`): a rolled-back change held nothing. */
  private staged: Array<[runId: string, entry: { row: SqlValue[]; due: number } | undefined]> = [];

  /**
   * @param sql the workflow's own handle on the shard's database (its meter counts the rows).
   * @param holdMs how long a start's entry may wait in memory (KEEL_RUNNING_SUMMARY_DELAY_MS, as D1's outbox).
   */
  constructor(
    private readonly sql: SqlStorage,
    private readonly holdMs = 0,
    private readonly now: () => number = wallClock,
    /** Which table holds the workflow's entries (its rows' binding: day-tables.ts). */
    private readonly tables: TableBinding = STATE_ONLY,
    /** Where the entries of a workflow of a day table go: its store, which writes them with their runs' rows. */
    private readonly runRows?: RunListings,
  ) {}

  enqueue(s: ExecutionSummary, now: number, started = false): void {
    const row = listEntryValues(s);
    // Nothing is held for these: the start's run row lists the run, at the cost of no row.
    if (this.tables.listsInRunRows && this.runRows) return this.runRows.listRun(s.runId, row);
    const holding = this.holding(s.runId);
    if (s.status === 'RUNNING' && this.holdMs > 0 && (started || holding)) {
      this.staged.push([s.runId, { row, due: holding?.due ?? now + this.holdMs }]);
      return;
    }
    if (holding) this.staged.push([s.runId, undefined]);
    this.write(row);
  }

  enqueueDeletion(_namespace: string, runId: string, startTime: number | undefined): void {
    if (this.holding(runId)) this.staged.push([runId, undefined]);
    // In a day table the entry is in the run's row, which the deletion deletes.
    if (startTime === undefined || this.tables.listsInRunRows) return;
    try {
      this.sql.exec(`DELETE FROM visibility WHERE start_time = ? AND run_id = ?`, startTime, runId);
    } catch (err) {
      if (!isMissingVisibilityTable(err)) throw err;
    }
  }

  changeEnded(committed: boolean): void {
    if (committed) for (const [runId, entry] of this.staged) entry ? this.held.set(runId, entry) : this.held.delete(runId);
    this.staged = [];
  }

  /**
   * Whether the run's entry is in the table (or held): false for a start's entry a crash lost. A run of
   * a day table is listed by the row that made it (no hold): asked no statement.
   */
  isListed(runId: string, startTime: number): boolean {
    if (this.tables.listsInRunRows) return true;
    return this.held.has(runId) || selectOrNone(this.sql, `SELECT 1 FROM visibility WHERE start_time = ? AND run_id = ?`, startTime, runId).length > 0;
  }

  /** The held entries as a metrics read counts runs (runsByQueueSql's rows), one each. */
  heldCounts(): QueueStatusCount[] {
    return [...this.held.values()].map(({ row }) => ({ task_queue: row[4] as string, status: row[5] as string, n: 1 }));
  }

  /** Writes the held entries whose hold has ended (`all`: every one); returns how many. */
  writeHeld(all = true): number {
    const now = this.now();
    let n = 0;
    for (const [runId, { row, due }] of this.held) {
      if (!all && due > now) continue;
      this.write(row);
      this.held.delete(runId);
      n++;
    }
    return n;
  }

  /**
   * A hold may end up to another `holdMs` later when the workflow's alarm fires by then anyway (a
   * timer of its own just past its first second): one firing writes it then, not two a few ms apart.
   */
  get slackMs(): number {
    return this.holdMs;
  }

  /** When the earliest hold ends, this change's included (the alarm is set inside it, before it commits). */
  earliestDue(): number | undefined {
    let due: number | undefined;
    for (const [runId, entry] of this.held) if (this.holding(runId) === entry) due = Math.min(due ?? Infinity, entry.due);
    for (const [, entry] of this.staged) if (entry) due = Math.min(due ?? Infinity, entry.due);
    return due;
  }
  get settled(): boolean {
    return this.held.size === 0;
  }
  deliverDue(): Promise<number> {
    return Promise.resolve(this.held.size === 0 ? 0 : this.writeHeld(false));
  }
  dropped(): void {
    this.held.clear();
  }

  /** The run's held entry as this change leaves it so far. */
  private holding(runId: string): { row: SqlValue[]; due: number } | undefined {
    for (let i = this.staged.length - 1; i >= 0; i--) if (this.staged[i]![0] === runId) return this.staged[i]![1];
    return this.held.get(runId);
  }

  private write(row: SqlValue[]): void {
    try {
      this.sql.exec(upsert, ...row);
    } catch (err) {
      // The shard's first summary there: the table is made in the same transaction.
      if (!isMissingVisibilityTable(err)) throw err;
      this.sql.exec(VISIBILITY_TABLE);
      this.sql.exec(upsert, ...row);
    }
  }
}

/** What the router asks each shard of a namespace (WorkflowObject.readVisibility). */
export type ShardRead =
  /** The shard's first `pageSize` runs that match `query` after the page token's keys, in the list's order. */
  | { kind: 'list'; query: string; pageSize: number; maxBytes: number; after?: SqlValue[] }
  /** How many runs match `query`, in total or per status. */
  | { kind: 'count'; query: string; byStatus: boolean }
  /** The units of the runs billed in [start, end) (src/cost/namespace-cost.ts). */
  | { kind: 'units'; start: number; end: number }
  /** Runs per task queue and status (src/metrics/service-metrics.ts). */
  | { kind: 'byQueue' };

export interface ShardAnswers {
  list: StorePage;
  count: Array<{ status?: WorkflowExecutionStatus; count: number }>;
  units: Record<string, number>;
  byQueue: QueueStatusCount[];
}

/**
 * Answers a read on the shard's database (its own handle) over `visibility` and the run rows of the
 * live day tables (`days`: ShardDays.list); a shard that has written no summary to `visibility` has
 * none there. One statement per table, merged here, rather than one over a UNION ALL of them: the
 * merge is the one the router already does over shards (list-rows.ts `mergePages`), and `visibility`'s
 * page is read off its primary key, pageSize + 1 rows at most (the default order's walk). A day table
 * has no index on its entries (an index entry is a billed row written), so SQLite walks its rows,
 * keeps the run rows and sorts them: a page reads every row of the table (docs/scale.md).
 */
export function readShard<R extends ShardRead>(sql: SqlStorage, read: R, days: readonly number[] = []): ShardAnswers[R['kind']] {
  const select = <T>(s: Sql): T[] => selectOrNone<T>(sql, s.sql, ...s.params);
  const layouts = [SHARD_LAYOUT, ...days.map(dayLayout)];
  switch (read.kind) {
    case 'list': {
      // Checked by the router before it asked (queries.ts): parsing cannot fail here.
      const filter = parseListFilter(read.query);
      const keys = sortKeys(filter, SHARD_LAYOUT);
      const pages = layouts.map((layout) => storePage(select<ExecutionRow>(listSql(layout, '', keys, whereSql(filter, layout), read.after, read.pageSize + 1)), read.pageSize, read.maxBytes));
      if (pages.length === 1) return pages[0]! as ShardAnswers[R['kind']];
      const merged = mergePages(keys, pages, read.pageSize);
      const rows = withinBytes(merged.rows, read.maxBytes);
      return { rows, more: merged.more || rows.length < merged.rows.length } as ShardAnswers[R['kind']];
    }
    case 'count': {
      const where = whereSql(parseListFilter(read.query), SHARD_LAYOUT);
      const counts = new Map<WorkflowExecutionStatus | undefined, number>();
      for (const layout of layouts) for (const c of select<{ status?: WorkflowExecutionStatus; count: number }>(countSql(layout, '', where, read.byStatus))) counts.set(c.status, (counts.get(c.status) ?? 0) + c.count);
      return [...counts].map(([status, count]) => (status === undefined ? { count } : { status, count })) as ShardAnswers[R['kind']];
    }
    case 'units': {
      const sums: Record<string, number> = {};
      for (const layout of layouts) for (const row of select<Record<string, number>>(unitsSql(layout, '', read.start, read.end)).slice(0, 1)) for (const [k, v] of Object.entries(row)) sums[k] = (sums[k] ?? 0) + v;
      return sums as ShardAnswers[R['kind']];
    }
    case 'byQueue':
      return layouts.flatMap((layout) => select<QueueStatusCount>(runsByQueueSql(layout))) as ShardAnswers[R['kind']];
  }
}

/**
 * For the shard's retention sweep (src/workflow-object/retention-sweep.ts): closed runs that closed
 * by `closedBy`, at most `limit` (a scan of the table: rows read cost a thousandth of rows written,
 * and the sweep runs only when its slot says a run is due). Of `visibility` alone: the runs of a day
 * table go with their table, whole (the sweep's drop, src/workflow-object/day-drop.ts), never one by one.
 */
export function closedBy(sql: SqlStorage, closedBy: number, limit: number): Array<{ workflowId: string; runId: string }> {
  return selectOrNone<{ workflowId: string; runId: string }>(
    sql,
    `SELECT workflow_id AS workflowId, run_id AS runId FROM visibility WHERE close_time IS NOT NULL AND status <> 'RUNNING' AND close_time <= ? LIMIT ?`,
    closedBy,
    limit,
  );
}

/** The earliest close of a run `visibility` keeps, with its workflow; undefined when no run is closed (day tables aside, as `closedBy`). */
export function earliestClose(sql: SqlStorage): { workflowId: string; closeTime: number } | undefined {
  return selectOrNone<{ workflowId: string; closeTime: number }>(sql, `SELECT workflow_id AS workflowId, close_time AS closeTime FROM visibility WHERE close_time IS NOT NULL ORDER BY close_time LIMIT 1`)[0];
}

/** A read of the table; none when the shard has written no summary yet (no table). */
function selectOrNone<T>(sql: SqlStorage, query: string, ...params: unknown[]): T[] {
  try {
    return sql.exec(query, ...params).toArray() as T[];
  } catch (err) {
    if (isMissingVisibilityTable(err)) return [];
    throw err;
  }
}
