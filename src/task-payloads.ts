/**
 * What a worker receives for a started task: the workflow task (history, attempt, times), the
 * activity task (input from its ActivityTaskScheduled, timeouts, retry policy) and the query or
 * update-validation task, each with its signed token. Built from stored state; no I/O but signing.
 */
import type { ActivityTask, HistoryEvent, WorkflowTask } from '../protocol/index.js';
import type { ActivityState, RunState } from './engine/run-state.js';
import type { PendingQuery } from './query-broker.js';
import { signTaskToken, type TaskRef, type TaskTokenData } from './task-token.js';

/** A started workflow task of `run`, with the history the worker needs (all of it, or what a sticky worker lacks). */
export async function workflowTaskFor(run: RunState, token: TaskTokenData, history: HistoryEvent[], secret: string | undefined): Promise<WorkflowTask> {
  const wt = run.workflowTask!;
  return {
    taskToken: await signTaskToken(token, secret),
    workflowExecution: { workflowId: run.workflowId, runId: run.runId },
    workflowType: run.workflowType,
    attempt: wt.attempt,
    previousStartedEventId: run.lastCompletedStartedEventId,
    startedEventId: wt.startedEventId!,
    history,
    scheduledTime: new Date(wt.scheduledTime).toISOString(),
    startedTime: new Date(wt.startedTime!).toISOString(),
  };
}

/** A started activity attempt; `scheduled` is its ActivityTaskScheduled event (input and header). */
export async function activityTaskFor(run: RunState, act: ActivityState, scheduled: HistoryEvent | undefined, secret: string | undefined): Promise<ActivityTask> {
  const attrs = scheduled?.eventType === 'ActivityTaskScheduled' ? scheduled.attributes : undefined;
  const token: TaskTokenData = { namespace: run.namespace, workflowId: run.workflowId, runId: run.runId, kind: 'activity', scheduledEventId: act.scheduledEventId, attempt: act.attempt, startedEventId: 0 };
  return {
    taskToken: await signTaskToken(token, secret),
    workflowNamespace: run.namespace,
    workflowType: run.workflowType,
    workflowExecution: { workflowId: run.workflowId, runId: run.runId },
    activityId: act.activityId,
    activityType: act.activityType,
    taskQueue: act.taskQueue,
    input: attrs?.input ?? [],
    ...(attrs?.header ? { header: attrs.header } : {}),
    scheduledTime: new Date(act.scheduledTime).toISOString(),
    currentAttemptScheduledTime: new Date(act.currentAttemptScheduledTime).toISOString(),
    startedTime: new Date(act.startedTime!).toISOString(),
    attempt: act.attempt,
    ...(act.scheduleToCloseTimeoutMs ? { scheduleToCloseTimeoutMs: act.scheduleToCloseTimeoutMs } : {}),
    ...(act.startToCloseTimeoutMs ? { startToCloseTimeoutMs: act.startToCloseTimeoutMs } : {}),
    ...(act.heartbeatTimeoutMs ? { heartbeatTimeoutMs: act.heartbeatTimeoutMs } : {}),
    ...(act.heartbeatDetails ? { heartbeatDetails: act.heartbeatDetails } : {}),
    retryPolicy: act.retryPolicy,
  };
}

/**
 * A query or update-validation task: always with the full history (a worker that holds the run
 * answers from its cache and ignores it; any other replays it).
 */
export async function queryTaskFor(run: RunState, ref: TaskRef, q: PendingQuery, history: HistoryEvent[], now: number, secret: string | undefined): Promise<WorkflowTask> {
  const token: TaskTokenData = { ...ref, startedEventId: 0 };
  return {
    taskToken: await signTaskToken(token, secret),
    workflowExecution: { workflowId: run.workflowId, runId: run.runId },
    workflowType: run.workflowType,
    attempt: 1,
    previousStartedEventId: run.lastCompletedStartedEventId,
    startedEventId: history.at(-1)?.eventId ?? 0,
    history,
    ...(q.update ? { update: q.update } : { query: { queryType: q.queryType, queryArgs: q.queryArgs } }),
    scheduledTime: new Date(q.createdAt).toISOString(),
    startedTime: new Date(now).toISOString(),
  };
}
