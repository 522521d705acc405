// Owns turning history's input events (the ones the workflow reacts to) into activation jobs,
// and the deterministic per-run values the start job carries.
import type { EventOf, Failure, HistoryEvent } from '../../protocol/index.js';
import { IllegalStateError } from '../common/errors.js';
import { FAILURE_SOURCE } from '../common/failure.js';
import type { ActivationJob, WorkflowStartInfo } from '../workflow/activation.js';

/** Who a run is: what the history itself does not say. */
export interface RunIdentity {
  namespace: string;
  workflowId: string;
  runId: string;
}

/** What the machine remembers of a scheduled activity, by its ActivityTaskScheduled event id. */
export interface ScheduledActivity {
  activityId: string;
  activityType: string;
}

/**
 * The seed of the workflow's `Math.random`, from the run's original run id (FNV-1a, 32 bits).
 *
 * Why the original run id: it is in the WorkflowExecutionStarted event, so a replay that knows
 * only the history (`runReplayHistory`) and a live worker derive the same seed; and it survives
 * a reset, whose new run replays the old run's events and must draw the same numbers.
 */
export function randomnessSeed(originalRunId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < originalRunId.length; i++) {
    hash ^= originalRunId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The `startWorkflow` job of a run, from its WorkflowExecutionStarted event. */
export function startWorkflowJob(event: EventOf<'WorkflowExecutionStarted'>, run: RunIdentity): ActivationJob {
  const a = event.attributes;
  const info: WorkflowStartInfo = {
    namespace: run.namespace,
    workflowId: run.workflowId,
    runId: run.runId,
    workflowType: a.workflowType,
    taskQueue: a.taskQueue,
    attempt: a.attempt,
    firstExecutionRunId: a.firstExecutionRunId,
    workflowTaskTimeoutMs: a.workflowTaskTimeoutMs,
    startTime: Date.parse(event.eventTime),
    ...(a.continuedExecutionRunId !== undefined ? { continuedFromExecutionRunId: a.continuedExecutionRunId } : {}),
    ...(a.workflowExecutionTimeoutMs !== undefined ? { workflowExecutionTimeoutMs: a.workflowExecutionTimeoutMs } : {}),
    ...(a.workflowRunTimeoutMs !== undefined ? { workflowRunTimeoutMs: a.workflowRunTimeoutMs } : {}),
    ...(a.retryPolicy !== undefined ? { retryPolicy: a.retryPolicy } : {}),
    ...(a.memo !== undefined ? { memo: a.memo } : {}),
    ...(a.searchAttributes !== undefined ? { searchAttributes: a.searchAttributes } : {}),
    ...(a.cronSchedule !== undefined ? { cronSchedule: a.cronSchedule } : {}),
    ...(a.firstWorkflowTaskBackoffMs !== undefined ? { firstWorkflowTaskBackoffMs: a.firstWorkflowTaskBackoffMs } : {}),
    ...(a.lastCompletionResult !== undefined ? { lastCompletionResult: a.lastCompletionResult } : {}),
    ...(a.continuedFailure !== undefined ? { continuedFailure: a.continuedFailure } : {}),
    ...(a.parentWorkflowExecution !== undefined
      ? { parent: { ...a.parentWorkflowExecution, namespace: a.parentWorkflowNamespace ?? run.namespace } }
      : {}),
    ...(a.rootWorkflowExecution !== undefined ? { root: { ...a.rootWorkflowExecution } } : {}),
  };
  return {
    type: 'startWorkflow',
    workflowType: a.workflowType,
    args: a.input,
    info,
    randomnessSeed: randomnessSeed(a.originalExecutionRunId || run.runId),
    ...(a.header ? { headers: a.header } : {}),
  };
}

/**
 * The activation job an input event produces, or `undefined` for events the workflow does not
 * see (workflow task bookkeeping, ActivityTaskStarted, command events, run-closing events the
 * service writes on its own). `activityOf` finds an activity by its scheduled event id.
 *
 * @throws {IllegalStateError} when an activity event refers to a scheduled event this run has not seen.
 */
export function jobForInputEvent(
  event: HistoryEvent,
  run: RunIdentity,
  activityOf: (scheduledEventId: number) => ScheduledActivity | undefined,
): ActivationJob | undefined {
  const activity = (scheduledEventId: number): ScheduledActivity => {
    const found = activityOf(scheduledEventId);
    if (!found) {
      throw new IllegalStateError(`Malformed history: ${event.eventType} at event ${event.eventId} refers to scheduled event ${scheduledEventId}, which is not an ActivityTaskScheduled event of this run`);
    }
    return found;
  };
  switch (event.eventType) {
    case 'WorkflowExecutionStarted':
      return startWorkflowJob(event, run);
    case 'TimerFired':
      return { type: 'fireTimer', timerId: event.attributes.timerId };
    case 'ActivityTaskCompleted': {
      const { result } = event.attributes;
      return {
        type: 'resolveActivity',
        activityId: activity(event.attributes.scheduledEventId).activityId,
        result: { completed: result !== undefined ? { result } : {} },
      };
    }
    case 'ActivityTaskFailed':
    case 'ActivityTaskTimedOut':
      // The event's failure as recorded; the runtime wraps it in an ActivityFailure.
      return {
        type: 'resolveActivity',
        activityId: activity(event.attributes.scheduledEventId).activityId,
        result: { failed: { failure: event.attributes.failure } },
      };
    case 'ActivityTaskCanceled':
      return {
        type: 'resolveActivity',
        activityId: activity(event.attributes.scheduledEventId).activityId,
        result: { cancelled: { failure: activityCancelledFailure(event) } },
      };
    case 'WorkflowExecutionSignaled':
      return { type: 'signalWorkflow', signalName: event.attributes.signalName, args: event.attributes.input, ...(event.attributes.header ? { headers: event.attributes.header } : {}) };
    case 'WorkflowExecutionCancelRequested':
      return { type: 'cancelWorkflow' };
    case 'WorkflowExecutionUpdateAccepted': {
      // Accepted means validated: the handler runs without the validator, on replay too.
      const { meta, input } = event.attributes.acceptedRequest;
      return { type: 'doUpdate', updateId: meta.updateId, name: input.name, args: input.args, ...(input.header ? { headers: input.header } : {}) };
    }
    default:
      return undefined;
  }
}

/** The CancelledFailure an ActivityTaskCanceled event stands for (the runtime wraps it in an ActivityFailure). */
function activityCancelledFailure(event: EventOf<'ActivityTaskCanceled'>): Failure {
  const { details } = event.attributes;
  return {
    message: 'Activity cancelled',
    source: FAILURE_SOURCE,
    canceledFailureInfo: details !== undefined ? { details } : {},
  };
}
