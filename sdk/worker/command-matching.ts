// Owns the determinism check of one command against the history event that recorded it, and
// the one-line descriptions of both that determinism errors are made of.
import type { Command, CommandType, EventType, HistoryEvent } from '../../protocol/index.js';
import type { ScheduledActivity } from './history-jobs.js';
import { patchOfCommand, patchOfEvent } from './patch-markers.js';
import { localActivityOfMarker } from '../workflow/local-activity-marker.js';

/** The event each command produces when the service accepts it (see protocol/commands.ts). */
export const EVENT_TYPE_OF_COMMAND: { readonly [C in CommandType]: EventType } = {
  ScheduleActivityTask: 'ActivityTaskScheduled',
  RequestCancelActivityTask: 'ActivityTaskCancelRequested',
  StartTimer: 'TimerStarted',
  CancelTimer: 'TimerCanceled',
  RecordMarker: 'MarkerRecorded',
  CompleteWorkflowExecution: 'WorkflowExecutionCompleted',
  FailWorkflowExecution: 'WorkflowExecutionFailed',
  CancelWorkflowExecution: 'WorkflowExecutionCanceled',
  ContinueAsNewWorkflowExecution: 'WorkflowExecutionContinuedAsNew',
  UpsertWorkflowSearchAttributes: 'UpsertWorkflowSearchAttributes',
  ModifyWorkflowProperties: 'WorkflowPropertiesModified',
  CompleteWorkflowUpdate: 'WorkflowExecutionUpdateCompleted',
  StartChildWorkflowExecution: 'StartChildWorkflowExecutionInitiated',
  SignalExternalWorkflowExecution: 'SignalExternalWorkflowExecutionInitiated',
  RequestCancelExternalWorkflowExecution: 'RequestCancelExternalWorkflowExecutionInitiated',
};

/** Finds an activity by the id of its ActivityTaskScheduled event. */
export type ActivityLookup = (scheduledEventId: number) => ScheduledActivity | undefined;

/**
 * Whether `event` records `command`. Only what identifies the command is compared, as in
 * Temporal: the activity's id and type, the timer's id, the marker's name. Arguments,
 * timeouts and results may change between versions of the code without breaking replay.
 */
export function commandMatchesEvent(command: Command, event: HistoryEvent, activityOf: ActivityLookup): boolean {
  if (EVENT_TYPE_OF_COMMAND[command.type] !== event.eventType) return false;
  switch (command.type) {
    case 'ScheduleActivityTask': {
      const a = (event as Extract<HistoryEvent, { eventType: 'ActivityTaskScheduled' }>).attributes;
      return a.activityId === command.activityId && a.activityType === command.activityType;
    }
    case 'RequestCancelActivityTask': {
      const a = (event as Extract<HistoryEvent, { eventType: 'ActivityTaskCancelRequested' }>).attributes;
      return activityOf(a.scheduledEventId)?.activityId === command.activityId;
    }
    case 'StartTimer':
      return (event as Extract<HistoryEvent, { eventType: 'TimerStarted' }>).attributes.timerId === command.timerId;
    case 'CancelTimer':
      return (event as Extract<HistoryEvent, { eventType: 'TimerCanceled' }>).attributes.timerId === command.timerId;
    case 'RecordMarker': {
      if ((event as Extract<HistoryEvent, { eventType: 'MarkerRecorded' }>).attributes.markerName !== command.markerName) return false;
      // Patch markers share one name; the patch id tells them apart.
      const patch = patchOfCommand(command);
      return patch === undefined || patch.patchId === patchOfEvent(event)?.patchId;
    }
    case 'CompleteWorkflowExecution':
    case 'FailWorkflowExecution':
    case 'CancelWorkflowExecution':
    case 'ContinueAsNewWorkflowExecution':
      return true;
    // As Temporal's core: an upsert is matched by its kind, its values may change between versions.
    case 'UpsertWorkflowSearchAttributes':
    case 'ModifyWorkflowProperties':
      return true;
    case 'CompleteWorkflowUpdate':
      return (event as Extract<HistoryEvent, { eventType: 'WorkflowExecutionUpdateCompleted' }>).attributes.meta.updateId === command.updateId;
    case 'StartChildWorkflowExecution': {
      const a = (event as Extract<HistoryEvent, { eventType: 'StartChildWorkflowExecutionInitiated' }>).attributes;
      return a.workflowId === command.workflowId && a.workflowType.name === command.workflowType;
    }
    case 'SignalExternalWorkflowExecution': {
      const a = (event as Extract<HistoryEvent, { eventType: 'SignalExternalWorkflowExecutionInitiated' }>).attributes;
      return a.workflowExecution.workflowId === command.execution.workflowId && a.signalName === command.signalName;
    }
    case 'RequestCancelExternalWorkflowExecution':
      return (event as Extract<HistoryEvent, { eventType: 'RequestCancelExternalWorkflowExecutionInitiated' }>).attributes.workflowExecution.workflowId === command.workflowId;
  }
}

/** A command as determinism errors show it, e.g. `StartTimer(timerId=1)`. */
export function describeCommand(command: Command): string {
  switch (command.type) {
    case 'ScheduleActivityTask':
      return `ScheduleActivityTask(activityType=${command.activityType}, activityId=${command.activityId})`;
    case 'RequestCancelActivityTask':
      return `RequestCancelActivityTask(activityId=${command.activityId})`;
    case 'StartTimer':
      return `StartTimer(timerId=${command.timerId})`;
    case 'CancelTimer':
      return `CancelTimer(timerId=${command.timerId})`;
    case 'RecordMarker': {
      const patch = patchOfCommand(command);
      const local = localActivityOfMarker(command.markerName, command.details, command.failure);
      return `RecordMarker(markerName=${command.markerName}${patch ? `, patchId=${patch.patchId}` : ''}${local ? `, activityType=${local.data.activityType}, seq=${local.data.seq}` : ''})`;
    }
    case 'CompleteWorkflowUpdate':
      return `CompleteWorkflowUpdate(updateId=${command.updateId})`;
    case 'StartChildWorkflowExecution':
      return `StartChildWorkflowExecution(workflowType=${command.workflowType}, workflowId=${command.workflowId})`;
    case 'SignalExternalWorkflowExecution':
      return `SignalExternalWorkflowExecution(workflowId=${command.execution.workflowId}, signalName=${command.signalName})`;
    case 'RequestCancelExternalWorkflowExecution':
      return `RequestCancelExternalWorkflowExecution(workflowId=${command.workflowId})`;
    default:
      return command.type;
  }
}

/** An event as determinism errors show it, e.g. `ActivityTaskScheduled(activityType=charge, activityId=1)`. */
export function describeEvent(event: HistoryEvent, activityOf: ActivityLookup): string {
  switch (event.eventType) {
    case 'ActivityTaskScheduled':
      return `ActivityTaskScheduled(activityType=${event.attributes.activityType}, activityId=${event.attributes.activityId})`;
    case 'ActivityTaskCancelRequested': {
      const activity = activityOf(event.attributes.scheduledEventId);
      return `ActivityTaskCancelRequested(activityId=${activity?.activityId ?? '?'}, scheduledEventId=${event.attributes.scheduledEventId})`;
    }
    case 'TimerStarted':
      return `TimerStarted(timerId=${event.attributes.timerId})`;
    case 'TimerCanceled':
      return `TimerCanceled(timerId=${event.attributes.timerId})`;
    case 'MarkerRecorded': {
      const patch = patchOfEvent(event);
      const local = localActivityOfMarker(event.attributes.markerName, event.attributes.details, event.attributes.failure);
      return `MarkerRecorded(markerName=${event.attributes.markerName}${patch ? `, patchId=${patch.patchId}` : ''}${local ? `, activityType=${local.data.activityType}, seq=${local.data.seq}` : ''})`;
    }
    case 'WorkflowExecutionUpdateCompleted':
      return `WorkflowExecutionUpdateCompleted(updateId=${event.attributes.meta.updateId})`;
    case 'StartChildWorkflowExecutionInitiated':
      return `StartChildWorkflowExecutionInitiated(workflowType=${event.attributes.workflowType.name}, workflowId=${event.attributes.workflowId})`;
    case 'SignalExternalWorkflowExecutionInitiated':
      return `SignalExternalWorkflowExecutionInitiated(workflowId=${event.attributes.workflowExecution.workflowId}, signalName=${event.attributes.signalName})`;
    case 'RequestCancelExternalWorkflowExecutionInitiated':
      return `RequestCancelExternalWorkflowExecutionInitiated(workflowId=${event.attributes.workflowExecution.workflowId})`;
    default:
      return event.eventType;
  }
}
