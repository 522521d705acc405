/**
 * Acknowledged hand-off (protocol 2). A task is recorded as started before the task queue answers
 * the worker's long poll, but a poll can outlive its worker: a SIGKILLed worker's polls stay open
 * on the service until they expire, and neither miniflare nor workerd tells the Worker that the
 * connection is gone until it writes to it — and the first write still succeeds. So a worker that
 * polls with `acknowledgesHandOff` promises to acknowledge each task within `Limits.handOffAckMs`
 * (completing, failing or heartbeating it counts). One that does not, and whose worker has not
 * polled that queue since, was handed to a dead poll: the task goes back to its queue at once
 * instead of after its timeout, and the object tells the queue to end the dead worker's other polls
 * and closes its sticky queue — the queue the task was lost on, or the one its polls named. A worker that did poll again is alive but slow (an overloaded
 * machine): its task gets another window rather than a second worker.
 */
import { Limits, type Failure } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';
import type { TaskTokenData } from '../task-token.js';
import { dispatchRetryIfDue, requireStartedActivity, scheduleToCloseDeadline, timeOutActivity } from './activities.js';
import { decideRetry } from './retry.js';
import { isRunning, type ActivityState, type HandOff, type RunState, type WorkflowTaskState } from './run-state.js';
import type { LostHandOff, Txn } from './transaction.js';
import { dispatchWorkflowTaskIfDue, requireStartedWorkflowTask, unstart, workflowTaskStarted, writeTransientEvents } from './workflow-tasks.js';

/**
 * Whether the worker a task was handed to has polled the task's queue since (asked of the queue
 * before the alarm's transaction): the queue's poll count of its latest poll if so, else undefined.
 */
export type WorkerHeardFrom = (kind: 'workflow' | 'activity', handOff: HandOff) => number | undefined;

/** The unacknowledged hand-offs of the run whose window is over by `now`. */
export function dueHandOffs(run: RunState, now: number): Array<{ kind: 'workflow' | 'activity'; handOff: HandOff }> {
  const out: Array<{ kind: 'workflow' | 'activity'; handOff: HandOff }> = [];
  const wt = run.workflowTask;
  if (isRunning(run) && wt?.handOff && wt.handOff.ackBy <= now) out.push({ kind: 'workflow', handOff: wt.handOff });
  for (const act of Object.values(run.activities)) if (act.handOff && act.handOff.ackBy <= now) out.push({ kind: 'activity', handOff: act.handOff });
  return out;
}

/** The window of a live worker's hand-off starts again, from its latest poll. */
function extend(tx: Txn, run: RunState, handOff: HandOff, pollSeq: number): void {
  handOff.ackBy = tx.now + Limits.handOffAckMs;
  handOff.pollSeq = pollSeq;
  tx.touch(run);
}

/** The hand-off record of a task started for a poll that promised to acknowledge it. */
export function handOffFor(now: number, taskQueue: string, pollerId: string | undefined, pollSeq: number | undefined, stickyTaskQueue?: string): HandOff {
  return { ackBy: now + Limits.handOffAckMs, taskQueue, ...(pollerId ? { pollerId } : {}), ...(pollSeq !== undefined ? { pollSeq } : {}), ...(stickyTaskQueue ? { stickyTaskQueue } : {}) };
}

/** The worker (`identity`, as it polled) has the task the token names. TASK_NOT_FOUND when it already went back to its queue. */
export function acknowledgeTask(tx: Txn, run: RunState | undefined, token: TaskTokenData, identity?: string): void {
  if (token.kind === 'workflow') {
    const wt = requireStartedWorkflowTask(run, token, identity, tx.now);
    if (!wt.handOff) return;
    // A first attempt's start is written now; a retried task's events stay transient until it
    // ends (Temporal's rule), so for it only the deadline goes.
    if (wt.attempt === 1) writeTransientEvents(tx, run!, wt);
    else wt.handOff = undefined;
    tx.touch(run!);
    return;
  }
  if (token.kind === 'activity') {
    const act = requireStartedActivity(run, token);
    if (!act.handOff) return;
    act.handOff = undefined;
    tx.touch(run!);
    return;
  }
  throw new ServiceError('INVALID_TASK_TOKEN', `A ${token.kind} task is not acknowledged; only workflow and activity tasks are.`);
}

/**
 * The workflow task's poll was dead. The worker never had the task, so no start of it is in
 * history (a first attempt's start was only reserved; a retried one's is transient anyway): the
 * task is made unstarted again, with its attempt, and dispatched to the run's normal queue — the
 * dead worker's sticky cache is gone with it. Input events buffered meanwhile are written now.
 */
export function workflowTaskHandOffLost(tx: Txn, run: RunState, heardFrom?: WorkerHeardFrom): void {
  const wt = run.workflowTask;
  // An offered task its queue holds in its backlog was never taken: it waits there as any task.
  if (!isRunning(run) || !wt?.handOff || !workflowTaskStarted(tx, run)) return;
  const polled = heardFrom?.('workflow', wt.handOff);
  if (polled !== undefined) return extend(tx, run, wt.handOff, polled);
  // An offered task may never have been taken (it waits in the backlog): no worker to call lost.
  if (!wt.handOff.offered) noteLost(tx, run, 'workflow', wt.handOff, wt.identity, wt.sticky);
  returnToNormalQueue(tx, run, wt);
}

/**
 * A started, unacknowledged workflow task the worker never had goes back: unstarted again, with its
 * attempt, dispatched to the run's normal queue (the worker's sticky cache is not counted on any more).
 */
export function returnToNormalQueue(tx: Txn, run: RunState, wt: WorkflowTaskState): void {
  unstart(tx, run, wt);
  if (wt.sticky) {
    wt.sticky = false;
    wt.taskQueue = run.taskQueue;
  }
  run.sticky = undefined;
  wt.dispatched = false;
  wt.seq = ++run.taskSeq;
  dispatchWorkflowTaskIfDue(tx, run);
}

/**
 * The activity attempt's poll was dead. The attempt is recorded as lost — the next attempt's
 * `lastFailure` says "worker lost" and `lastWorkerIdentity` names the worker, so describe shows why
 * it is on its second try. As in Temporal, where a worker that dies holding an activity costs that
 * attempt (its start-to-close timeout fires and is retried by the policy), the lost attempt counts
 * toward `maximumAttempts` and the schedule-to-close deadline: the last allowed attempt lost ends
 * the activity as timed out (START_TO_CLOSE, caused by "worker lost"). The next attempt is
 * dispatched at once, without the policy's back-off: the activity provably never ran, so there is
 * no failing call to back off from.
 */
export function activityHandOffLost(tx: Txn, run: RunState, act: ActivityState, heardFrom?: WorkerHeardFrom): void {
  if (!act.handOff || act.startedTime === undefined) return;
  const polled = heardFrom?.('activity', act.handOff);
  if (polled !== undefined) return extend(tx, run, act.handOff, polled);
  noteLost(tx, run, 'activity', act.handOff, act.startedIdentity, false);
  const lost = workerLostFailure(act.startedIdentity);
  const retries = act.cancelRequestedEventId === undefined && decideRetry({ policy: act.retryPolicy, attempt: act.attempt, now: tx.now, deadline: scheduleToCloseDeadline(act) }).retry;
  if (!retries) {
    act.handOff = undefined;
    return timeOutActivity(tx, run, act, 'START_TO_CLOSE', lost);
  }
  act.lastFailure = lost;
  act.lastWorkerIdentity = act.startedIdentity;
  act.handOff = undefined;
  act.attempt += 1;
  act.startedTime = undefined;
  act.startedIdentity = undefined;
  act.lastHeartbeatTime = undefined;
  act.retryAt = tx.now;
  tx.touch(run);
  dispatchRetryIfDue(tx, run, act);
}

function noteLost(tx: Txn, run: RunState, kind: LostHandOff['kind'], handOff: HandOff, identity: string | undefined, sticky: boolean): void {
  // A task handed back in an answer names no poll: logged, but no poll is ended and no queue closed.
  tx.lostHandOffs.push({ kind, workflowId: run.workflowId, runId: run.runId, taskQueue: handOff.taskQueue, sticky: sticky && !handOff.inAnswer, runTaskQueue: run.taskQueue, ...(handOff.pollerId ? { pollerId: handOff.pollerId } : {}), ...(handOff.stickyTaskQueue ? { workerStickyQueue: handOff.stickyTaskQueue } : {}), ...(identity ? { identity } : {}) });
}

/** The failure a lost hand-off leaves as the next attempt's `lastFailure`. */
export function workerLostFailure(identity: string | undefined): Failure {
  return {
    message: `worker lost: the task was handed to ${identity ?? 'a worker'}, which did not acknowledge it in time`,
    source: 'Keel',
    applicationFailureInfo: { type: 'WorkerLost', nonRetryable: false },
  };
}
