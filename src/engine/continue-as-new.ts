/**
 * Continue-as-new, as Temporal's: the ContinueAsNewWorkflowExecution command closes the run with
 * WorkflowExecutionContinuedAsNew (status CONTINUED_AS_NEW) and, in the same transaction, starts
 * the next run under the same workflow id with a fresh history. The new run keeps the chain
 * (firstExecutionRunId, the execution timeout's deadline) and, unless the command overrides them,
 * the closing run's type, task queue, run and task timeouts, retry policy, memo and search
 * attributes. Both runs' summaries go to the visibility store (closeRun and startWorkflow mark them).
 */
import type { CommandOf } from '../../protocol/index.js';
import { closeRun } from './run-control.js';
import { startWorkflow } from './start.js';
import type { RunState } from './run-state.js';
import type { Txn } from './transaction.js';

export function continueAsNew(tx: Txn, run: RunState, cmd: CommandOf<'ContinueAsNewWorkflowExecution'>, completedEventId: number, identity: string | undefined): string {
  const newRunId = tx.makeRunId();
  const workflowType = cmd.workflowType ?? run.workflowType;
  const taskQueue = cmd.taskQueue ?? run.taskQueue;
  const workflowRunTimeoutMs = cmd.workflowRunTimeoutMs ?? run.workflowRunTimeoutMs;
  const workflowTaskTimeoutMs = cmd.workflowTaskTimeoutMs ?? run.workflowTaskTimeoutMs;
  closeRun(tx, run, 'CONTINUED_AS_NEW', 'WorkflowExecutionContinuedAsNew', {
    newExecutionRunId: newRunId,
    workflowType,
    taskQueue,
    input: cmd.input,
    ...(workflowRunTimeoutMs ? { workflowRunTimeoutMs } : {}),
    workflowTaskTimeoutMs,
    ...(cmd.backoffStartIntervalMs ? { backoffStartIntervalMs: cmd.backoffStartIntervalMs } : {}),
    workflowTaskCompletedEventId: completedEventId,
    ...(cmd.header ? { header: cmd.header } : {}),
  });
  // The chain's last successful result (a cron run's, for `workflowInfo().lastResult`) carries on
  // to the continued run, as Temporal's getLastCompletionResult does.
  const started = tx.store.readEvents(run.runId, 1, 1)[0];
  const lastCompletionResult = started?.eventType === 'WorkflowExecutionStarted' ? started.attributes.lastCompletionResult : undefined;
  const memo = cmd.memo ?? run.memo;
  const searchAttributes = cmd.searchAttributes ?? run.searchAttributes;
  const retryPolicy = cmd.retryPolicy ?? run.retryPolicy;
  startWorkflow(
    tx,
    run.namespace,
    {
      workflowId: run.workflowId,
      workflowType,
      taskQueue,
      input: cmd.input,
      workflowTaskTimeoutMs,
      ...(workflowRunTimeoutMs ? { workflowRunTimeoutMs } : {}),
      ...(run.workflowExecutionTimeoutMs ? { workflowExecutionTimeoutMs: run.workflowExecutionTimeoutMs } : {}),
      ...(retryPolicy ? { retryPolicy } : {}),
      ...(memo ? { memo } : {}),
      ...(searchAttributes ? { searchAttributes } : {}),
      ...(cmd.backoffStartIntervalMs ? { startDelayMs: cmd.backoffStartIntervalMs } : {}),
      ...(cmd.header ? { header: cmd.header } : {}),
      ...(identity ? { identity } : {}),
      // A cron workflow that continues as new stays on its schedule, as in Temporal.
      ...(run.cronSchedule ? { cronSchedule: run.cronSchedule } : {}),
    },
    newRunId,
    undefined,
    // A continued run starts its chain's attempts afresh, as in Temporal.
    {
      firstRunId: run.firstRunId,
      continuedRunId: run.runId,
      ...(run.executionDeadline !== undefined ? { executionDeadline: run.executionDeadline } : {}),
      attempt: 1,
      initiator: 'WORKFLOW',
      ...(lastCompletionResult ? { lastCompletionResult } : {}),
    },
  );
  return newRunId;
}
