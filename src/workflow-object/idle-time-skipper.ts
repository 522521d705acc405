/**
 * KEEL_TIME_SKIPPING=auto (`TestWorkflowEnvironment.createTimeSkipping()`): while a client awaits
 * the current run's result and the run is idle, its time jumps to what it waits for
 * (src/engine/time-skip.ts). Checked after each change and when a result wait begins.
 */
import { idleUntil } from '../engine/time-skip.js';
import { ServiceError } from '../service-error.js';
import { Txn } from '../engine/transaction.js';
import type { Clock } from '../clock.js';
import type { WorkflowStore } from '../storage/workflow-store.js';
import type { HistoryWaiters } from './history-waiters.js';

export class IdleTimeSkipper {
  private skipping = false;

  constructor(
    private readonly deps: { enabled: boolean; store: WorkflowStore; clock: Clock; waiters: HistoryWaiters; advance: (byMs: number) => Promise<unknown> },
  ) {}

  /** Moves the object's clock forward by `byMs` (kept across restarts); the caller then runs the alarm. */
  moveClock(byMs: number, workflowId: string): void {
    if (this.deps.store.currentRunId() === undefined) throw new ServiceError('WORKFLOW_NOT_FOUND', `No workflow with id '${workflowId}'; start it before moving its time.`);
    this.deps.clock.advance(byMs);
    this.deps.store.setMeta('clockOffsetMs', String(this.deps.clock.offset));
  }

  check(): void {
    if (!this.deps.enabled || this.skipping) return;
    const tx = new Txn(this.deps.store, this.deps.clock.now());
    const current = tx.currentRunId();
    const run = current === undefined ? undefined : tx.loadRun(current);
    const until = run && this.deps.waiters.awaitsClose(run.runId) ? idleUntil(tx, run) : undefined;
    if (until === undefined) return;
    this.skipping = true;
    void this.deps.advance(until - tx.now).finally(() => (this.skipping = false));
  }
}
