/**
 * The child's side of its parent's close policy (TERMINATE or REQUEST_CANCEL), delivered through
 * the parent's call outbox when the parent closes.
 */
import type { WorkflowCall } from './workflow-call.js';
import { requestCancelWorkflow, terminateRun } from './run-control.js';
import { isRunning } from './run-state.js';
import type { Txn } from './transaction.js';

/**
 * The child's side of its parent's close policy. Applied only to the run this parent started (its
 * recorded parent is the sender), so a policy never reaches an unrelated workflow that reuses the id;
 * a child already closed is left as it is.
 */
export function applyParentClosePolicy(tx: Txn, call: Extract<WorkflowCall, { kind: 'parentClosePolicy' }>): void {
  // The current run, not the run that started: a child that continued as new (or is being
  // retried) is one child, and its latest run carries the same parent.
  const id = tx.currentRunId();
  const run = id ? tx.loadRun(id) : undefined;
  if (!run || !isRunning(run) || run.parent?.runId !== call.senderRunId || run.parent.initiatedEventId !== call.initiatedEventId) return;
  if (call.policy === 'TERMINATE') terminateRun(tx, run, 'by parent close policy');
  else requestCancelWorkflow(tx, run, 'by parent close policy');
}
