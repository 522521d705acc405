/**
 * A run from the outside once it exists: finding it, signals, cancellation requests,
 * termination, and the close every way of ending a run goes through.
 */
import type { AttributesOf, EventType, Payload, WorkflowExecutionStatus } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';
import { afterRunClosed } from './child-workflows.js';
import { isRunning, type RunState } from './run-state.js';
import type { Txn } from './transaction.js';
import { addInputEvent, flushBuffered } from './workflow-tasks.js';

/** The run a request names (its run id, else the latest), or WORKFLOW_NOT_FOUND; `tx` a change, or a read's view of the store (`WorkflowStore.reader`). */
export function resolveRun(tx: Pick<Txn, 'currentRunId' | 'loadRun'>, workflowId: string, runId: string | undefined): RunState {
  const id = runId || tx.currentRunId();
  const run = id ? tx.loadRun(id) : undefined;
  if (!run) {
    throw new ServiceError('WORKFLOW_NOT_FOUND', runId ? `Workflow '${workflowId}' has no run '${runId}'.` : `Workflow '${workflowId}' not found.`, { workflowId, ...(runId ? { runId } : {}) });
  }
  return run;
}

export function requireRunning(run: RunState): RunState {
  if (!isRunning(run)) {
    throw new ServiceError('WORKFLOW_NOT_RUNNING', `Workflow '${run.workflowId}' run ${run.runId} has already closed (${run.status}); only a running run takes signals, cancellation and termination — start a new run to go on.`, { workflowId: run.workflowId, runId: run.runId, status: run.status });
  }
  return run;
}

export function signalWorkflow(tx: Txn, run: RunState, signalName: string, input: Payload[], identity?: string, header?: Record<string, Payload>): void {
  addInputEvent(tx, requireRunning(run), 'WorkflowExecutionSignaled', { signalName, input, identity, ...(header ? { header } : {}) });
}

export function requestCancelWorkflow(tx: Txn, run: RunState, reason?: string, identity?: string): void {
  requireRunning(run);
  if (run.cancelRequested) return; // Asking twice is harmless, as in Temporal.
  run.cancelRequested = true;
  addInputEvent(tx, run, 'WorkflowExecutionCancelRequested', { ...(reason ? { cause: reason } : {}), identity });
}

export function terminateRun(tx: Txn, run: RunState, reason?: string, details?: Payload[], identity?: string): void {
  requireRunning(run);
  flushBuffered(tx, run);
  closeRun(tx, run, 'TERMINATED', 'WorkflowExecutionTerminated', { ...(reason ? { reason } : {}), ...(details ? { details } : {}), identity });
}

/** Writes the close event and drops everything the run waited for. */
export function closeRun<T extends EventType>(tx: Txn, run: RunState, status: WorkflowExecutionStatus, eventType: T, attributes: AttributesOf<T>): void {
  run.closeEventId = tx.addEvent(run, eventType, attributes);
  run.status = status;
  run.closeTime = tx.now;
  run.workflowTask = undefined;
  run.buffered = [];
  run.activities = {};
  run.timers = {};
  run.sticky = undefined;
  run.firstWorkflowTaskAt = undefined;
  afterRunClosed(tx, run, eventType, attributes as Record<string, unknown>);
  tx.touch(run);
  tx.markVisibility(run);
}
