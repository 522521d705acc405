/**
 * The visibility outbox of one workflow object: summaries waiting to be written to D1.
 * A summary row is written in the same storage transaction as the change it describes
 * (design invariant 1), and deleted only once D1 has it; a failed write stays and is
 * retried with back-off from the object's alarm, so no summary is lost.
 *
 * One row per run: a newer summary of a run replaces a pending older one (the store would
 * ignore the older one anyway), so a run whose writes fail for a while catches up in one.
 */
import type { SummaryStore } from './store.js';
import type { ExecutionSummary } from './summary.js';

const RETRY_MAX_MS = 30_000;

export interface VisibilityOutboxOptions {
  /** Where summaries go; undefined when the Worker has no VISIBILITY binding. */
  store: SummaryStore | undefined;
  /** The object's time. */
  now: () => number;
  /** Asks for the alarm to fire by `due` (in the object's time) to retry a failed write. */
  retryBy: (due: number) => Promise<void>;
}

export class VisibilityOutbox {
  /** Where summaries go. Tests replace it (e.g. with one that fails) through `runInDurableObject`. */
  store: SummaryStore | undefined;
  private readonly inFlight = new Map<string, Promise<void>>();
  private warned = false;
  /**
   * False only when the table is known to be empty, so that the hot path (every task hand-off
   * calls `deliverDue`, every change `earliestDue`) asks storage nothing when nothing waits.
   * Starts true: rows may wait from before the object was last evicted.
   */
  private maybePending = true;

  constructor(
    private readonly sql: SqlStorage,
    private readonly options: VisibilityOutboxOptions,
  ) {
    this.store = options.store;
  }

  /**
   * Records a run's new summary; call it inside the transaction of the change. Does nothing
   * without a store (a Worker deployed without the binding keeps working, unlisted).
   */
  enqueue(summary: ExecutionSummary, now: number): void {
    if (!this.store) {
      if (!this.warned) console.warn('visibility: no VISIBILITY D1 binding; executions are not listed (see wrangler.toml)');
      this.warned = true;
      return;
    }
    this.maybePending = true;
    this.sql.exec(
      `INSERT INTO visibility_outbox (run_id, version, summary, due_at, attempts) VALUES (?, ?, ?, ?, 0)
       ON CONFLICT (run_id) DO UPDATE SET version = excluded.version, summary = excluded.summary, due_at = excluded.due_at, attempts = 0
       WHERE excluded.version > visibility_outbox.version`,
      summary.runId,
      summary.version,
      JSON.stringify(summary),
      now,
    );
  }

  /** When the earliest pending summary is due, or undefined when none is pending. */
  earliestDue(): number | undefined {
    if (!this.maybePending) return undefined;
    return this.sql.exec<{ due: number | null }>(`SELECT MIN(due_at) AS due FROM visibility_outbox`).one().due ?? undefined;
  }

  /** True when no summary is pending and no write is under way. */
  get settled(): boolean {
    return this.inFlight.size === 0 && !this.maybePending;
  }

  /**
   * Writes every due summary to the store; resolves, with how many were due, when every
   * write under way has succeeded or failed.
   */
  async deliverDue(): Promise<number> {
    if (!this.maybePending && this.inFlight.size === 0) return 0;
    const due = this.sql.exec<{ run_id: string }>(`SELECT run_id FROM visibility_outbox WHERE due_at <= ?`, this.options.now()).toArray();
    for (const { run_id: runId } of due) {
      if (this.inFlight.has(runId)) continue;
      this.inFlight.set(
        runId,
        this.deliverRun(runId).finally(() => this.inFlight.delete(runId)),
      );
    }
    await Promise.all(this.inFlight.values());
    this.maybePending = this.sql.exec(`SELECT 1 FROM visibility_outbox LIMIT 1`).toArray().length > 0;
    return due.length;
  }

  private async deliverRun(runId: string): Promise<void> {
    // Loops because a newer summary of the run may be recorded while a write is under way.
    for (;;) {
      const row = this.sql
        .exec<{ version: number; summary: string; attempts: number; due_at: number }>(`SELECT version, summary, attempts, due_at FROM visibility_outbox WHERE run_id = ?`, runId)
        .toArray()[0];
      const store = this.store;
      if (!row || row.due_at > this.options.now() || !store) return;
      try {
        await store.write(JSON.parse(row.summary) as ExecutionSummary);
        this.sql.exec(`DELETE FROM visibility_outbox WHERE run_id = ? AND version = ?`, runId, row.version);
      } catch (err) {
        const backoff = Math.min(1000 * 2 ** row.attempts, RETRY_MAX_MS);
        console.warn(`visibility: writing the summary of run ${runId} failed (attempt ${row.attempts + 1}); retrying in ${backoff} ms`, err);
        const due = this.options.now() + backoff;
        this.sql.exec(`UPDATE visibility_outbox SET attempts = attempts + 1, due_at = ? WHERE run_id = ? AND version = ?`, due, runId, row.version);
        await this.options.retryBy(due);
        return;
      }
    }
  }
}
