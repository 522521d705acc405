/**
 * A run's state rebuilt from a prefix of its history, for a reset (reset.ts): what was pending
 * when the prefix ends — the workflow task, activities, timers, accepted updates, the cancel
 * request — and the memo and search attributes as the upserts left them. Temporal rebuilds its
 * mutable state the same way, by running the events again. Pure: events in, state out.
 */
import type { HistoryEvent } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';
import { withRetryDefaults } from './retry.js';
import type { ActivityState, RunState, TimerState, UpdateState } from './run-state.js';
import { mergeSearchAttributes } from './upsert.js';
import { fireTimeOf } from './timer-anchor.js';

/** The workflow task pending at the end of the prefix: the one a reset fails. */
export interface PendingWorkflowTask {
  scheduledEventId: number;
  startedEventId?: number;
}

export interface RebuiltRun {
  /** The new run's state, its history not yet written (`nextEventId` is 1). */
  run: RunState;
  task: PendingWorkflowTask;
}

const CHILD_CLOSES = new Set([
  'StartChildWorkflowExecutionFailed',
  'ChildWorkflowExecutionCompleted',
  'ChildWorkflowExecutionFailed',
  'ChildWorkflowExecutionCanceled',
  'ChildWorkflowExecutionTimedOut',
  'ChildWorkflowExecutionTerminated',
]);
const EXTERNAL_ANSWERS = new Set([
  'ExternalWorkflowExecutionSignaled',
  'SignalExternalWorkflowExecutionFailed',
  'ExternalWorkflowExecutionCancelRequested',
  'RequestCancelExternalWorkflowExecutionFailed',
]);

const invalidPoint = (message: string, details: Record<string, unknown>) => new ServiceError('INVALID_RESET_POINT', message, details);

/**
 * Rebuilds `base`'s state from its events 1..n (`prefix`) as a new run `newRunId` at `now`.
 * Pending activities are scheduled afresh (attempt 1, timeouts counted from now); timers keep the
 * time they were due to fire (one already past fires at once).
 * @throws {ServiceError} INVALID_RESET_POINT when no workflow task is pending at the end of the
 * prefix (Temporal's rule: the point is in [WorkflowTaskScheduled + 1, WorkflowTaskStarted + 1]),
 * or when a child workflow or a call to another workflow was pending there: those were started by
 * the old run and cannot be handed to the new one.
 */
export function rebuildRun(base: RunState, prefix: HistoryEvent[], newRunId: string, now: number): RebuiltRun {
  const first = prefix[0];
  if (first?.eventType !== 'WorkflowExecutionStarted') throw invalidPoint('The history to reset has no WorkflowExecutionStarted event.', { runId: base.runId });
  const s = first.attributes;
  let task: PendingWorkflowTask | undefined;
  let lastCompletedStartedEventId = 0;
  let memo = s.memo;
  let searchAttributes = s.searchAttributes;
  let cancelRequested = false;
  const activities: Record<string, ActivityState> = {};
  const timers: Record<string, TimerState> = {};
  const updates: Record<string, UpdateState> = {};
  const children = new Map<number, string>();
  const external = new Set<number>();

  for (const e of prefix) {
    switch (e.eventType) {
      case 'WorkflowTaskScheduled':
        task = { scheduledEventId: e.eventId };
        break;
      case 'WorkflowTaskStarted':
        if (task) task.startedEventId = e.eventId;
        break;
      case 'WorkflowTaskCompleted':
        lastCompletedStartedEventId = e.attributes.startedEventId;
        task = undefined;
        break;
      case 'WorkflowTaskFailed':
      case 'WorkflowTaskTimedOut':
        task = undefined;
        break;
      case 'ActivityTaskScheduled': {
        const a = e.attributes;
        activities[e.eventId] = {
          scheduledEventId: e.eventId,
          activityId: a.activityId,
          activityType: a.activityType,
          taskQueue: a.taskQueue,
          scheduleToCloseTimeoutMs: a.scheduleToCloseTimeoutMs ?? 0,
          scheduleToStartTimeoutMs: a.scheduleToStartTimeoutMs ?? 0,
          startToCloseTimeoutMs: a.startToCloseTimeoutMs ?? 0,
          heartbeatTimeoutMs: a.heartbeatTimeoutMs ?? 0,
          retryPolicy: withRetryDefaults(a.retryPolicy),
          scheduledTime: now,
          attempt: 1,
          currentAttemptScheduledTime: now,
        };
        break;
      }
      case 'ActivityTaskCancelRequested': {
        const act = activities[e.attributes.scheduledEventId];
        if (act) act.cancelRequestedEventId = e.eventId;
        break;
      }
      case 'ActivityTaskCompleted':
      case 'ActivityTaskFailed':
      case 'ActivityTaskTimedOut':
      case 'ActivityTaskCanceled':
        delete activities[e.attributes.scheduledEventId];
        break;
      case 'TimerStarted':
        timers[e.attributes.timerId] = { timerId: e.attributes.timerId, startedEventId: e.eventId, fireAt: fireTimeOf(e) };
        break;
      case 'TimerFired':
      case 'TimerCanceled':
        delete timers[e.attributes.timerId];
        break;
      case 'WorkflowExecutionCancelRequested':
        cancelRequested = true;
        break;
      case 'UpsertWorkflowSearchAttributes':
        searchAttributes = mergeSearchAttributes(searchAttributes, e.attributes.searchAttributes);
        break;
      case 'WorkflowPropertiesModified': {
        const merged = { ...(memo ?? {}) };
        for (const [name, payload] of Object.entries(e.attributes.upsertedMemo)) {
          if (payload === null) delete merged[name];
          else merged[name] = payload;
        }
        memo = Object.keys(merged).length > 0 ? merged : undefined;
        break;
      }
      case 'WorkflowExecutionUpdateAccepted':
        updates[e.attributes.protocolInstanceId] = { acceptedEventId: e.eventId };
        break;
      case 'WorkflowExecutionUpdateCompleted': {
        const u = updates[e.attributes.meta.updateId];
        if (u) u.completedEventId = e.eventId;
        break;
      }
      case 'StartChildWorkflowExecutionInitiated':
        children.set(e.eventId, e.attributes.workflowId);
        break;
      case 'SignalExternalWorkflowExecutionInitiated':
      case 'RequestCancelExternalWorkflowExecutionInitiated':
        external.add(e.eventId);
        break;
      default:
        if (CHILD_CLOSES.has(e.eventType)) children.delete((e.attributes as { initiatedEventId: number }).initiatedEventId);
        else if (EXTERNAL_ANSWERS.has(e.eventType)) external.delete((e.attributes as { initiatedEventId: number }).initiatedEventId);
    }
  }

  const pointId = (prefix.at(-1)?.eventId ?? 0) + 1;
  if (!task) {
    throw invalidPoint(
      `Cannot reset run ${base.runId} to event ${pointId}: a reset point is an event just after a workflow task was scheduled or started (in [WorkflowTaskScheduled + 1, WorkflowTaskStarted + 1]), usually a WorkflowTaskCompleted; event ${pointId - 1} leaves no workflow task pending.`,
      { runId: base.runId, eventId: pointId },
    );
  }
  if (children.size > 0) {
    throw invalidPoint(
      `Cannot reset run ${base.runId} to event ${pointId}: child workflow ${[...children.values()].map((id) => `'${id}'`).join(', ')} started before that point was still running there; reset to a point before the child was started, or after it closed.`,
      { runId: base.runId, eventId: pointId, pendingChildren: [...children.values()] },
    );
  }
  if (external.size > 0) {
    throw invalidPoint(
      `Cannot reset run ${base.runId} to event ${pointId}: a signal or cancellation sent to another workflow had no answer yet there; reset to a point after its answer.`,
      { runId: base.runId, eventId: pointId },
    );
  }

  const run: RunState = {
    namespace: base.namespace,
    workflowId: base.workflowId,
    runId: newRunId,
    firstRunId: base.firstRunId,
    workflowType: s.workflowType,
    taskQueue: s.taskQueue,
    status: 'RUNNING',
    startTime: now,
    executionTime: now,
    workflowTaskTimeoutMs: s.workflowTaskTimeoutMs,
    // The run timeout counts afresh from the reset; the chain's execution deadline stays.
    ...(s.workflowRunTimeoutMs ? { workflowRunTimeoutMs: s.workflowRunTimeoutMs, runDeadline: now + s.workflowRunTimeoutMs } : {}),
    ...(base.workflowExecutionTimeoutMs ? { workflowExecutionTimeoutMs: base.workflowExecutionTimeoutMs } : {}),
    ...(base.executionDeadline !== undefined ? { executionDeadline: base.executionDeadline } : {}),
    ...(memo ? { memo } : {}),
    ...(searchAttributes ? { searchAttributes } : {}),
    ...(s.retryPolicy ? { retryPolicy: s.retryPolicy } : {}),
    ...(s.cronSchedule ? { cronSchedule: s.cronSchedule } : {}),
    attempt: s.attempt,
    nextEventId: 1,
    buffered: [],
    activities,
    timers,
    cancelRequested,
    lastCompletedStartedEventId,
    taskSeq: 0,
    ...(Object.keys(updates).length > 0 ? { updates } : {}),
    ...(base.parent ? { parent: base.parent } : {}),
    resetFromRunId: base.runId,
  };
  return { run, task };
}
