/**
 * Writes execution summaries into the D1 visibility store. A write is idempotent and never
 * goes backwards: the run's row is replaced only by a summary with a greater version, and
 * its typed search-attribute rows only together with it (one D1 batch, one transaction).
 */
import { indexSearchAttributes, type IndexedValue } from './search-attributes.js';
import type { ExecutionSummary } from './summary.js';

/** Where the visibility outbox delivers summaries. Tests put a failing one in its place. */
export interface SummaryStore {
  write(summary: ExecutionSummary): Promise<void>;
  /** Deletes the run's row and its search attributes; deleting a run not there is no error. */
  remove(namespace: string, runId: string): Promise<void>;
}

const UPSERT = `
INSERT INTO executions (namespace, run_id, workflow_id, workflow_type, task_queue, status, start_time, execution_time,
                        close_time, history_length, first_run_id, memo, search_attributes, version, units)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
ON CONFLICT (namespace, run_id) DO UPDATE SET
  workflow_id = excluded.workflow_id, workflow_type = excluded.workflow_type, task_queue = excluded.task_queue,
  status = excluded.status, start_time = excluded.start_time, execution_time = excluded.execution_time,
  close_time = excluded.close_time, history_length = excluded.history_length, first_run_id = excluded.first_run_id,
  memo = excluded.memo, search_attributes = excluded.search_attributes, version = excluded.version, units = excluded.units
WHERE excluded.version > executions.version`;

// The attribute rows follow the run's row: replaced only when that row now holds this version.
const CURRENT = `(SELECT version FROM executions WHERE namespace = ?1 AND run_id = ?2) = ?3`;
const DELETE_ATTRIBUTES = `DELETE FROM search_attributes WHERE namespace = ?1 AND run_id = ?2 AND ${CURRENT}`;
// All of a run's values in one statement (one JSON parameter), whatever their number: D1
// limits bound parameters per statement and statements per invocation.
const INSERT_ATTRIBUTES = `
INSERT OR REPLACE INTO search_attributes (namespace, run_id, name, type, ord, str, num)
SELECT ?1, ?2, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]'),
       json_extract(j.value, '$[3]'), json_extract(j.value, '$[4]')
FROM json_each(?4) AS j
WHERE ${CURRENT}`;

export class D1SummaryStore implements SummaryStore {
  /** `ready` is awaited before each write (local services apply migrations there). */
  constructor(
    private readonly db: D1Database,
    private readonly ready?: () => Promise<unknown>,
  ) {}

  async write(s: ExecutionSummary): Promise<void> {
    await this.ready?.();
    const rows = indexed(s);
    const statements = [
      this.db
        .prepare(UPSERT)
        .bind(
          s.namespace,
          s.runId,
          s.workflowId,
          s.workflowType,
          s.taskQueue,
          s.status,
          s.startTime,
          s.executionTime,
          s.closeTime ?? null,
          s.historyLength,
          s.firstRunId,
          storable(s, 'memo'),
          storable(s, 'searchAttributes'),
          s.version,
          s.units ? JSON.stringify(s.units) : null,
        ),
      this.db.prepare(DELETE_ATTRIBUTES).bind(s.namespace, s.runId, s.version),
    ];
    if (rows.length > 0) {
      const values = JSON.stringify(rows.map((r) => [r.name, r.type, r.ord, r.str, r.num]));
      statements.push(this.db.prepare(INSERT_ATTRIBUTES).bind(s.namespace, s.runId, s.version, values));
    }
    await this.db.batch(statements);
  }

  async remove(namespace: string, runId: string): Promise<void> {
    await this.ready?.();
    await this.db.batch([
      this.db.prepare(`DELETE FROM search_attributes WHERE namespace = ? AND run_id = ?`).bind(namespace, runId),
      this.db.prepare(`DELETE FROM executions WHERE namespace = ? AND run_id = ?`).bind(namespace, runId),
    ]);
  }
}

/**
 * Memo and search attributes are kept for answers up to this size each (JSON characters).
 * D1 refuses rows over 2 MB, and a write refused for its size would be retried forever; a
 * larger field is left out of the list answer (describe still shows it).
 */
export const MAX_STORED_FIELD_CHARS = 256 * 1024;

export function storable(s: ExecutionSummary, field: 'memo' | 'searchAttributes'): string | null {
  const value = s[field];
  if (!value) return null;
  const text = JSON.stringify(value);
  if (text.length <= MAX_STORED_FIELD_CHARS) return text;
  console.warn(`visibility: the ${field} of run ${s.runId} is ${text.length} characters; list answers leave it out (limit ${MAX_STORED_FIELD_CHARS})`);
  return null;
}

/**
 * The typed rows of the summary's search attributes. Values are checked when a run starts,
 * so this fails only for runs stored before that check: those keep their attributes for
 * display but are not filterable, rather than blocking the summary forever.
 */
export function indexed(s: ExecutionSummary): IndexedValue[] {
  try {
    return indexSearchAttributes(s.searchAttributes);
  } catch (err) {
    console.warn(`visibility: search attributes of run ${s.runId} cannot be indexed; they are kept but not filterable`, err);
    return [];
  }
}
