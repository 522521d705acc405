/**
 * Applies a workflow task's commands, in order, each producing its event. All commands
 * are checked before any is applied, so a bad one rejects the completion and changes
 * nothing (design invariant 5).
 */
import { CLOSE_COMMANDS, type Command } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';
import { findActivityById, normaliseActivityTimeouts, scheduleActivity } from './activities.js';
import { continueAsNew } from './continue-as-new.js';
import { completeWorkflow, failWorkflow } from './workflow-retry.js';
import { closeRun } from './run-control.js';
import type { RunState } from './run-state.js';
import { checkPendingLimits } from './run-limits.js';
import type { Txn } from './transaction.js';
import { addInputEvent } from './workflow-tasks.js';
import { anchorAttribute, timerAnchor } from './timer-anchor.js';
import { modifyWorkflowProperties, upsertSearchAttributes, validateMemoUpsert, validateSearchAttributeUpsert } from './upsert.js';
import { completeUpdate, validateCompleteUpdate } from './updates.js';
import { startChild, validateStartChild } from './child-workflows.js';
import { requestCancelExternal, signalExternal, validateExternalCommand } from './external-calls.js';

/** Throws the ServiceError that the first invalid command deserves. */
export function validateCommands(run: RunState, commands: Command[]): void {
  checkPendingLimits(run, commands);
  const activityIds = new Set(Object.values(run.activities).map((a) => a.activityId));
  const timerIds = new Set(Object.keys(run.timers));
  let searchAttributes = run.searchAttributes;
  commands.forEach((cmd, i) => {
    const where = `commands[${i}] (${cmd.type})`;
    if (CLOSE_COMMANDS.has(cmd.type) && i !== commands.length - 1) {
      throw new ServiceError('BAD_COMMAND', `${where} closes the run, so it must be the last command; ${commands.length - 1 - i} follow it.`, { index: i });
    }
    switch (cmd.type) {
      case 'ScheduleActivityTask':
        if (activityIds.has(cmd.activityId)) throw new ServiceError('DUPLICATE_ID', `${where}: activity id '${cmd.activityId}' is already pending; use a new id.`, { index: i, activityId: cmd.activityId });
        normaliseActivityTimeouts(cmd, run);
        activityIds.add(cmd.activityId);
        break;
      case 'RequestCancelActivityTask':
        if (!activityIds.has(cmd.activityId)) throw new ServiceError('UNKNOWN_ACTIVITY', `${where}: no pending activity has id '${cmd.activityId}'.`, { index: i, activityId: cmd.activityId });
        break;
      case 'StartTimer':
        if (timerIds.has(cmd.timerId)) throw new ServiceError('DUPLICATE_ID', `${where}: timer id '${cmd.timerId}' is already pending; use a new id.`, { index: i, timerId: cmd.timerId });
        timerIds.add(cmd.timerId);
        break;
      case 'CancelWorkflowExecution':
        if (!run.cancelRequested) {
          throw new ServiceError('BAD_COMMAND', `${where}: the run's cancellation was not requested; complete or fail the workflow instead.`, { index: i });
        }
        break;
      case 'StartChildWorkflowExecution':
        validateStartChild(run, cmd, where);
        break;
      case 'SignalExternalWorkflowExecution':
      case 'RequestCancelExternalWorkflowExecution':
        validateExternalCommand(run, cmd, where);
        break;
      case 'CancelTimer':
        if (!timerIds.has(cmd.timerId)) throw new ServiceError('UNKNOWN_TIMER', `${where}: no pending timer has id '${cmd.timerId}'.`, { index: i, timerId: cmd.timerId });
        timerIds.delete(cmd.timerId);
        break;
      case 'UpsertWorkflowSearchAttributes':
        searchAttributes = validateSearchAttributeUpsert(searchAttributes, cmd, where, i);
        break;
      case 'ModifyWorkflowProperties':
        validateMemoUpsert(cmd, where, i);
        break;
      case 'CompleteWorkflowUpdate':
        validateCompleteUpdate(run, cmd, where, i);
        break;
    }
  });
}

export function applyCommands(tx: Txn, run: RunState, commands: Command[], completedEventId: number, identity: string | undefined): void {
  for (const cmd of commands) {
    switch (cmd.type) {
      case 'ScheduleActivityTask':
        scheduleActivity(tx, run, cmd, completedEventId, identity);
        break;
      case 'RequestCancelActivityTask': {
        const act = findActivityById(run, cmd.activityId)!;
        if (act.cancelRequestedEventId !== undefined) break;
        act.cancelRequestedEventId = tx.addEvent(run, 'ActivityTaskCancelRequested', { scheduledEventId: act.scheduledEventId, workflowTaskCompletedEventId: completedEventId });
        if (act.startedTime === undefined) {
          // Not running anywhere: cancelled at once, and the workflow hears of it in its next task.
          delete run.activities[act.scheduledEventId];
          addInputEvent(tx, run, 'ActivityTaskCanceled', { latestCancelRequestedEventId: act.cancelRequestedEventId, scheduledEventId: act.scheduledEventId, startedEventId: 0, identity });
        }
        break;
      }
      case 'StartTimer': {
        // The task is still the run's while its commands apply: its start bounds the timer's anchor.
        const anchor = timerAnchor(cmd.requestedAtMs, run.workflowTask?.startedTime, tx.serviceNow ?? tx.now);
        const attributes = { timerId: cmd.timerId, startToFireTimeoutMs: cmd.startToFireTimeoutMs, workflowTaskCompletedEventId: completedEventId, ...anchorAttribute(anchor, tx.now) };
        const startedEventId = tx.addEvent(run, 'TimerStarted', attributes);
        run.timers[cmd.timerId] = { timerId: cmd.timerId, startedEventId, fireAt: anchor + cmd.startToFireTimeoutMs };
        break;
      }
      case 'CancelTimer': {
        const timer = run.timers[cmd.timerId]!;
        delete run.timers[cmd.timerId];
        tx.addEvent(run, 'TimerCanceled', { timerId: cmd.timerId, startedEventId: timer.startedEventId, workflowTaskCompletedEventId: completedEventId, identity });
        break;
      }
      case 'RecordMarker':
        tx.addEvent(run, 'MarkerRecorded', { markerName: cmd.markerName, details: cmd.details, workflowTaskCompletedEventId: completedEventId, ...(cmd.failure ? { failure: cmd.failure } : {}) });
        break;
      case 'CompleteWorkflowExecution':
        completeWorkflow(tx, run, cmd.result, completedEventId);
        break;
      case 'FailWorkflowExecution':
        failWorkflow(tx, run, cmd.failure, completedEventId);
        break;
      case 'ContinueAsNewWorkflowExecution':
        continueAsNew(tx, run, cmd, completedEventId, identity);
        break;
      case 'StartChildWorkflowExecution':
        startChild(tx, run, cmd, completedEventId);
        break;
      case 'SignalExternalWorkflowExecution':
        signalExternal(tx, run, cmd, completedEventId);
        break;
      case 'RequestCancelExternalWorkflowExecution':
        requestCancelExternal(tx, run, cmd, completedEventId);
        break;
      case 'CancelWorkflowExecution':
        closeRun(tx, run, 'CANCELED', 'WorkflowExecutionCanceled', { ...(cmd.details ? { details: cmd.details } : {}), workflowTaskCompletedEventId: completedEventId });
        break;
      case 'UpsertWorkflowSearchAttributes':
        upsertSearchAttributes(tx, run, cmd, completedEventId);
        break;
      case 'ModifyWorkflowProperties':
        modifyWorkflowProperties(tx, run, cmd, completedEventId);
        break;
      case 'CompleteWorkflowUpdate':
        completeUpdate(tx, run, cmd);
        break;
    }
  }
}
