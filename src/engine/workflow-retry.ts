/**
 * The workflow retry policy, as Temporal's: a run that fails (FailWorkflowExecution) with a
 * retryable failure, or times out (its run timeout), under a retry policy that allows another
 * attempt before the execution's deadline, closes with WorkflowExecutionFailed / TimedOut
 * (retryState IN_PROGRESS, newExecutionRunId), and the next attempt starts in the same
 * transaction: same workflow id, type, queue, input and options, attempt + 1, its first workflow
 * task after the back-off (firstWorkflowTaskBackoffMs). A run that is not retried continues a cron
 * chain when it has one (cron.ts); the execution timeout ends the chain either way.
 */
import type { Failure, Payload } from '../../protocol/index.js';
import { nextCronBackoffMs } from './cron.js';
import { closeRun } from './run-control.js';
import { startNextRun, type NextRun } from './next-run.js';
import { decideRetry, withRetryDefaults } from './retry.js';
import type { RetryState } from '../../protocol/index.js';
import type { RunState } from './run-state.js';
import type { Txn } from './transaction.js';

/** What follows a failed or timed-out run: a retry, the next cron run, or nothing. */
function nextAfterFailure(tx: Txn, run: RunState, failure: Failure): { retryState: RetryState; next?: NextRun } {
  let retryState: RetryState = 'RETRY_POLICY_NOT_SET';
  if (run.retryPolicy) {
    const decision = decideRetry({ policy: withRetryDefaults(run.retryPolicy), attempt: run.attempt, failure, now: tx.now, ...(run.executionDeadline !== undefined ? { deadline: run.executionDeadline } : {}) });
    if (decision.retry) {
      return { retryState: 'IN_PROGRESS', next: { runId: tx.makeRunId(), delayMs: decision.delayMs, attempt: run.attempt + 1, initiator: 'RETRY', continuedFailure: failure } };
    }
    retryState = decision.retryState;
  }
  const cronBackoff = nextCronBackoffMs(tx, run);
  if (cronBackoff === undefined) return { retryState };
  return { retryState, next: { runId: tx.makeRunId(), delayMs: cronBackoff, attempt: 1, initiator: 'CRON_SCHEDULE', continuedFailure: failure } };
}

export function failWorkflow(tx: Txn, run: RunState, failure: Failure, completedEventId: number): void {
  const { retryState, next } = nextAfterFailure(tx, run, failure);
  closeRun(tx, run, 'FAILED', 'WorkflowExecutionFailed', { failure, retryState, workflowTaskCompletedEventId: completedEventId, ...(next ? { newExecutionRunId: next.runId } : {}) });
  if (next) startNextRun(tx, run, next);
}

/**
 * The run or execution timeout fired. A run timeout is retried by the retry policy, or continues
 * the cron, as Temporal's server does; the execution timeout ends the whole chain.
 */
export function timeOutRun(tx: Txn, run: RunState): void {
  const executionExpired = run.executionDeadline !== undefined && tx.now >= run.executionDeadline;
  // As Temporal's server: TIMEOUT when the execution expired, else what the retry policy says
  // (RETRY_POLICY_NOT_SET without one), a cron continuing either way.
  const { retryState, next }: { retryState: RetryState; next?: NextRun } = executionExpired
    ? { retryState: 'TIMEOUT' }
    : nextAfterFailure(tx, run, { message: 'workflow timeout', timeoutFailureInfo: { timeoutType: 'START_TO_CLOSE' } });
  closeRun(tx, run, 'TIMED_OUT', 'WorkflowExecutionTimedOut', { retryState, ...(next ? { newExecutionRunId: next.runId } : {}) });
  if (next) startNextRun(tx, run, next);
}

/** CompleteWorkflowExecution: closes the run COMPLETED and, for a cron, starts the next run with this result as its last. */
export function completeWorkflow(tx: Txn, run: RunState, result: Payload | undefined, completedEventId: number): void {
  const backoff = nextCronBackoffMs(tx, run);
  const newRunId = backoff === undefined ? undefined : tx.makeRunId();
  closeRun(tx, run, 'COMPLETED', 'WorkflowExecutionCompleted', { ...(result ? { result } : {}), workflowTaskCompletedEventId: completedEventId, ...(newRunId ? { newExecutionRunId: newRunId } : {}) });
  if (newRunId) startNextRun(tx, run, { runId: newRunId, delayMs: backoff!, attempt: 1, initiator: 'CRON_SCHEDULE', lastCompletionResult: result ? [result] : [] });
}
