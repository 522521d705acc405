/**
 * Signal-with-start, as Temporal's: when the workflow id has a running run (and the conflict
 * policy is USE_EXISTING, the default), that run is signalled; otherwise a run is started with the
 * request's options (its reuse policy applies) and the signal is its first input, written right
 * after WorkflowExecutionStarted. Either way it is one transaction.
 */
import type { ParsedRequestOf } from '../../protocol/index.js';
import { checkCronSchedule } from './cron.js';
import { signalWorkflow } from './run-control.js';
import { startWorkflow } from './start.js';
import { isRunning } from './run-state.js';
import type { Txn } from './transaction.js';

type SignalWithStartRequest = ParsedRequestOf<'signalWithStartWorkflow'>;

export function signalWithStart(tx: Txn, namespace: string, workflowId: string, req: SignalWithStartRequest, newRunId: string): { runId: string; started: boolean } {
  const { signalName, signalInput, signalHeader, ...start } = req;
  // A bad schedule is refused even when the running run would just be signalled.
  checkCronSchedule(start, tx.now);
  const conflict = req.workflowIdConflictPolicy ?? (req.workflowIdReusePolicy === 'TERMINATE_IF_RUNNING' ? 'TERMINATE_EXISTING' : 'USE_EXISTING');
  const currentId = tx.currentRunId();
  const current = currentId ? tx.loadRun(currentId) : undefined;
  if (current && isRunning(current) && conflict === 'USE_EXISTING') {
    signalWorkflow(tx, current, signalName, signalInput, req.identity, signalHeader);
    return { runId: current.runId, started: false };
  }
  return startWorkflow(tx, namespace, { ...start, workflowId, workflowIdConflictPolicy: conflict }, newRunId, (run) => {
    tx.addEvent(run, 'WorkflowExecutionSignaled', { signalName, input: signalInput, identity: req.identity, ...(signalHeader ? { header: signalHeader } : {}) });
  });
}
