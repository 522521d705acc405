// Owns the prediction of a speculative workflow task (protocol 4): the events the service writes when
// the worker that holds a run completes one of its activities — the events that confirm the run's last
// task, the activity's started and completed events, and the workflow task scheduled and started — so
// the worker runs that task ahead, on its cached run, and sends its completion with the activity's.
import { SPECULATIVE_EVENTS, continueAsNewSuggested, type ActivityTask, type Command, type HistoryEnd, type HistoryEvent, type Payload } from '../../protocol/index.js';

/** What a speculative task is predicted from: the cached run, and what the service said of its history. */
export interface SpeculationBase {
  /** The last event the cached run applied (its last task's WorkflowTaskStarted). */
  lastEventId: number;
  /** That task's commands, sent and accepted: the service wrote an event for each after its WorkflowTaskCompleted. */
  unconfirmed: { readonly startedEventId: number; readonly commands: readonly Command[] } | undefined;
  /** The ActivityTaskScheduled event id of an activity the run applied, by its id. */
  scheduledEventIdOf(activityId: string): number | undefined;
  /** Where the history ended after the worker's last completion (`historyEnd` of its answer). */
  end: HistoryEnd;
  workflowTaskTimeoutMs: number;
}

/** The predicted events, in two parts: those the run applies as they are (its commands' payloads are decoded already), and those whose payloads the codecs decode first. */
export interface PredictedTask {
  confirming: HistoryEvent[];
  activity: HistoryEvent[];
  startedEventId: number;
  suggestContinueAsNew: boolean;
}

/**
 * The events of the task the completion of `task` with `result` causes, started at `time` for
 * `identity` on `stickyQueue` — or undefined when the run's commands make events this cannot predict
 * (then the worker completes the activity the ordinary way). The service writes the task only if its
 * history is exactly this (it checks the ids, the size and the time), so a wrong guess costs a replay,
 * never a wrong history.
 */
export function predictTask(base: SpeculationBase, task: ActivityTask, result: Payload | undefined, identity: string, stickyQueue: string, time: number): PredictedTask | undefined {
  const completedId = base.lastEventId + 1;
  const confirming: HistoryEvent[] = [];
  let scheduledEventId: number | undefined;
  if (base.unconfirmed) {
    const iso = new Date(base.end.time).toISOString();
    confirming.push(event(completedId, iso, 'WorkflowTaskCompleted', { scheduledEventId: base.unconfirmed.startedEventId - 1, startedEventId: base.unconfirmed.startedEventId, identity }));
    for (const command of base.unconfirmed.commands) {
      const e = commandEvent(command, completedId + confirming.length, iso, completedId);
      if (!e) return undefined;
      if (command.type === 'ScheduleActivityTask' && command.activityId === task.activityId) scheduledEventId = e.eventId;
      confirming.push(e);
    }
  }
  // One event per command, as the service said: else the history holds events this did not foresee.
  const next = base.end.nextEventId;
  if (base.lastEventId + confirming.length + 1 !== next) return undefined;
  scheduledEventId ??= base.scheduledEventIdOf(task.activityId);
  if (scheduledEventId === undefined) return undefined;
  const started = new Date(task.startedTime).toISOString();
  const at = new Date(time).toISOString();
  const startedEventId = next + SPECULATIVE_EVENTS - 1;
  const suggestContinueAsNew = continueAsNewSuggested(startedEventId, base.end.historySizeBytes);
  const activity = [
    event(next, started, 'ActivityTaskStarted', { scheduledEventId, identity, attempt: task.attempt }),
    event(next + 1, at, 'ActivityTaskCompleted', { ...(result ? { result } : {}), scheduledEventId, startedEventId: next, identity }),
    event(next + 2, at, 'WorkflowTaskScheduled', { taskQueue: stickyQueue, startToCloseTimeoutMs: base.workflowTaskTimeoutMs, attempt: 1 }),
    event(startedEventId, at, 'WorkflowTaskStarted', { scheduledEventId: next + 2, identity, historySizeBytes: base.end.historySizeBytes, ...(suggestContinueAsNew ? { suggestContinueAsNew: true } : {}) }),
  ];
  return { confirming, activity, startedEventId, suggestContinueAsNew };
}

const event = (eventId: number, eventTime: string, eventType: string, attributes: Record<string, unknown>) => ({ eventId, eventTime, eventType, attributes }) as HistoryEvent;

/**
 * The event a command makes, as far as the run reads it (command-matching.ts: the ids and names that
 * identify it) — for the commands that make exactly one event whatever the run's state. Others
 * (cancelling an activity that may not have started, child workflows, closing the run, …) are not predicted.
 */
function commandEvent(command: Command, eventId: number, eventTime: string, workflowTaskCompletedEventId: number): HistoryEvent | undefined {
  switch (command.type) {
    case 'ScheduleActivityTask':
      return event(eventId, eventTime, 'ActivityTaskScheduled', { activityId: command.activityId, activityType: command.activityType, taskQueue: command.taskQueue ?? '', input: [], workflowTaskCompletedEventId, retryPolicy: {} });
    case 'StartTimer':
      return event(eventId, eventTime, 'TimerStarted', { timerId: command.timerId, startToFireTimeoutMs: command.startToFireTimeoutMs, workflowTaskCompletedEventId });
    case 'RecordMarker':
      return event(eventId, eventTime, 'MarkerRecorded', { markerName: command.markerName, details: command.details ?? {}, workflowTaskCompletedEventId, ...(command.failure ? { failure: command.failure } : {}) });
    default:
      return undefined;
  }
}
