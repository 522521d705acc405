/**
 * The workflow task's life: scheduled, started by a worker, then completed, failed or
 * timed out. Input events (signals, activity results, fired timers, …) that arrive while
 * a task is running are buffered and written after it ends, so that the task's
 * completion and its commands stay contiguous in history, as Temporal writes them.
 */
import { Limits, type AttributesOf, type EventType, type Failure, type HistoryEvent, type TimeoutType, type WorkflowTaskFailedCause } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';
import type { TaskRef, TaskTokenData } from '../task-token.js';
import { workflowTaskBackoffMs } from './retry.js';
import { answerHandOff, continueAsNewSuggested, isRunning, offerHandOff, type HandOff, type RunState, type WorkflowTaskState } from './run-state.js';
import type { Txn } from './transaction.js';

export const DEFAULT_WORKFLOW_TASK_TIMEOUT_MS = 10_000;
export const DEFAULT_STICKY_SCHEDULE_TO_START_MS = 5_000;

/** Schedules a workflow task unless one is pending or the run waits out its start delay. */
export function scheduleWorkflowTask(tx: Txn, run: RunState, attempt = 1): void {
  if (run.workflowTask || !isRunning(run)) return;
  if (run.firstWorkflowTaskAt !== undefined && run.firstWorkflowTaskAt > tx.now) return;
  run.firstWorkflowTaskAt = undefined;
  // Retries after a failure go to the normal queue with the full history: the sticky
  // worker's cached state is no longer trusted.
  const sticky = attempt === 1 ? run.sticky : undefined;
  const taskQueue = sticky?.taskQueue ?? run.taskQueue;
  const scheduledEventId =
    attempt === 1 ? tx.addEvent(run, 'WorkflowTaskScheduled', { taskQueue, startToCloseTimeoutMs: run.workflowTaskTimeoutMs, attempt }) : 0;
  // Back-off by the number of failures so far: attempt 2 goes out at once (a worker that
  // died holding the task loses nothing), attempt 3 after 1 s, doubling to 1 min.
  const delay = workflowTaskBackoffMs(attempt - 1);
  run.workflowTask = {
    scheduledEventId,
    attempt,
    taskQueue,
    sticky: !!sticky,
    scheduledTime: tx.now,
    dispatched: false,
    seq: ++run.taskSeq,
    ...(delay > 0 ? { dueAt: tx.now + delay } : {}),
  };
  tx.touch(run);
  dispatchWorkflowTaskIfDue(tx, run);
}

export function dispatchWorkflowTaskIfDue(tx: Txn, run: RunState): void {
  const wt = run.workflowTask;
  if (!wt || wt.dispatched || (wt.dueAt !== undefined && wt.dueAt > tx.now)) return;
  wt.dispatched = true;
  wt.scheduledTime = tx.now;
  const claim = tx.workflowTaskClaim;
  if (claim && !tx.claimedWorkflowTask && !tx.offeredWorkflowTask && claim.taskQueue === wt.taskQueue) {
    // A worker takes it now (or, offered, a poll waiting on its queue): started in this
    // transaction, no outbox row, no queue → startTask round trip.
    const ref = workflowTaskRef(run, wt);
    const started = startWorkflowTask(tx, run, wt, claim.identity, claim.offer ? offerHandOff(tx.now, claim.taskQueue) : tx.acknowledgesAnswer ? answerHandOff(tx.now, claim.taskQueue, claim.handOver ? Limits.handOffAckMs : Limits.answerHandOffAckMs) : undefined);
    if (started && claim.offer) {
      tx.offeredWorkflowTask = { runId: run.runId, token: started.token, taskQueue: wt.taskQueue, ref };
      return;
    }
    if (started) {
      tx.claimedWorkflowTask = { runId: run.runId, token: started.token };
      return;
    }
  }
  tx.dispatch({
    taskQueue: wt.taskQueue,
    kind: 'workflow',
    ref: workflowTaskRef(run, wt),
  });
  tx.touch(run);
}

/** What names the run's workflow task to a task queue (its backlog row, a hand-over). */
export function workflowTaskRef(run: RunState, wt: WorkflowTaskState): TaskRef {
  return { namespace: run.namespace, workflowId: run.workflowId, runId: run.runId, kind: 'workflow', scheduledEventId: wt.scheduledEventId, attempt: wt.attempt, seq: wt.seq };
}

/**
 * Whether the run's workflow task is started, so input events buffer until it ends. An offered task
 * its queue put in its backlog is not: it waits there as any task, so its reserved start goes now
 * (src/engine/task-offer.ts); it keeps its dispatch sequence, which the backlog's ref carries.
 */
export function workflowTaskStarted(tx: Txn, run: RunState): boolean {
  const wt = run.workflowTask;
  if (wt?.handOff?.offered && tx.offerQueued?.(run.runId, wt.seq)) unstart(tx, run, wt);
  return wt?.startedEventId !== undefined;
}

/**
 * Adds an input event: written at once, or buffered while a workflow task runs; either
 * way a workflow task follows so the workflow sees it.
 */
export function addInputEvent<T extends EventType>(tx: Txn, run: RunState, eventType: T, attributes: AttributesOf<T>): void {
  if (workflowTaskStarted(tx, run)) {
    run.buffered.push({ eventType, attributes, time: tx.now });
    tx.touch(run);
    return;
  }
  tx.addEvent(run, eventType, attributes);
  scheduleWorkflowTask(tx, run);
}

/** Writes the events buffered during the task that just ended. */
export function flushBuffered(tx: Txn, run: RunState): boolean {
  if (run.buffered.length === 0) return false;
  // An activity's ActivityTaskStarted buffered with its close event gets its id only now: the
  // close event names it (startedEventId) by the id it is written with.
  const startedIds = new Map<number, number>();
  for (const b of run.buffered) {
    const attributes = b.attributes as { scheduledEventId?: number; startedEventId?: number; initiatedEventId?: number };
    // A child's close buffered with its ChildWorkflowExecutionStarted is keyed the same way, by its initiated event.
    const scheduled = attributes.scheduledEventId ?? attributes.initiatedEventId;
    const isStarted = b.eventType === 'ActivityTaskStarted' || b.eventType === 'ChildWorkflowExecutionStarted';
    if (!isStarted && scheduled !== undefined && startedIds.has(scheduled) && attributes.startedEventId === 0) {
      attributes.startedEventId = startedIds.get(scheduled)!;
    }
    const id = tx.addEvent(run, b.eventType, b.attributes as never, b.time);
    if (b.eventType === 'WorkflowExecutionUpdateAccepted') noteUpdateAccepted(run, b.attributes as AttributesOf<'WorkflowExecutionUpdateAccepted'>, id);
    if (isStarted && scheduled !== undefined) startedIds.set(scheduled, id);
    const child = b.eventType === 'ChildWorkflowExecutionStarted' && scheduled !== undefined ? run.children?.[scheduled] : undefined;
    if (child) child.startedEventId = id;
  }
  run.buffered = [];
  return true;
}

/**
 * The task a worker's poll may receive; undefined when the ref no longer names the pending task.
 * With a `handOff` (the worker acknowledges tasks), a first attempt's WorkflowTaskStarted is only
 * reserved, like a retried task's events: it is written once the worker acknowledges or ends the
 * task, so a task handed to a dead poll leaves no start in history (hand-off.ts).
 */
export function startWorkflowTask(tx: Txn, run: RunState, ref: { seq?: number }, identity: string | undefined, handOff?: HandOff): { token: TaskTokenData; wt: WorkflowTaskState } | undefined {
  const wt = run.workflowTask;
  // An offered task a poll asks for by its ref: no acknowledging poll took the offer (its queue put
  // the ref in the backlog, or gave it to a poll that does not acknowledge), so it waited unstarted
  // in the queue as any task does; its reserved start is dropped and this poll starts it.
  if (isRunning(run) && wt?.handOff?.offered && wt.seq === ref.seq) unstart(tx, run, wt);
  if (!isRunning(run) || !wt || wt.startedEventId !== undefined || wt.seq !== ref.seq || !wt.dispatched) return undefined;
  if (handOff) wt.handOff = handOff;
  if (wt.attempt === 1) {
    wt.historySizeBytes = run.historySizeBytes ?? 0;
    if (handOff) wt.startedEventId = run.nextEventId;
    else wt.startedEventId = tx.addEvent(run, 'WorkflowTaskStarted', startedAttributes(run, wt, identity));
  } else {
    // A retried task's events are transient: shown to the worker, written only if it completes.
    wt.scheduledEventId = run.nextEventId;
    wt.startedEventId = run.nextEventId + 1;
    wt.historySizeBytes = run.historySizeBytes ?? 0;
  }
  wt.startedTime = tx.now;
  wt.identity = identity;
  tx.touch(run);
  return {
    wt,
    token: {
      namespace: run.namespace,
      workflowId: run.workflowId,
      runId: run.runId,
      kind: 'workflow',
      scheduledEventId: wt.scheduledEventId,
      startedEventId: wt.startedEventId,
      attempt: wt.attempt,
    },
  };
}

/**
 * A started task the worker never had is made unstarted again, with its attempt and dispatch
 * sequence; input events buffered meanwhile are written (a first attempt's start was only reserved,
 * a retried one's events are transient, so none of it is in history).
 */
export function unstart(tx: Txn, run: RunState, wt: WorkflowTaskState): void {
  if (wt.attempt > 1) wt.scheduledEventId = 0;
  wt.startedEventId = undefined;
  wt.startedTime = undefined;
  wt.identity = undefined;
  wt.handOff = undefined;
  tx.touch(run);
  flushBuffered(tx, run);
}

/**
 * The sticky worker holding the run's cache stopped (Temporal's ShutdownWorker): a task sent to
 * its queue and not yet started goes to the normal queue at once, with the full history, rather
 * than after the sticky schedule-to-start timeout. As in Temporal, no event records the move.
 */
export function releaseStickyWorkflowTask(tx: Txn, run: RunState, ref: { seq?: number }, stickyQueue: string): void {
  if (run.sticky?.taskQueue === stickyQueue) {
    run.sticky = undefined;
    tx.touch(run);
  }
  const wt = run.workflowTask;
  if (!isRunning(run) || !wt || !wt.sticky || wt.taskQueue !== stickyQueue || wt.startedEventId !== undefined || wt.seq !== ref.seq) return;
  wt.taskQueue = run.taskQueue;
  wt.sticky = false;
  wt.dispatched = false;
  wt.seq = ++run.taskSeq;
  tx.touch(run);
  dispatchWorkflowTaskIfDue(tx, run);
}

/** A first attempt handed to a poll: its WorkflowTaskStarted is reserved, not yet written. */
const startedUnwritten = (wt: WorkflowTaskState) => wt.attempt === 1 && wt.handOff !== undefined && wt.startedEventId !== undefined;

/**
 * A WorkflowTaskStarted event's attributes. As in Temporal, it records the history's size when the
 * task started and whether continuing as new is suggested, so replay sees what the live run saw.
 */
function startedAttributes(run: RunState, wt: WorkflowTaskState, identity: string | undefined): AttributesOf<'WorkflowTaskStarted'> {
  const historySizeBytes = wt.historySizeBytes ?? 0;
  return {
    scheduledEventId: wt.scheduledEventId,
    identity,
    historySizeBytes,
    ...(continueAsNewSuggested({ nextEventId: wt.startedEventId ?? run.nextEventId, historySizeBytes }) ? { suggestContinueAsNew: true } : {}),
  };
}

/** The events of the started task not written yet (a retried task's, an unacknowledged start), as the worker must see them. */
export function transientEvents(run: RunState): HistoryEvent[] {
  const wt = run.workflowTask;
  if (!wt || wt.startedEventId === undefined || (wt.attempt === 1 && !startedUnwritten(wt))) return [];
  const time = new Date(wt.startedTime ?? wt.scheduledTime).toISOString();
  const started: HistoryEvent = { eventId: wt.startedEventId, eventTime: time, eventType: 'WorkflowTaskStarted', attributes: startedAttributes(run, wt, wt.identity) };
  if (wt.attempt === 1) return [started];
  return [
    { eventId: wt.scheduledEventId, eventTime: new Date(wt.scheduledTime).toISOString(), eventType: 'WorkflowTaskScheduled', attributes: { taskQueue: wt.taskQueue, startToCloseTimeoutMs: run.workflowTaskTimeoutMs, attempt: wt.attempt } },
    started,
  ];
}

/**
 * The running workflow task the token names, or TASK_NOT_FOUND. `worker`: the identity the worker
 * that has the task gives (acknowledging, completing or failing it): an offered task's start takes
 * it, since its poll was not known when it started — as in Temporal, WorkflowTaskStarted names the
 * worker that polled the task (and, one its queue held, is at the moment the queue handed it out: `now`
 * bounds the token's `startedAtMs`).
 */
export function requireStartedWorkflowTask(run: RunState | undefined, token: TaskTokenData, worker: string | undefined, now: number): WorkflowTaskState {
  const wt = run?.workflowTask;
  if (!run || !isRunning(run) || !wt || wt.startedEventId !== token.startedEventId || wt.scheduledEventId !== token.scheduledEventId || wt.attempt !== token.attempt) {
    throw new ServiceError('TASK_NOT_FOUND', 'Workflow task not found: it was already completed, failed or timed out, or its run has closed.');
  }
  if (wt.handOff?.offered) {
    if (wt.identity === undefined && worker !== undefined) wt.identity = worker;
    // An offer its queue held for a poll started when the queue handed it out, as the worker was told.
    if (token.startedAtMs !== undefined && wt.startedTime !== undefined) wt.startedTime = Math.max(wt.startedTime, Math.min(token.startedAtMs, now));
  }
  return wt;
}

/**
 * Writes the task's events held back so far — a retried task's transient pair, or an
 * unacknowledged first attempt's WorkflowTaskStarted — now that the worker has shown it has the
 * task (acknowledged, completed or failed it). The reserved ids are still the next ones: while the
 * task is started, input events are buffered.
 */
export function writeTransientEvents(tx: Txn, run: RunState, wt: WorkflowTaskState): void {
  if (startedUnwritten(wt)) {
    wt.handOff = undefined;
    tx.addEvent(run, 'WorkflowTaskStarted', startedAttributes(run, wt, wt.identity), wt.startedTime);
    return;
  }
  wt.handOff = undefined;
  if (wt.attempt === 1) return;
  tx.addEvent(run, 'WorkflowTaskScheduled', { taskQueue: wt.taskQueue, startToCloseTimeoutMs: run.workflowTaskTimeoutMs, attempt: wt.attempt }, wt.scheduledTime);
  tx.addEvent(run, 'WorkflowTaskStarted', startedAttributes(run, wt, wt.identity), wt.startedTime);
}

/**
 * Ends the running task without completing it (failed or timed out). Only the first
 * attempt's failure is written; later ones stay transient, as in Temporal. The task is
 * scheduled again at once with the next attempt (with back-off after the second).
 */
export function endWorkflowTaskUnsuccessfully(
  tx: Txn,
  run: RunState,
  how: { failed: { cause: WorkflowTaskFailedCause; failure?: Failure; identity?: string } } | { timedOut: TimeoutType },
  nextAttempt?: number,
): void {
  const wt = run.workflowTask;
  if (!wt) return;
  if (wt.attempt === 1) {
    if (startedUnwritten(wt)) writeTransientEvents(tx, run, wt);
    if ('failed' in how) {
      tx.addEvent(run, 'WorkflowTaskFailed', {
        scheduledEventId: wt.scheduledEventId,
        startedEventId: wt.startedEventId ?? 0,
        cause: how.failed.cause,
        ...(how.failed.failure ? { failure: how.failed.failure } : {}),
        identity: how.failed.identity,
      } as AttributesOf<'WorkflowTaskFailed'>);
    } else {
      tx.addEvent(run, 'WorkflowTaskTimedOut', { scheduledEventId: wt.scheduledEventId, startedEventId: wt.startedEventId ?? 0, timeoutType: how.timedOut });
    }
  }
  run.workflowTask = undefined;
  run.sticky = undefined;
  flushBuffered(tx, run);
  // A sticky task nobody took is not a failure of the workflow: it starts over on the normal queue.
  const stickyNotStarted = 'timedOut' in how && how.timedOut === 'SCHEDULE_TO_START';
  scheduleWorkflowTask(tx, run, nextAttempt ?? (stickyNotStarted ? 1 : wt.attempt + 1));
}

/** Called as a buffered accepted event gets its id (workflow-tasks.ts flushBuffered). */
function noteUpdateAccepted(run: RunState, attributes: AttributesOf<'WorkflowExecutionUpdateAccepted'>, eventId: number): void {
  const state = run.updates?.[attributes.acceptedRequest.meta.updateId];
  if (state) state.acceptedEventId = eventId;
}
