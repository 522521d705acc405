/**
 * Started workflow tasks a task queue keeps in memory for its next poll (src/task-queue-object.ts),
 * oldest first: a sticky hand-over (src/engine/sticky-hand-over.ts), which any poll of its queue
 * takes as it is, and an offer (src/engine/task-offer.ts), which a poll that acknowledges takes as
 * it is and any other through `startTask`. Each is kept only for a while after its start (`until`),
 * so the worker that gets it has time left in its hand-off window to acknowledge it. Past that, an
 * offer goes to the queue's backlog (`onExpired`, which answers it 'queued'), and a hand-over is
 * dropped: the workflow object sends it to the run's normal queue when its window ends. Nothing here
 * is stored: a queue that restarts loses them, and the workflow object's hand-off window, not this,
 * is what makes them durable.
 */
import { Limits } from '../protocol/index.js';
import type { Clock } from './clock.js';
import type { WorkflowTask } from '../protocol/index.js';
import { signedTask, type StartedTask, type UnsignedWorkflowTask } from './started-task.js';
import type { OfferOutcome } from './task-queue-object.js';
import { withStartedAt, type TaskRef } from './task-token.js';

/** What is held: a task started and signed (at a queue), or a shard's offer, signed when taken. */
export type HoldableTask = StartedTask | UnsignedWorkflowTask;

export interface Held<T extends HoldableTask = StartedTask> {
  task: T;
  ref: TaskRef;
  /** When it came here (the queue's clock), for schedule-to-start. */
  at: number;
  /** Given out no later than this (the queue's clock). */
  until: number;
  /** An offer's: answers the workflow object's `addTask`, which waits while the task is held. */
  answer?: (outcome: OfferOutcome) => void;
}

/**
 * How long after its start a sticky hand-over is held for a poll: half its hand-off window, so the
 * worker that gets it still has the other half to acknowledge it (src/engine/hand-off.ts). An offer's
 * window is longer by what it may be held (OFFER_HOLD_MS), so its worker keeps all of `handOffAckMs`.
 */
export const HAND_OVER_HOLD_MS = Limits.handOffAckMs / 2;

/**
 * A held offer handed out as it is (by a queue, or a shard, src/workflow-object/shard-polls.ts): started
 * `now`, when a worker gets it, as a polled task is (in Temporal, WorkflowTaskStarted is the match), not
 * when its workflow object offered it — the workflow's clock reads its time. Its WorkflowTaskStarted
 * (the history's last event), its `startedTime` and its token say so; the object writes the event with
 * the token's time.
 */
export async function startedNow(started: StartedTask, now: number, tokenSecret: string | undefined): Promise<StartedTask> {
  const task = started.kind === 'workflow' ? restamped(started.task, now) : undefined;
  return task ? { kind: 'workflow', task: { ...task, taskToken: await withStartedAt(task.taskToken, now, tokenSecret) } } : started;
}

/**
 * A shard's held offer as `startedNow` makes a signed one, signed once: its token is the one
 * `withStartedAt` would make of the offer's (the same data, `startedAtMs` last).
 */
export async function signedStartedNow(offered: UnsignedWorkflowTask, now: number, tokenSecret: string | undefined): Promise<WorkflowTask> {
  const task = restamped(offered.task, now);
  return signedTask(task ? { kind: 'unsigned', task, token: { ...offered.token, startedAtMs: now } } : offered, tokenSecret);
}

/** The task started `now` (its WorkflowTaskStarted's time, its `startedTime`), or undefined when it keeps its offer's time. */
function restamped<T extends Omit<WorkflowTask, 'taskToken'>>(task: T, now: number): T | undefined {
  if (!(now > Date.parse(task.startedTime))) return undefined;
  const last = task.history.at(-1);
  // A first page that does not reach the start (a history in pages) keeps the offer's time: the rest comes from the object.
  if (last?.eventId !== task.startedEventId || last.eventType !== 'WorkflowTaskStarted') return undefined;
  const at = new Date(now).toISOString();
  // A copy: the task's events may be the ones its workflow object keeps in memory (WorkflowStore.viewEvents), never changed.
  const history = [...task.history.slice(0, -1), { ...last, eventTime: at }];
  return { ...task, history, startedTime: at };
}

/** Offers held at once at most; a burst beyond it goes to the backlog, as when no poll acknowledges. */
export const MAX_HELD_OFFERS = 1000;

export class HeldTasks<T extends HoldableTask = StartedTask> {
  private readonly list: Array<Held<T>> = [];
  /**
   * No held task's time is up before this (a lower bound: what leaves the list leaves it as it was), so
   * that `peek`, at every poll, looks through the list only when one may be past its time.
   */
  private earliestUntil = Infinity;
  /** Expires the held offers at the earliest one's time. */
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly clock: Clock,
    /** The offers whose time is up, oldest first, all in one synchronous stretch (so one commit for their backlog rows). */
    private readonly onExpired: (expired: Array<Held<T>>) => void,
  ) {}

  get size(): number {
    return this.list.length;
  }

  /** Keeps a started task until `holdMs` after its start; `answer`: an offer's. */
  hold(task: T, ref: TaskRef, holdMs: number, answer?: (outcome: OfferOutcome) => void): void {
    const at = this.clock.now();
    // Counted from the start (the workflow object's clock) if that was earlier than its arrival here.
    const startedAt = task.kind !== 'activity' ? Date.parse(task.task.startedTime) : NaN;
    const until = (Number.isFinite(startedAt) ? Math.min(at, startedAt) : at) + holdMs;
    this.list.push({ task, ref, at, until, ...(answer ? { answer } : {}) });
    this.earliestUntil = Math.min(this.earliestUntil, until);
    if (answer) this.schedule();
  }

  /** The oldest one still within its time, not taken yet (expiring those past it first). */
  peek(): Held<T> | undefined {
    this.expire();
    return this.list[0];
  }

  /** Takes the oldest (the one `peek` gave). */
  take(): Held<T> | undefined {
    return this.list.shift();
  }

  /** Gives back one taken that could not be handed out: it is the oldest again. */
  putBack(held: Held<T>): void {
    this.list.unshift(held);
    this.earliestUntil = Math.min(this.earliestUntil, held.until);
  }

  /** Takes them all (a queue closing). */
  takeAll(): Array<Held<T>> {
    return this.list.splice(0);
  }

  /**
   * The workflow object dispatched the run's workflow task again (a later dispatch sequence: its
   * hand-off window ended, say, while this queue's clock lagged): a task held for an earlier one is
   * stale, and a poll must not get it. Its offer is answered 'stale', which the object ignores.
   */
  dropSuperseded(ref: TaskRef): void {
    if (ref.kind !== 'workflow' || ref.seq === undefined || this.list.length === 0) return;
    for (let i = this.list.length - 1; i >= 0; i--) {
      const held = this.list[i]!.ref;
      if (held.runId !== ref.runId || held.workflowId !== ref.workflowId || held.namespace !== ref.namespace || held.seq === undefined || held.seq >= ref.seq) continue;
      this.list.splice(i, 1)[0]!.answer?.('stale');
    }
  }

  /** Those past their time: offers to `onExpired`, hand-overs dropped. */
  private expire(): void {
    const now = this.clock.now();
    if (this.earliestUntil >= now) return;
    const expired: Array<Held<T>> = [];
    this.earliestUntil = Infinity;
    for (let i = 0; i < this.list.length; ) {
      const held = this.list[i]!;
      if (held.until >= now) {
        this.earliestUntil = Math.min(this.earliestUntil, held.until);
        i++;
        continue;
      }
      this.list.splice(i, 1);
      if (held.answer) expired.push(held);
    }
    if (expired.length > 0) this.onExpired(expired);
  }

  /** Sets the timer for the earliest held offer's time. */
  private schedule(): void {
    if (this.timer !== undefined) return;
    const next = Math.min(...this.list.filter((h) => h.answer).map((h) => h.until));
    if (!Number.isFinite(next)) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.expire();
      this.schedule();
    }, Math.max(0, next - this.clock.now() + 1));
  }
}
