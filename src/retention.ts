/**
 * Deleting a workflow object's runs: when its namespace's retention has passed since a run closed
 * (fired by the object's one alarm; in a shard, by the shard's retention sweep,
 * src/workflow-object/retention-sweep.ts), or when asked (DeleteWorkflowExecution). A deleted run's
 * history, rows and visibility row go; once the object keeps nothing — no run, no task, summary or
 * call on its way — its storage is emptied with `deleteAll`, so that nothing of it is billed.
 *
 * The retention is the namespace registry's, read through the isolate's namespace cache
 * (src/namespaces/cache.ts): the alarm is set from what the cache holds (the default 72 h when it
 * holds nothing), and when it fires the namespace is read again, so a run is never deleted before
 * its namespace's current retention has passed since its close; a retention raised meanwhile
 * postpones the deletion, a lowered one brings it forward from the next alarm on.
 */
import { DEFAULT_RETENTION_MS } from '../protocol/index.js';
import type { Env } from './env.js';
import { deletionDue, nextDeletion, runsPastRetention } from './engine/retention.js';
import { isRunning, type RunState } from './engine/run-state.js';
import type { Txn } from './engine/transaction.js';
import { lookupNamespace, peekNamespace } from './namespaces/cache.js';
import type { WorkflowStore } from './storage/workflow-store.js';
import type { SummaryWriter } from './visibility/summary.js';
import type { WorkflowCalls } from './workflow-calls.js';

export interface RunDeletionHost {
  env: Env;
  storage: Pick<DurableObjectStorage, 'transactionSync' | 'deleteAlarm' | 'deleteAll'>;
  store: WorkflowStore;
  visibility: SummaryWriter;
  calls: WorkflowCalls;
  namespace: () => string;
  now: () => number;
  /** Makes the alarm fire by `due` (the object's time), keeping an earlier one. */
  alarmBy: (due: number) => Promise<void>;
  /** The storage was emptied: the object forgets what it remembered of it (its alarm). */
  emptied: () => void;
  /**
   * In a shard: makes the shard's retention sweep fire by `due` (the object's time). Its closed runs
   * are deleted by that sweep, and the workflow's own alarm does not wait for them.
   */
  sweepBy?: (due: number) => void;
}

/** How long a deletion waits when its namespace could not be read (never guessed: a guess could delete early). */
const REGISTRY_RETRY_MS = 60_000;

export class RunDeletion {
  /** The earliest close time of the runs kept: undefined when not read yet, null when no run is closed. */
  private earliestClose: number | null | undefined;
  /** No deletion before this (object time): set when the namespace could not be read. */
  private notBefore = 0;

  constructor(private readonly host: RunDeletionHost) {}

  /** The retention as this isolate knows it now, without asking anyone. */
  private knownRetention(): number {
    return peekNamespace(this.host.namespace())?.retentionMs ?? DEFAULT_RETENTION_MS;
  }

  /**
   * When the next run is due for deletion (for the alarm; inside the change's transaction). Reads
   * storage once per activation of the object, then follows the closes it sees. In a shard: the
   * shard's sweep is armed for the change's closed runs, and nothing is due for this workflow's alarm.
   */
  nextDue(tx: Txn): number | undefined {
    const { sweepBy } = this.host;
    if (sweepBy) {
      for (const run of tx.runs.values()) if (!isRunning(run) && run.closeTime !== undefined) sweepBy(deletionDue(run.closeTime, this.knownRetention()));
      return undefined;
    }
    if (this.earliestClose === undefined) this.earliestClose = this.host.store.earliestCloseTime() ?? null;
    for (const run of tx.runs.values()) {
      if (!isRunning(run) && run.closeTime !== undefined && (this.earliestClose === null || run.closeTime < this.earliestClose)) this.earliestClose = run.closeTime;
    }
    const due = nextDeletion(this.earliestClose ?? undefined, this.knownRetention());
    return due === undefined ? undefined : Math.max(due, this.notBefore);
  }

  /**
   * After a change that closed a run: when this isolate did not know the namespace, the alarm was
   * set from the default retention; the namespace is read (off the answer's path) and the alarm
   * brought forward if its retention is shorter.
   */
  closed(runs: Iterable<RunState>): void {
    let earliest: number | undefined;
    for (const r of runs) if (!isRunning(r) && r.closeTime !== undefined) earliest = Math.min(earliest ?? Infinity, r.closeTime);
    if (earliest === undefined || peekNamespace(this.host.namespace())) return;
    const by = (due: number) => (this.host.sweepBy ? this.host.sweepBy(due) : this.host.alarmBy(due));
    void lookupNamespace(this.host.env, this.host.namespace())
      .then((ns) => (ns && ns.retentionMs < DEFAULT_RETENTION_MS ? by(earliest + ns.retentionMs) : undefined))
      .catch((err: unknown) => console.warn('keel: could not read the namespace for its retention; the run is deleted after the default 72 h at the latest', err));
  }

  /**
   * Deletes the closed runs past their namespace's retention (from the alarm, before its change;
   * `onItsClock`: also in a shard, when the workflow's clock was moved).
   * Asks the registry (through the cache) only when the retention known here says one is due.
   */
  async sweep(onItsClock = false): Promise<void> {
    const { store, now } = this.host;
    // In a shard the shard's sweep deletes them, on the wall clock; a workflow whose clock a test
    // moved (advanceTime, KEEL_TIME_SKIPPING) deletes its own on its clock, as an object of its own does.
    if (this.host.sweepBy && !onItsClock) return;
    if (this.earliestClose === undefined) this.earliestClose = store.earliestCloseTime() ?? null;
    const due = nextDeletion(this.earliestClose ?? undefined, this.knownRetention());
    if (due === undefined || Math.max(due, this.notBefore) > now()) return;
    let retention: number;
    try {
      retention = (await lookupNamespace(this.host.env, this.host.namespace()))?.retentionMs ?? DEFAULT_RETENTION_MS;
    } catch (err) {
      console.warn(`keel: could not read namespace '${this.host.namespace()}' for its retention; deleting later`, err);
      this.notBefore = now() + REGISTRY_RETRY_MS;
      return;
    }
    const past = runsPastRetention(store.closedRuns(), retention, now());
    // Never the running run: only closed runs have a close time.
    if (past.length > 0) this.delete(past);
    this.earliestClose = undefined;
  }

  /**
   * In a shard, for its retention sweep: deletes those of `runIds` this workflow keeps closed whose
   * retention (`retentionMs`, read when the sweep began) has passed by `now` — never a running run,
   * whatever the sweep read. Returns how many it deleted, and whether that emptied the workflow.
   *
   * When they are every run it keeps and nothing of it is on its way, the workflow is emptied in the
   * deletion's own transaction (`empty`): its rows go in one statement with the runs' list entries, as
   * `dropIfEmpty` would delete them after. Deleted run by run first, a first run's deletion would write
   * the row that names the workflow (its name lives in its only run until then: workflow-store.ts
   * `deleteRun`), only for the emptying to delete it: two billed rows per W1 for nothing, half of what
   * its deletion wrote (bench/RESULTS.md, "What a W1's deletion costs").
   */
  expire(runIds: readonly string[], retentionMs: number, now: number): { deleted: number; emptied: boolean } {
    const { store } = this.host;
    const named = new Set(runIds);
    const closed = store.closedRuns();
    const past = runsPastRetention(closed.filter((r) => named.has(r.runId)), retentionMs, now);
    if (past.length === 0) return { deleted: 0, emptied: false };
    const going = new Set(past);
    // A running run is the current one: every run goes when every closed one does and the current one is among them.
    const current = store.currentRunId();
    const all = closed.every((r) => going.has(r.runId)) && (current === undefined || going.has(current));
    if (this.host.sweepBy && all && this.nothingOnItsWay()) {
      this.empty(past);
      return { deleted: past.length, emptied: true };
    }
    this.delete(past);
    return { deleted: past.length, emptied: false };
  }

  /**
   * In a shard: deletes the runs' list entries and every row of the workflow (its storage's `deleteAll`,
   * which in a shard deletes the workflow's key scope and clears its slot, synchronously) in one
   * transaction, and memory forgets it as `dropIfEmpty` makes it.
   */
  private empty(runIds: readonly string[]): void {
    const { storage, store, visibility } = this.host;
    try {
      storage.transactionSync(() => {
        for (const runId of runIds) visibility.enqueueDeletion(this.host.namespace(), runId, store.loadRun(runId)?.startTime, this.host.now());
        void storage.deleteAll();
      });
    } catch (err) {
      store.forget();
      visibility.changeEnded(false);
      throw err;
    }
    visibility.changeEnded(true);
    this.forgetStorage();
  }

  /** Deletes runs in one transaction: their rows, and their visibility rows (in a shard's table, or through the outbox to D1). */
  delete(runIds: readonly string[]): void {
    const { storage, store, visibility } = this.host;
    try {
      storage.transactionSync(() => {
        for (const runId of runIds) {
          const startTime = store.loadRun(runId)?.startTime;
          store.deleteRun(runId);
          visibility.enqueueDeletion(this.host.namespace(), runId, startTime, this.host.now());
        }
      });
    } catch (err) {
      // Storage rolled back; what the store and the outboxes hold of it in memory goes too.
      store.forget();
      visibility.changeEnded(false);
      throw err;
    }
    visibility.changeEnded(true);
    this.earliestClose = undefined;
  }

  /**
   * Deletes one run now (DeleteWorkflowExecution; a running one was terminated first), delivers
   * what it leaves on its way (`deliver`: its visibility deletion, its parent's notice), and
   * empties the storage if nothing is left. A delivery that fails is retried by the alarm.
   */
  async deleteNow(runId: string, deliver: () => Promise<unknown>): Promise<void> {
    this.delete([runId]);
    await deliver();
    await this.dropIfEmpty();
  }

  /**
   * Empties the object's storage when it keeps nothing: no run, and no task, summary or call on its
   * way (those are delivered first; a failed one is retried by the alarm, which calls this again).
   */
  async dropIfEmpty(): Promise<boolean> {
    const { store, storage } = this.host;
    if (store.hasRuns() || !this.nothingOnItsWay()) return false;
    // Checked and emptied with no await in between: no request can slip in between the two.
    void storage.deleteAlarm();
    const emptied = storage.deleteAll();
    this.forgetStorage();
    // (deleteAlarm first: before compatibility date 2026-02-24 deleteAll kept the alarm.)
    await emptied;
    return true;
  }

  /** No task, summary or call of the workflow is on its way (each is delivered before its storage may go). */
  private nothingOnItsWay(): boolean {
    const { store, visibility, calls } = this.host;
    return store.outboxIsEmpty() && visibility.settled && calls.earliestDue() === undefined;
  }

  /** The workflow's storage was emptied: what memory holds of it goes. */
  private forgetStorage(): void {
    const { store, visibility, calls } = this.host;
    store.dropped();
    visibility.dropped();
    calls.dropped();
    this.earliestClose = undefined;
    this.host.emptied();
  }
}
