/**
 * Activities: scheduled by a command, started by a worker's poll, then completed,
 * failed (and retried by policy), cancelled or timed out. Retries write no events: the
 * activity's ActivityTaskStarted is written only when it closes, carrying the final
 * attempt and the failure of the one before it, as Temporal does.
 */
import { Limits, type CommandOf, type Failure, type Payload, type RetryState, type TimeoutType } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';
import type { TaskTokenData } from '../task-token.js';
import { decideRetry, withRetryDefaults } from './retry.js';
import { answerHandOff, isRunning, type ActivityState, type HandOff, type RunState } from './run-state.js';
import type { Txn } from './transaction.js';
import { addInputEvent, workflowTaskStarted } from './workflow-tasks.js';

/**
 * Temporal's normalisation of the four timeouts (0 means none): schedule-to-start and
 * start-to-close default to, and are capped by, schedule-to-close; without one, both
 * schedule timeouts default to the run timeout; none outlasts the run timeout; heartbeat
 * is capped by start-to-close. Throws BAD_COMMAND when neither close timeout is set.
 */
export function normaliseActivityTimeouts(cmd: CommandOf<'ScheduleActivityTask'>, run: RunState) {
  let scheduleToClose = cmd.scheduleToCloseTimeoutMs ?? 0;
  let scheduleToStart = cmd.scheduleToStartTimeoutMs ?? 0;
  let startToClose = cmd.startToCloseTimeoutMs ?? 0;
  let heartbeat = cmd.heartbeatTimeoutMs ?? 0;
  const runTimeout = run.workflowRunTimeoutMs ?? 0;
  if (scheduleToClose > 0) {
    if (scheduleToStart === 0 || scheduleToStart > scheduleToClose) scheduleToStart = scheduleToClose;
    if (startToClose === 0 || startToClose > scheduleToClose) startToClose = scheduleToClose;
  } else if (startToClose > 0) {
    scheduleToClose = runTimeout;
    if (scheduleToStart === 0) scheduleToStart = runTimeout;
  } else {
    throw new ServiceError(
      'BAD_COMMAND',
      `ScheduleActivityTask '${cmd.activityId}' (${cmd.activityType}) sets neither scheduleToCloseTimeoutMs nor startToCloseTimeoutMs; set at least one.`,
      { activityId: cmd.activityId },
    );
  }
  if (runTimeout > 0) {
    scheduleToClose = Math.min(scheduleToClose, runTimeout);
    scheduleToStart = Math.min(scheduleToStart, runTimeout);
    startToClose = Math.min(startToClose, runTimeout);
  }
  if (heartbeat > startToClose) heartbeat = startToClose;
  return { scheduleToCloseTimeoutMs: scheduleToClose, scheduleToStartTimeoutMs: scheduleToStart, startToCloseTimeoutMs: startToClose, heartbeatTimeoutMs: heartbeat };
}

export function scheduleActivity(tx: Txn, run: RunState, cmd: CommandOf<'ScheduleActivityTask'>, completedEventId: number, identity?: string): void {
  const timeouts = normaliseActivityTimeouts(cmd, run);
  const retryPolicy = withRetryDefaults(cmd.retryPolicy);
  const taskQueue = cmd.taskQueue ?? run.taskQueue;
  const scheduledEventId = tx.addEvent(run, 'ActivityTaskScheduled', {
    activityId: cmd.activityId,
    activityType: cmd.activityType,
    taskQueue,
    input: cmd.input,
    ...optionalMs(timeouts),
    workflowTaskCompletedEventId: completedEventId,
    retryPolicy,
    ...(cmd.header ? { header: cmd.header } : {}),
  });
  const act: ActivityState = {
    scheduledEventId,
    activityId: cmd.activityId,
    activityType: cmd.activityType,
    taskQueue,
    ...timeouts,
    retryPolicy,
    scheduledTime: tx.now,
    attempt: 1,
    currentAttemptScheduledTime: tx.now,
  };
  run.activities[scheduledEventId] = act;
  // Eager execution: the completing worker polls this queue, so it takes the activity now, in the
  // same transaction, and the task queue hop (and its start transaction) is skipped.
  if (cmd.requestEagerExecution && taskQueue === run.taskQueue && tx.eagerActivities.length < Limits.maxEagerActivities) {
    startActivity(tx, run, act, identity, tx.acknowledgesAnswer ? answerHandOff(tx.now, taskQueue) : undefined);
    tx.eagerActivities.push({ runId: run.runId, scheduledEventId, attempt: act.attempt });
    return;
  }
  dispatchActivity(tx, run, act);
}

function optionalMs(t: ReturnType<typeof normaliseActivityTimeouts>) {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(t)) if (v > 0) out[k] = v;
  return out;
}

/** Hands the activity's current attempt to its task queue (through the outbox). */
export function dispatchActivity(tx: Txn, run: RunState, act: ActivityState): void {
  tx.dispatch({
    taskQueue: act.taskQueue,
    kind: 'activity',
    ref: { namespace: run.namespace, workflowId: run.workflowId, runId: run.runId, kind: 'activity', scheduledEventId: act.scheduledEventId, attempt: act.attempt },
  });
}

export function findActivityById(run: RunState, activityId: string): ActivityState | undefined {
  return Object.values(run.activities).find((a) => a.activityId === activityId);
}

/** Starts the attempt the ref names; undefined when it is stale. With a `handOff`, the worker must acknowledge it (hand-off.ts). */
export function startActivity(tx: Txn, run: RunState, ref: { scheduledEventId: number; attempt: number }, identity: string | undefined, handOff?: HandOff): ActivityState | undefined {
  const act = run.activities[ref.scheduledEventId];
  if (!isRunning(run) || !act || act.attempt !== ref.attempt || act.startedTime !== undefined || (act.retryAt !== undefined && act.retryAt > tx.now)) return undefined;
  act.retryAt = undefined;
  if (handOff) act.handOff = handOff;
  act.startedTime = tx.now;
  act.startedIdentity = identity;
  act.lastWorkerIdentity = identity;
  act.lastHeartbeatTime = undefined;
  tx.touch(run);
  return act;
}

/** The started attempt the token names, or TASK_NOT_FOUND. */
export function requireStartedActivity(run: RunState | undefined, token: TaskTokenData): ActivityState {
  const act = run?.activities[token.scheduledEventId];
  if (!run || !isRunning(run) || !act || act.attempt !== token.attempt || act.startedTime === undefined) {
    throw new ServiceError('TASK_NOT_FOUND', 'Activity task not found: it was already completed, timed out, retried or cancelled, or its run has closed.');
  }
  return act;
}

export function heartbeatActivity(tx: Txn, run: RunState, act: ActivityState, details: Payload[] | undefined): { cancelRequested: boolean } {
  act.lastHeartbeatTime = tx.now;
  // A heartbeat shows the worker has the task, as an acknowledgement does.
  act.handOff = undefined;
  if (details) act.heartbeatDetails = details;
  tx.touch(run);
  return { cancelRequested: act.cancelRequestedEventId !== undefined };
}

/** Writes the deferred ActivityTaskStarted of the final attempt; returns its id (0 if it never started). */
function writeStarted(tx: Txn, run: RunState, act: ActivityState): number {
  if (act.startedTime === undefined) return 0;
  const attributes = { scheduledEventId: act.scheduledEventId, identity: act.startedIdentity, attempt: act.attempt, ...(act.lastFailure ? { lastFailure: act.lastFailure } : {}) };
  if (workflowTaskStarted(tx, run)) {
    // A workflow task runs: no event may come between its started and its completion, so the
    // started event is buffered with the close event, which gets its id when both are written.
    run.buffered.push({ eventType: 'ActivityTaskStarted', attributes, time: act.startedTime });
    return 0;
  }
  return tx.addEvent(run, 'ActivityTaskStarted', attributes, act.startedTime);
}

function close(tx: Txn, run: RunState, act: ActivityState): void {
  delete run.activities[act.scheduledEventId];
  tx.touch(run);
}

export function completeActivity(tx: Txn, run: RunState, act: ActivityState, result: Payload | undefined, identity: string | undefined): void {
  const startedEventId = writeStarted(tx, run, act);
  close(tx, run, act);
  addInputEvent(tx, run, 'ActivityTaskCompleted', { ...(result ? { result } : {}), scheduledEventId: act.scheduledEventId, startedEventId, identity });
}

export function cancelledActivity(tx: Txn, run: RunState, act: ActivityState, details: Payload[] | undefined, identity: string | undefined): void {
  const startedEventId = writeStarted(tx, run, act);
  close(tx, run, act);
  addInputEvent(tx, run, 'ActivityTaskCanceled', {
    ...(details ? { details } : {}),
    latestCancelRequestedEventId: act.cancelRequestedEventId ?? act.scheduledEventId,
    scheduledEventId: act.scheduledEventId,
    startedEventId,
    identity,
  });
}

/** Records a failed attempt: retried after back-off when the policy allows, else written to history. */
export function failActivity(tx: Txn, run: RunState, act: ActivityState, failure: Failure, heartbeatDetails: Payload[] | undefined, identity: string | undefined): void {
  if (heartbeatDetails) act.heartbeatDetails = heartbeatDetails;
  const decision =
    act.cancelRequestedEventId !== undefined
      ? ({ retry: false, retryState: 'CANCEL_REQUESTED' } as const)
      : decideRetry({ policy: act.retryPolicy, attempt: act.attempt, failure, now: tx.now, deadline: scheduleToCloseDeadline(act) });
  if (decision.retry) return retryActivity(tx, run, act, failure, decision.delayMs);
  const startedEventId = writeStarted(tx, run, act);
  close(tx, run, act);
  addInputEvent(tx, run, 'ActivityTaskFailed', { failure, scheduledEventId: act.scheduledEventId, startedEventId, identity, retryState: decision.retryState });
}

function retryActivity(tx: Txn, run: RunState, act: ActivityState, failure: Failure, delayMs: number): void {
  act.lastFailure = failure;
  act.handOff = undefined;
  act.attempt += 1;
  act.startedTime = undefined;
  act.startedIdentity = undefined;
  act.lastHeartbeatTime = undefined;
  act.currentAttemptScheduledTime = tx.now + delayMs;
  act.retryAt = tx.now + delayMs;
  tx.touch(run);
  if (delayMs === 0) dispatchRetryIfDue(tx, run, act);
}

/** Dispatches an attempt whose back-off is over. */
export function dispatchRetryIfDue(tx: Txn, run: RunState, act: ActivityState): void {
  if (act.retryAt === undefined || act.retryAt > tx.now || act.startedTime !== undefined) return;
  act.retryAt = undefined;
  act.currentAttemptScheduledTime = tx.now;
  tx.touch(run);
  dispatchActivity(tx, run, act);
}

export const scheduleToCloseDeadline = (act: ActivityState) => (act.scheduleToCloseTimeoutMs > 0 ? act.scheduledTime + act.scheduleToCloseTimeoutMs : undefined);

function timeoutFailure(type: TimeoutType, act: ActivityState, cause?: Failure): Failure {
  const causedBy = cause ?? (type === 'SCHEDULE_TO_CLOSE' ? act.lastFailure : undefined);
  return {
    message: `activity ${type} timeout`,
    source: 'Keel',
    timeoutFailureInfo: { timeoutType: type, ...(act.heartbeatDetails ? { lastHeartbeatDetails: act.heartbeatDetails } : {}) },
    ...(causedBy ? { cause: causedBy } : {}),
  };
}

/**
 * An activity timeout fired. Start-to-close and heartbeat timeouts are retried by the
 * policy like failures; schedule-to-start and schedule-to-close ones end the activity.
 * `cause`: why it timed out, when that is known (a lost hand-off).
 */
export function timeOutActivity(tx: Txn, run: RunState, act: ActivityState, type: TimeoutType, cause?: Failure): void {
  const failure = timeoutFailure(type, act, cause);
  let retryState: RetryState = 'TIMEOUT';
  if (type === 'START_TO_CLOSE' || type === 'HEARTBEAT') {
    const decision = act.cancelRequestedEventId !== undefined
      ? ({ retry: false, retryState: 'CANCEL_REQUESTED' } as const)
      : decideRetry({ policy: act.retryPolicy, attempt: act.attempt, now: tx.now, deadline: scheduleToCloseDeadline(act) });
    if (decision.retry) return retryActivity(tx, run, act, failure, decision.delayMs);
    retryState = decision.retryState;
  }
  const startedEventId = writeStarted(tx, run, act);
  close(tx, run, act);
  addInputEvent(tx, run, 'ActivityTaskTimedOut', { failure, scheduledEventId: act.scheduledEventId, startedEventId, retryState });
}

/** The moments this activity waits for, with what happens then. */
export function activityDeadlines(act: ActivityState): Array<{ at: number; what: TimeoutType | 'RETRY' | 'HAND_OFF_LOST' }> {
  const out: Array<{ at: number; what: TimeoutType | 'RETRY' | 'HAND_OFF_LOST' }> = [];
  if (act.handOff && act.startedTime !== undefined) out.push({ at: act.handOff.ackBy, what: 'HAND_OFF_LOST' });
  const s2c = scheduleToCloseDeadline(act);
  if (s2c !== undefined) out.push({ at: s2c, what: 'SCHEDULE_TO_CLOSE' });
  if (act.retryAt !== undefined) out.push({ at: act.retryAt, what: 'RETRY' });
  if (act.startedTime === undefined) {
    if (act.retryAt === undefined && act.scheduleToStartTimeoutMs > 0) out.push({ at: act.currentAttemptScheduledTime + act.scheduleToStartTimeoutMs, what: 'SCHEDULE_TO_START' });
  } else {
    if (act.startToCloseTimeoutMs > 0) out.push({ at: act.startedTime + act.startToCloseTimeoutMs, what: 'START_TO_CLOSE' });
    if (act.heartbeatTimeoutMs > 0) out.push({ at: (act.lastHeartbeatTime ?? act.startedTime) + act.heartbeatTimeoutMs, what: 'HEARTBEAT' });
  }
  return out;
}
