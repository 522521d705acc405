/**
 * A run's list entry in a workflow shard: the columns lists read (those of D1's `executions`, so
 * that one translation of a filter serves both: filter-sql.ts), as one set of values. Kept in two
 * places (docs/scale.md, "Where a shard's rows live"):
 * - in a day table `state_d<N>`, in the run's own row, beside its `k, v, n` (NULL on every other
 *   row): the change that writes the run's row writes its entry in the same statement, so a list
 *   entry costs no billed row of its own (src/storage/state-table.ts `putRun`);
 * - in `visibility`, a row per run, for the workflows of `state` (written before day tables, or moved
 *   out of one: src/workflow-object/day-drop.ts), whose table has no such columns (shard-store.ts).
 */
import { indexed, storable } from './store.js';
import type { ExecutionSummary } from './summary.js';
import type { SqlValue } from './filter-sql.js';

/**
 * The entry's columns, in the order of `listEntryValues`: name, SQLite type, and whether `visibility`
 * requires it (a day table's are NULL on every row but a run's).
 */
const COLUMNS = [
  ['start_time', 'INTEGER', true], ['run_id', 'TEXT', true], ['workflow_id', 'TEXT', true], ['workflow_type', 'TEXT', true],
  ['task_queue', 'TEXT', true], ['status', 'TEXT', true], ['execution_time', 'INTEGER', true], ['close_time', 'INTEGER', false],
  ['history_length', 'INTEGER', true], ['first_run_id', 'TEXT', true], ['memo', 'TEXT', false], ['search_attributes', 'TEXT', false],
  ['attributes', 'TEXT', false], ['units', 'TEXT', false],
] as const;

export const LIST_ENTRY_COLUMNS = COLUMNS.map(([name]) => name);

/** `start_time, run_id, …` as SQL. */
export const LIST_ENTRY_SQL = LIST_ENTRY_COLUMNS.join(', ');
/** A placeholder per column, for the entry's values. */
export const LIST_ENTRY_PLACEHOLDERS = LIST_ENTRY_COLUMNS.map(() => '?').join(', ');

/**
 * The runs' table of `state` workflows. A run's start time never changes (a reset or continue-as-new
 * is a new run), so (start time, run id) names its one row for its whole life. `attributes`: the
 * search-attribute values as [name, type, ord, str, num] arrays (SHARD_LAYOUT reads them); `units`: the
 * run's billable units when the summary was made (src/cost).
 */
export const VISIBILITY_TABLE = `CREATE TABLE IF NOT EXISTS visibility (
  ${COLUMNS.map(([name, type, required]) => `${name} ${type}${required ? ' NOT NULL' : ''}`).join(', ')},
  PRIMARY KEY (start_time, run_id)) WITHOUT ROWID`;

/** The same columns as a day table has them: NULL on every row but a run's (its `start_time` set says it is one). */
export const DAY_LIST_COLUMNS_DDL = COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ');

/** The rows of a day table that are a run's list entry. */
export const IS_LIST_ENTRY = 'start_time IS NOT NULL';

/** A summary as its entry's values (LIST_ENTRY_COLUMNS order). */
export function listEntryValues(s: ExecutionSummary): SqlValue[] {
  const values = indexed(s);
  return [
    s.startTime, s.runId, s.workflowId, s.workflowType, s.taskQueue, s.status, s.executionTime, s.closeTime ?? null, s.historyLength, s.firstRunId,
    storable(s, 'memo'), storable(s, 'searchAttributes'), values.length ? JSON.stringify(values.map((v) => [v.name, v.type, v.ord, v.str, v.num])) : null,
    s.units ? JSON.stringify(s.units) : null,
  ];
}

/** Where a workflow of a day table stages its runs' entries, for the change's writes of their rows (WorkflowStore). */
export interface RunListings {
  /** The run's entry as this change leaves it: written with the run's row. */
  listRun(runId: string, values: SqlValue[]): void;
}
