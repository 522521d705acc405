/**
 * Starts the next run of a chain from the run that closes (a workflow retry or the cron
 * schedule), in the closing run's transaction: the same workflow id, type, task queue, input,
 * header and options as the run's own start, the chain's first run and execution deadline, and
 * its first workflow task after `delayMs`. Continue-as-new, whose command chooses the new run's
 * options, has its own module.
 */
import type { Failure, Payload } from '../../protocol/index.js';
import { startWorkflow } from './start.js';
import type { RunState } from './run-state.js';
import type { Txn } from './transaction.js';

export interface NextRun {
  runId: string;
  delayMs: number;
  attempt: number;
  initiator: 'RETRY' | 'CRON_SCHEDULE';
  continuedFailure?: Failure;
  /** The chain's last successful result; when absent, the closing run's is carried on. */
  lastCompletionResult?: Payload[];
}

export function startNextRun(tx: Txn, run: RunState, next: NextRun): void {
  const started = tx.store.readEvents(run.runId, 1, 1)[0];
  if (started?.eventType !== 'WorkflowExecutionStarted') throw new Error(`run ${run.runId} has no WorkflowExecutionStarted event`);
  const a = started.attributes;
  const lastCompletionResult = next.lastCompletionResult ?? a.lastCompletionResult;
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
      ...(run.retryPolicy ? { retryPolicy: run.retryPolicy } : {}),
      ...(run.cronSchedule ? { cronSchedule: run.cronSchedule } : {}),
      ...(run.memo ? { memo: run.memo } : {}),
      ...(run.searchAttributes ? { searchAttributes: run.searchAttributes } : {}),
      ...(next.delayMs > 0 ? { startDelayMs: next.delayMs } : {}),
      ...(a.header ? { header: a.header } : {}),
    },
    next.runId,
    undefined,
    {
      firstRunId: run.firstRunId,
      continuedRunId: run.runId,
      ...(run.executionDeadline !== undefined ? { executionDeadline: run.executionDeadline } : {}),
      attempt: next.attempt,
      initiator: next.initiator,
      ...(lastCompletionResult ? { lastCompletionResult } : {}),
      ...(next.continuedFailure ? { continuedFailure: next.continuedFailure } : {}),
    },
  );
}
