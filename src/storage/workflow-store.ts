/**
 * WorkflowStore: a workflow object's rows in its SQLite database — runs, history events,
 * the task outbox, request-id records and the object's own keys (meta). The engine reads
 * through it (it is the engine's ExecutionStore) and the object writes one engine change
 * with `write`, inside the transaction that also sets the alarm.
 */
import type { HistoryEvent } from '../../protocol/index.js';
import type { RunState } from '../engine/run-state.js';
import type { ExecutionStore, Txn } from '../engine/transaction.js';
import type { TaskRef } from '../task-token.js';
import { openSchema } from './schema.js';

/** Request ids are remembered this long; a retry later than that is treated as new. */
export const REQUEST_ID_TTL_MS = 24 * 60 * 60 * 1000;

/** A request id's record: what the request was, and the answer a retry of it gets. */
export interface RequestRecord {
  requestId: string;
  fingerprint: string;
  response: string;
}

/** A task waiting in the outbox to be handed to its task queue. */
export interface OutboxRow {
  id: number;
  task_queue: string;
  kind: 'workflow' | 'activity';
  ref: string;
  attempts: number;
}

export class WorkflowStore implements ExecutionStore {
  private readonly sql: SqlStorage;

  constructor(storage: DurableObjectStorage) {
    this.sql = storage.sql;
    openSchema(storage);
  }

  // ---- ExecutionStore ----------------------------------------------------------------

  currentRunId(): string | undefined {
    return this.meta('currentRunId');
  }

  loadRun(runId: string): RunState | undefined {
    const row = this.sql.exec<{ state: string }>(`SELECT state FROM runs WHERE run_id = ?`, runId).toArray()[0];
    return row ? (JSON.parse(row.state) as RunState) : undefined;
  }

  /** Events `from`..`to`; with `maxBytes`, only as many as fit in it (always at least the first). */
  readEvents(runId: string, from: number, to = Number.MAX_SAFE_INTEGER, limit = -1, maxBytes?: number): HistoryEvent[] {
    return (
      maxBytes === undefined
        ? this.sql.exec<{ event: string }>(`SELECT event FROM events WHERE run_id = ? AND event_id BETWEEN ? AND ? ORDER BY event_id LIMIT ?`, runId, from, to, limit)
        : // A running total of the rows' sizes: pages stay within the bytes an answer (and an RPC) may carry.
          this.sql.exec<{ event: string }>(
            `SELECT event FROM (SELECT event, event_id, SUM(length(event)) OVER (ORDER BY event_id) AS total FROM events WHERE run_id = ? AND event_id BETWEEN ? AND ? ORDER BY event_id LIMIT ?) WHERE total <= ? OR event_id = ? ORDER BY event_id`,
            runId,
            from,
            to,
            limit,
            maxBytes,
            from,
          )
    )
      .toArray()
      .map((r) => JSON.parse(r.event) as HistoryEvent);
  }

  // ---- The object's own keys ---------------------------------------------------------

  meta(key: 'currentRunId' | 'name' | 'clockOffsetMs'): string | undefined {
    return this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = ?`, key).toArray()[0]?.value;
  }

  setMeta(key: 'clockOffsetMs', value: string): void {
    this.sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)`, key, value);
  }

  // ---- One change --------------------------------------------------------------------

  /**
   * Writes what the change gathered: events, run rows, the new current run (and the object's
   * name with it), outbox rows and the request record. Call inside the change's transaction.
   */
  write(tx: Txn, objectName: string | undefined, request?: RequestRecord): void {
    // Sizes were measured on the encodings the transaction kept (history-limit.ts): write those.
    for (const { runId, event, json } of tx.events) {
      this.sql.exec(`INSERT INTO events (run_id, event_id, event) VALUES (?, ?, ?)`, runId, event.eventId, json ?? JSON.stringify(event));
    }
    for (const run of tx.runs.values()) {
      this.sql.exec(
        `INSERT INTO runs (run_id, seq, state) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM runs), ?) ON CONFLICT (run_id) DO UPDATE SET state = excluded.state`,
        run.runId,
        tx.encodedRuns.get(run.runId) ?? JSON.stringify(run),
      );
    }
    if (tx.newCurrentRunId) {
      this.sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('currentRunId', ?)`, tx.newCurrentRunId);
      if (objectName !== undefined) this.sql.exec(`INSERT OR IGNORE INTO meta (key, value) VALUES ('name', ?)`, objectName);
    }
    for (const d of tx.dispatches) {
      this.sql.exec(`INSERT INTO outbox (task_queue, kind, ref, due_at) VALUES (?, ?, ?, ?)`, d.taskQueue, d.kind, JSON.stringify(d.ref), tx.now);
    }
    if (request) {
      this.sql.exec(`INSERT INTO requests (request_id, fingerprint, response, created_at) VALUES (?, ?, ?, ?)`, request.requestId, request.fingerprint, request.response, tx.now);
    }
  }

  // ---- Request ids -------------------------------------------------------------------

  /** The record of an earlier request with this id, if it is still kept. */
  priorRequest(requestId: string): { fingerprint: string; response: string } | undefined {
    return this.sql.exec<{ fingerprint: string; response: string }>(`SELECT fingerprint, response FROM requests WHERE request_id = ?`, requestId).toArray()[0];
  }

  /** When the oldest request record expires, or undefined when none is kept. */
  requestExpiry(): number | undefined {
    const t = this.sql.exec<{ t: number | null }>(`SELECT MIN(created_at) AS t FROM requests`).toArray()[0]?.t;
    return t === null || t === undefined ? undefined : t + REQUEST_ID_TTL_MS;
  }

  /** Forgets the request records that expired by `now`. */
  expireRequests(now: number): void {
    this.sql.exec(`DELETE FROM requests WHERE created_at < ?`, now - REQUEST_ID_TTL_MS);
  }

  // ---- Task outbox -------------------------------------------------------------------

  /** Outbox rows due by `now`, oldest first. */
  dueOutbox(now: number): OutboxRow[] {
    return this.sql.exec<OutboxRow & Record<string, SqlStorageValue>>(`SELECT id, task_queue, kind, ref, attempts FROM outbox WHERE due_at <= ? ORDER BY id`, now).toArray();
  }

  /** When the earliest outbox row is due, or undefined when the outbox is empty. */
  outboxDue(): number | undefined {
    return this.sql.exec<{ due: number | null }>(`SELECT MIN(due_at) AS due FROM outbox`).toArray()[0]?.due ?? undefined;
  }

  outboxIsEmpty(): boolean {
    return this.sql.exec(`SELECT 1 FROM outbox LIMIT 1`).toArray().length === 0;
  }

  /** The row's task is in its queue. */
  delivered(id: number): void {
    this.sql.exec(`DELETE FROM outbox WHERE id = ?`, id);
  }

  /** The row's hand-off failed: it is tried again at `due`. */
  retryAt(id: number, due: number): void {
    this.sql.exec(`UPDATE outbox SET attempts = attempts + 1, due_at = ? WHERE id = ?`, due, id);
  }

  /** The ref of an outbox row, parsed. */
  static ref(row: OutboxRow): TaskRef {
    return JSON.parse(row.ref) as TaskRef;
  }
}
