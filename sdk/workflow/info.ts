// Owns `workflowInfo()`: Temporal's WorkflowInfo, built from the run's start info and the
// current activation.
import { decompileRetryPolicy, mapFromPayloads, typedSearchAttributesFromWire } from '../common/index.js';
import type { Activator } from './activator.js';
import { assertInWorkflowContext } from './global-state.js';
import type { WorkflowInfo } from './interfaces.js';
import { currentMemo, currentSearchAttributes } from './upsert.js';

// The real clock, captured before the sandbox's Date is made deterministic; only `unsafe.now()` reads it.
const RealDate = Date;

/** Builds the info of `activator`'s run as of now. */
export function buildWorkflowInfo(activator: Activator): WorkflowInfo {
  const start = activator.startInfo;
  if (!start) throw new TypeError('workflowInfo() is not available before the workflow starts');
  const isReplaying = activator.isReplaying;
  const info: WorkflowInfo = {
    workflowId: start.workflowId,
    runId: start.runId,
    workflowType: start.workflowType,
    namespace: start.namespace,
    taskQueue: start.taskQueue,
    attempt: start.attempt,
    firstExecutionRunId: start.firstExecutionRunId,
    continuedFromExecutionRunId: start.continuedFromExecutionRunId,
    // Keel's start info has one start time; the run's is the execution's for a first run.
    startTime: new RealDate(start.startTime),
    runStartTime: new RealDate(start.startTime),
    executionTimeoutMs: start.workflowExecutionTimeoutMs,
    executionExpirationTime:
      start.workflowExecutionTimeoutMs === undefined
        ? undefined
        : new RealDate(start.startTime + start.workflowExecutionTimeoutMs),
    runTimeoutMs: start.workflowRunTimeoutMs,
    taskTimeoutMs: start.workflowTaskTimeoutMs,
    retryPolicy: decompileRetryPolicy(start.retryPolicy),
    // As upserted so far (upsertMemo, upsertSearchAttributes), over the start's.
    memo: mapFromPayloads(activator.payloadConverter, currentMemo(activator)),
    searchAttributes: currentSearchAttributes(activator),
    typedSearchAttributes: typedSearchAttributesFromWire(currentSearchAttributes(activator)),
    historyLength: activator.historyLength,
    historySize: activator.historySize,
    continueAsNewSuggested: activator.continueAsNewSuggested,
    ...(start.cronSchedule !== undefined
      ? { cronSchedule: start.cronSchedule, cronScheduleToScheduleInterval: start.firstWorkflowTaskBackoffMs ?? 0 }
      : {}),
    ...(start.lastCompletionResult?.[0] !== undefined ? { lastResult: activator.payloadConverter.fromPayload(start.lastCompletionResult[0]) } : {}),
    ...(start.continuedFailure !== undefined ? { lastFailure: activator.failureConverter.failureToError(start.continuedFailure, activator.payloadConverter) } : {}),
    parent: start.parent ? { ...start.parent } : undefined,
    root: start.root ? { ...start.root } : undefined,
    unsafe: { isReplaying, now: () => RealDate.now() },
  };
  return Object.freeze(info);
}

/**
 * What the workflow knows about its run: ids, type, task queue, attempt, timeouts, memo, and
 * `unsafe.isReplaying`. Returns a frozen copy as of the call; call it again where you need it.
 *
 * @example
 * const { workflowId, attempt } = workflowInfo();
 */
export function workflowInfo(): WorkflowInfo {
  return buildWorkflowInfo(assertInWorkflowContext('workflowInfo()'));
}
