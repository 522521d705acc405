/**
 * The visibility outbox of one workflow object: summaries waiting to be written to D1.
 * A summary row is written in the same storage transaction as the change it describes
 * (design invariant 1), and deleted only once D1 has it; a failed write stays and is
 * retried with back-off from the object's alarm, so no summary is lost.
 *
 * One row per run: a newer summary of a run replaces a pending older one (the store would
 * ignore the older one anyway), so a run whose writes fail for a while catches up in one.
 *
 * A running run's summary waits RUNNING_SUMMARY_DELAY_MS before it is delivered (the object's
 * alarm delivers it then); a closed run's is delivered at once, and takes the place of a running
 * one still waiting. So a run that closes within that delay — most short workflows — costs one D1
 * write instead of two (each a row plus its index entries, every one billed). The price: a started
 * run is listed up to that delay later (docs/cli.md, list and count).
 */
import type { Env } from '../env.js';
import type { StateTable } from '../storage/state-table.js';
import type { SummaryStore } from './store.js';
import type { ExecutionSummary, SummaryWriter } from './summary.js';

const RETRY_MAX_MS = 30_000;

/** How long a running run's summary waits for the run to close first (the list's bound for a started run). */
export const RUNNING_SUMMARY_DELAY_MS = 1000;

/** KEEL_RUNNING_SUMMARY_DELAY_MS, or RUNNING_SUMMARY_DELAY_MS. */
export function runningSummaryDelayMs(env: Pick<Env, 'KEEL_RUNNING_SUMMARY_DELAY_MS'>): number {
  const n = Number(env.KEEL_RUNNING_SUMMARY_DELAY_MS);
  return env.KEEL_RUNNING_SUMMARY_DELAY_MS !== undefined && Number.isFinite(n) && n >= 0 ? n : RUNNING_SUMMARY_DELAY_MS;
}

/** A pending summary's row in the object's state table: key `v/<run id>`, n = when it is due. */
const PREFIX = 'v/';
type PendingSummary = { version: number; attempts: number } & ({ summary: ExecutionSummary } | { deleted: { namespace: string } });

/** A deletion's version: greater than any summary's, so no pending summary of the run replaces it. */
const DELETED_VERSION = Number.MAX_SAFE_INTEGER;

export interface VisibilityOutboxOptions {
  /** Where summaries go; undefined when the Worker has no VISIBILITY binding. */
  store: SummaryStore | undefined;
  /** The object's time. */
  now: () => number;
  /** Asks for the alarm to fire by `due` (in the object's time) to retry a failed write. */
  retryBy: (due: number) => Promise<void>;
  /** How long a running run's summary waits (runningSummaryDelayMs). */
  runningDelayMs: number;
}

export class VisibilityOutbox implements SummaryWriter {
  /** Where summaries go. Tests replace it (e.g. with one that fails) through `runInDurableObject`. */
  store: SummaryStore | undefined;
  /** How long a running run's summary waits; tests set it through `runInDurableObject`. */
  runningDelayMs: number;
  private readonly inFlight = new Map<string, Promise<void>>();
  private warned = false;
  /**
   * False only when the table is known to be empty, so that the hot path (every task hand-off
   * calls `deliverDue`, every change `earliestDue`) asks storage nothing when nothing waits.
   * Starts true: rows may wait from before the object was last evicted.
   */
  private maybePending = true;

  private readonly rows: StateTable;

  /** @param table the workflow's rows under a prefix, kept in memory (WorkflowStore.table). */
  constructor(
    table: (mirrored: readonly string[]) => StateTable,
    private readonly options: VisibilityOutboxOptions,
  ) {
    this.rows = table([PREFIX]);
    this.store = options.store;
    this.runningDelayMs = options.runningDelayMs;
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
    // A pending summary of the run is replaced only by a newer one (a deletion is newer than any),
    // which keeps the earlier due time of the one it replaces (a close is due at once).
    const key = PREFIX + summary.runId;
    const pending = this.rows.get(key);
    if (pending && (JSON.parse(pending.v) as PendingSummary).version >= summary.version) return;
    const due = summary.status === 'RUNNING' ? now + this.runningDelayMs : now;
    this.rows.put(key, JSON.stringify({ version: summary.version, attempts: 0, summary } satisfies PendingSummary), pending?.n != null ? Math.min(pending.n, due) : due);
  }

  /**
   * Records that the run was deleted: its row goes from the store once this is delivered, after any
   * write of it under way (one delivery per run at a time), so nothing written later brings it back.
   * Inside the transaction that deletes the run; without a store, nothing to do.
   */
  enqueueDeletion(namespace: string, runId: string, _startTime: number | undefined, now: number): void {
    if (!this.store) return;
    this.maybePending = true;
    this.rows.put(PREFIX + runId, JSON.stringify({ version: DELETED_VERSION, attempts: 0, deleted: { namespace } } satisfies PendingSummary), now);
  }

  /** The object's storage was emptied (it had nothing pending): nothing to read until the next change. */
  dropped(): void {
    this.maybePending = false;
  }

  /** Its rows are storage's: a rollback takes them back, and nothing is kept in memory alone. */
  changeEnded(): void {}
  isListed(): boolean {
    return true;
  }

  /** When the earliest pending summary is due, or undefined when none is pending. */
  earliestDue(): number | undefined {
    if (!this.maybePending) return undefined;
    return this.rows.minN(PREFIX);
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
    const due = this.rows.range(PREFIX, { nAtMost: this.options.now() });
    for (const { k } of due) {
      const runId = k.slice(PREFIX.length);
      if (this.inFlight.has(runId)) continue;
      this.inFlight.set(
        runId,
        this.deliverRun(runId).finally(() => this.inFlight.delete(runId)),
      );
    }
    await Promise.all(this.inFlight.values());
    this.maybePending = this.rows.lastKey(PREFIX) !== undefined;
    return due.length;
  }

  private async deliverRun(runId: string): Promise<void> {
    // Loops because a newer summary of the run may be recorded while a write is under way.
    for (;;) {
      const stored = this.rows.get(PREFIX + runId);
      const store = this.store;
      if (!stored || stored.n! > this.options.now() || !store) return;
      const row = JSON.parse(stored.v) as PendingSummary;
      try {
        if ('deleted' in row) await store.remove(row.deleted.namespace, runId);
        else await store.write(row.summary);
        // Deleted only if no newer summary replaced it meanwhile.
        if (this.version(runId) === row.version) this.rows.delete(PREFIX + runId);
      } catch (err) {
        const backoff = Math.min(1000 * 2 ** row.attempts, RETRY_MAX_MS);
        console.warn(`visibility: writing the summary of run ${runId} failed (attempt ${row.attempts + 1}); retrying in ${backoff} ms`, err);
        const due = this.options.now() + backoff;
        if (this.version(runId) === row.version) this.rows.put(PREFIX + runId, JSON.stringify({ ...row, attempts: row.attempts + 1 }), due);
        await this.options.retryBy(due);
        return;
      }
    }
  }

  /** The version of the run's pending summary, if one is pending. */
  private version(runId: string): number | undefined {
    const row = this.rows.get(PREFIX + runId);
    return row ? (JSON.parse(row.v) as PendingSummary).version : undefined;
  }
}
