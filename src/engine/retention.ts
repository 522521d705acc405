/**
 * Retention: a closed run is kept for its namespace's retention period after its close, then
 * deleted (Temporal's retention). Which runs are past it and when the next one will be (pure), and
 * the termination a deletion of a running run begins with.
 */
import { resolveRun, terminateRun } from './run-control.js';
import { isRunning } from './run-state.js';
import type { Txn } from './transaction.js';

export interface ClosedRun {
  runId: string;
  /** When it closed (ms since the epoch, the object's time). */
  closeTime: number;
}

/** When a run closed at `closeTime` is due for deletion. */
export const deletionDue = (closeTime: number, retentionMs: number) => closeTime + retentionMs;

/** The closed runs whose retention has passed by `now`. */
export function runsPastRetention(runs: readonly ClosedRun[], retentionMs: number, now: number): string[] {
  return runs.filter((r) => deletionDue(r.closeTime, retentionMs) <= now).map((r) => r.runId);
}

/** When the next deletion is due: the earliest close plus the retention; undefined when no run is closed. */
export function nextDeletion(earliestClose: number | undefined, retentionMs: number): number | undefined {
  return earliestClose === undefined ? undefined : deletionDue(earliestClose, retentionMs);
}

/**
 * DeleteWorkflowExecution's first step, in the change before the deletion: the run (the current
 * one unless named) is terminated if it is still running. Returns the run to delete.
 */
export function terminateBeforeDeletion(tx: Txn, workflowId: string, req: { runId?: string; reason?: string; identity?: string }): string {
  const run = resolveRun(tx, workflowId, req.runId);
  if (isRunning(run)) terminateRun(tx, run, req.reason ?? 'deleted', undefined, req.identity);
  return run.runId;
}
