/**
 * The workflow retry policy, as Temporal's: a run that fails (FailWorkflowExecution) with a
 * retryable failure, under a retry policy that allows another attempt before the execution's
 * deadline, closes with WorkflowExecutionFailed (retryState IN_PROGRESS, newExecutionRunId), and
 * the next attempt starts in the same transaction: same workflow id, type, queue, input and
 * options, attempt + 1, its first workflow task after the back-off (firstWorkflowTaskBackoffMs).
 */
import type { Failure } from '../../protocol/index.js';
import { closeRun, startWorkflow } from './lifecycle.js';
import { decideRetry, withRetryDefaults } from './retry.js';
import type { RunState } from './run-state.js';
import type { Txn } from './transaction.js';

export function failWorkflow(tx: Txn, run: RunState, failure: Failure, completedEventId: number): void {
  if (!run.retryPolicy) {
    closeRun(tx, run, 'FAILED', 'WorkflowExecutionFailed', { failure, retryState: 'RETRY_POLICY_NOT_SET', workflowTaskCompletedEventId: completedEventId });
    return;
  }
  const decision = decideRetry({ policy: withRetryDefaults(run.retryPolicy), attempt: run.attempt, failure, now: tx.now, ...(run.executionDeadline !== undefined ? { deadline: run.executionDeadline } : {}) });
  if (!decision.retry) {
    closeRun(tx, run, 'FAILED', 'WorkflowExecutionFailed', { failure, retryState: decision.retryState, workflowTaskCompletedEventId: completedEventId });
    return;
  }
  const started = tx.store.readEvents(run.runId, 1, 1)[0];
  if (started?.eventType !== 'WorkflowExecutionStarted') throw new Error(`run ${run.runId} has no WorkflowExecutionStarted event`);
  const a = started.attributes;
  const newRunId = tx.makeRunId();
  closeRun(tx, run, 'FAILED', 'WorkflowExecutionFailed', { failure, retryState: 'IN_PROGRESS', workflowTaskCompletedEventId: completedEventId, newExecutionRunId: newRunId });
  startWorkflow(
    tx,
    run.namespace,
    {
      workflowId: run.workflowId,
      workflowType: run.workflowType,
      taskQueue: run.taskQueue,
      input: a.input,
      workflowTaskTimeoutMs: run.workflowTaskTimeoutMs,
      ...(run.workflowRunTimeoutMs ? { workflowRunTimeoutMs: run.workflowRunTimeoutMs } : {}),
      ...(run.workflowExecutionTimeoutMs ? { workflowExecutionTimeoutMs: run.workflowExecutionTimeoutMs } : {}),
      retryPolicy: run.retryPolicy,
      ...(run.memo ? { memo: run.memo } : {}),
      ...(run.searchAttributes ? { searchAttributes: run.searchAttributes } : {}),
      ...(decision.delayMs > 0 ? { startDelayMs: decision.delayMs } : {}),
      ...(a.header ? { header: a.header } : {}),
    },
    newRunId,
    undefined,
    { firstRunId: run.firstRunId, continuedRunId: run.runId, ...(run.executionDeadline !== undefined ? { executionDeadline: run.executionDeadline } : {}), attempt: run.attempt + 1 },
  );
}
