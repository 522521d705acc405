/**
 * ShardPolls: the workflow-task polls waiting at one workflow shard (protocol 6), in memory, by task
 * queue. A worker long-polls its normal queue here as well as at the queue; a first workflow task one
 * of the shard's workflows offers (src/workflow-object/task-offer.ts) goes to the newest poll waiting
 * here for its queue before any RPC to the queue. A poll answers with that task, or empty when its
 * long-poll bound passes or its worker stops (`cancel`).
 *
 * Under load a worker's poll is often on its way back when an offer comes (it just took one). So
 * while a poll of the queue was answered here lately, an offer no poll waits for is held
 * (src/held-tasks.ts) up to `holdMs` after its start for the next poll, which takes up to its
 * `maxTasks` of them at once, each started when taken (`signedStartedNow`: the workflow's clock reads the
 * hand-out, as for a task a queue held); past that it goes to the queue. An offer comes here unsigned
 * and is signed once, by whichever poll takes it (one it goes to the queue, by its sender). Nothing is stored: a shard that
 * restarts drops its polls and what it held, and a task lost so, or given to a poll whose worker is
 * gone, is caught by the offer's hand-off window, as one taken at the queue is.
 */
import type { WorkflowTask } from '../../protocol/index.js';
import { Clock } from '../clock.js';
import { HeldTasks, signedStartedNow } from '../held-tasks.js';
import { signedTask, type UnsignedWorkflowTask } from '../started-task.js';
import type { TaskRef } from '../task-token.js';

/**
 * How long after its start an offer is held for the next shard poll (KEEL_SHARD_HOLD_MS; 0: never held).
 * At 50 workflows in flight on one machine a worker's poll took 25–100 ms to come back: held 25 ms, 45%
 * of first tasks still went to the queue, held 100 ms 7% (bench/RESULTS.md, "Shard polls").
 */
export const SHARD_HOLD_MS = 100;

/** KEEL_SHARD_HOLD_MS, or SHARD_HOLD_MS; at most a second (the offer's hold, OFFER_HOLD_MS, counts from the same start). */
export function shardHoldMs(env: { KEEL_SHARD_HOLD_MS?: string }): number {
  const n = Number(env.KEEL_SHARD_HOLD_MS ?? SHARD_HOLD_MS);
  return Number.isFinite(n) && n >= 0 ? Math.min(n, 1000) : SHARD_HOLD_MS;
}

/** A queue whose poll here was answered within this has polls coming back: offers are held for them. */
const COMING_BACK_MS = 1000;

/** Where an offer went: to a poll here, or not (then to its queue). */
export type ShardOfferOutcome = 'taken' | 'none';

interface Waiting {
  taskQueue: string;
  /** The worker's poller id: `cancel` ends its polls. */
  pollerId: string;
  answer: (tasks: WorkflowTask[] | Promise<WorkflowTask[]>) => void;
}

export class ShardPolls {
  /** By task queue, oldest first. */
  private readonly byQueue = new Map<string, Waiting[]>();
  /** Offers held for the next poll, by task queue. */
  private readonly held = new Map<string, HeldTasks<UnsignedWorkflowTask>>();
  /** When a poll of each queue was last answered with tasks (the clock's time). */
  private readonly answeredAt = new Map<string, number>();

  constructor(
    private readonly holdMs = SHARD_HOLD_MS,
    /** KEEL_TOKEN_SECRET: an offered task's token is signed when a poll takes it (a held one with the moment it did). */
    private readonly tokenSecret?: string,
    /** The shard's clock (WorkflowObject.clock; its time, which tests move): holds, and a held task's start. */
    private readonly clock = new Clock(),
  ) {}

  /** Polls waiting now (all queues). */
  get size(): number {
    let n = 0;
    for (const list of this.byQueue.values()) n += list.length;
    return n;
  }

  /** Whether a poll of `taskQueue` waits now. */
  waits(taskQueue: string): boolean {
    return this.byQueue.has(taskQueue);
  }

  /**
   * Takes up to `maxTasks` held tasks of `taskQueue`, else waits up to `waitMs` for one; answers [] when
   * none came. `ended`: the poll's worker is gone when it aborts (its shard channel closed), and the
   * poll ends as a cancelled one does.
   */
  wait(taskQueue: string, pollerId: string, waitMs: number, maxTasks = 1, ended?: AbortSignal): Promise<WorkflowTask[]> {
    if (ended?.aborted) return Promise.resolve([]);
    const ready = this.takeHeld(taskQueue, maxTasks);
    if (ready.length > 0) return Promise.all(ready).then((tasks) => this.answered(taskQueue, tasks));
    return new Promise((resolve) => {
      const end = () => void this.end(waiting);
      const waiting: Waiting = {
        taskQueue,
        pollerId,
        answer: (tasks) => {
          clearTimeout(timer);
          ended?.removeEventListener('abort', end);
          resolve(tasks);
        },
      };
      const timer = setTimeout(() => this.remove(waiting) && waiting.answer([]), waitMs);
      ended?.addEventListener('abort', end);
      const list = this.byQueue.get(taskQueue);
      if (list) list.push(waiting);
      else this.byQueue.set(taskQueue, [waiting]);
    });
  }

  /**
   * An offered task (`ref` names it), not signed yet: to the newest poll waiting for `taskQueue` (a
   * worker that went away leaves its polls here until their bound; the newest is the likeliest to be
   * read), else held for the next poll while polls of the queue are coming back (the answer then waits:
   * 'taken', or 'none' once its time is up), else 'none' at once. Signed here only when a poll takes it.
   */
  offer(taskQueue: string, task: UnsignedWorkflowTask, ref: TaskRef): ShardOfferOutcome | Promise<ShardOfferOutcome> {
    const list = this.byQueue.get(taskQueue);
    const waiting = list?.pop();
    if (waiting) {
      if (list!.length === 0) this.byQueue.delete(taskQueue);
      waiting.answer(this.answered(taskQueue, signedTask(task, this.tokenSecret).then((signed) => [signed])));
      return 'taken';
    }
    const now = this.clock.now();
    if (this.holdMs <= 0 || !(now - (this.answeredAt.get(taskQueue) ?? -Infinity) < COMING_BACK_MS)) return 'none';
    let held = this.held.get(taskQueue);
    if (!held) this.held.set(taskQueue, (held = new HeldTasks(this.clock, (expired) => expired.forEach((h) => h.answer!('queued')))));
    return new Promise((resolve) => held.hold(task, ref, this.holdMs, (outcome) => resolve(outcome === 'taken' ? 'taken' : 'none')));
  }

  /**
   * A worker is stopping: its waiting polls answer empty at once. Its queues' offers are not held
   * for it any more (it polls no more; another worker's answered poll holds them again). Returns how many.
   */
  cancel(pollerId: string): number {
    let cancelled = 0;
    for (const list of [...this.byQueue.values()]) {
      for (const waiting of list.filter((w) => w.pollerId === pollerId)) if (this.end(waiting)) cancelled++;
    }
    return cancelled;
  }

  /** A waiting poll whose worker stops (or went away) answers empty now; its queue's offers are held for it no more. False when it was answered already. */
  private end(waiting: Waiting): boolean {
    if (!this.remove(waiting)) return false;
    this.answeredAt.delete(waiting.taskQueue);
    waiting.answer([]);
    return true;
  }

  /** Up to `max` held tasks of the queue still within their time, oldest first, each started now and signed (`signedStartedNow`) and its offer answered 'taken'. */
  private takeHeld(taskQueue: string, max: number): Array<Promise<WorkflowTask>> {
    const held = this.held.get(taskQueue);
    const tasks: Array<Promise<WorkflowTask>> = [];
    for (let h = held?.peek(); h && tasks.length < max; h = held!.peek()) {
      held!.take();
      h.answer!('taken');
      tasks.push(signedStartedNow(h.task, this.clock.now(), this.tokenSecret));
    }
    return tasks;
  }

  /** Notes that a poll of the queue got `tasks` (its worker polls again soon); returns them. */
  private answered<T>(taskQueue: string, tasks: T): T {
    this.answeredAt.set(taskQueue, this.clock.now());
    return tasks;
  }

  /** Takes `waiting` off its queue's list; false when it is not there (answered already). */
  private remove(waiting: Waiting): boolean {
    const list = this.byQueue.get(waiting.taskQueue);
    const i = list ? list.indexOf(waiting) : -1;
    if (i < 0) return false;
    list!.splice(i, 1);
    if (list!.length === 0) this.byQueue.delete(waiting.taskQueue);
    return true;
  }
}
