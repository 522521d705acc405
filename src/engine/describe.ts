/** The describe answer, built from a run's state. */
import type { ResponseOf } from '../../protocol/index.js';
import { isoTime } from './iso-time.js';
import type { RunState } from './run-state.js';

const iso = (t: number | undefined) => (t === undefined ? undefined : isoTime(t));

export function describeRun(run: RunState): ResponseOf<'describeWorkflow'> {
  const wt = run.workflowTask;
  const started = wt?.startedTime !== undefined && !wt.handOff?.offered;
  return {
    execution: { workflowId: run.workflowId, runId: run.runId },
    workflowType: run.workflowType,
    taskQueue: run.taskQueue,
    status: run.status,
    startTime: iso(run.startTime)!,
    executionTime: iso(run.executionTime)!,
    ...(run.closeTime !== undefined ? { closeTime: iso(run.closeTime) } : {}),
    historyLength: run.nextEventId - 1,
    firstRunId: run.firstRunId,
    ...(run.memo ? { memo: run.memo } : {}),
    ...(run.searchAttributes ? { searchAttributes: run.searchAttributes } : {}),
    ...(run.workflowExecutionTimeoutMs ? { workflowExecutionTimeoutMs: run.workflowExecutionTimeoutMs } : {}),
    ...(run.workflowRunTimeoutMs ? { workflowRunTimeoutMs: run.workflowRunTimeoutMs } : {}),
    workflowTaskTimeoutMs: run.workflowTaskTimeoutMs,
    pendingActivities: Object.values(run.activities).map((a) => ({
      activityId: a.activityId,
      activityType: a.activityType,
      scheduledEventId: a.scheduledEventId,
      state: a.cancelRequestedEventId !== undefined ? 'CANCEL_REQUESTED' : a.startedTime !== undefined ? 'STARTED' : 'SCHEDULED',
      attempt: a.attempt,
      maximumAttempts: a.retryPolicy.maximumAttempts,
      scheduledTime: iso(a.scheduledTime)!,
      ...(a.startedTime !== undefined ? { lastStartedTime: iso(a.startedTime) } : {}),
      ...(a.lastHeartbeatTime !== undefined ? { lastHeartbeatTime: iso(a.lastHeartbeatTime) } : {}),
      ...(a.heartbeatDetails ? { heartbeatDetails: a.heartbeatDetails } : {}),
      ...(a.lastFailure ? { lastFailure: a.lastFailure } : {}),
      ...(a.lastWorkerIdentity ? { lastWorkerIdentity: a.lastWorkerIdentity } : {}),
      ...(a.retryAt !== undefined ? { nextAttemptScheduleTime: iso(a.retryAt) } : {}),
      ...(a.scheduleToCloseTimeoutMs > 0 ? { expirationTime: iso(a.scheduledTime + a.scheduleToCloseTimeoutMs) } : {}),
    })),
    ...(wt
      ? {
          pendingWorkflowTask: {
            // An offered task not acknowledged yet may wait in its queue's backlog: not known to have started.
            state: started ? ('STARTED' as const) : ('SCHEDULED' as const),
            scheduledTime: iso(wt.scheduledTime)!,
            ...(started ? { startedTime: iso(wt.startedTime) } : {}),
            attempt: wt.attempt,
          },
        }
      : {}),
    ...(run.sticky ? { stickyTaskQueue: run.sticky.taskQueue } : {}),
    ...(run.cronSchedule ? { cronSchedule: run.cronSchedule } : {}),
    ...(run.children && Object.keys(run.children).length > 0
      ? {
          pendingChildren: Object.values(run.children).map((c) => ({
            workflowId: c.workflowId,
            ...(c.runId ? { runId: c.runId } : {}),
            workflowTypeName: c.workflowType,
            initiatedId: c.initiatedEventId,
            parentClosePolicy: c.parentClosePolicy,
          })),
        }
      : {}),
    ...(run.resetRunId ? { resetRunId: run.resetRunId } : {}),
    ...(run.resetFromRunId ? { resetFromRunId: run.resetFromRunId } : {}),
    ...(run.parent ? { parentNamespace: run.parent.namespace, parentExecution: { workflowId: run.parent.workflowId, runId: run.parent.runId } } : {}),
  };
}
