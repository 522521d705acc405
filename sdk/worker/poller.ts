/**
 * One long-poll loop: polls, hands each task to its handler, and polls again while it
 * has capacity. Polls that fail (the service restarting, the network down) are retried
 * with capped exponential back-off, so workers survive a service restart; `health` logs
 * the outage once and its end once, for all of a worker's loops together.
 */
import type { ServiceHealth } from './service-health.js';

export interface PollLoopOptions<T> {
  name: string;
  /** One poll; with `max` > 1 it may answer with several tasks (protocol 3). */
  poll: (signal: AbortSignal, max: number) => Promise<T | readonly T[] | undefined>;
  /**
   * How many tasks one poll may bring: the poll asks for one more than the slots free besides its
   * own (at most this), so that tasks due together arrive in one round trip. Default 1.
   */
  maxPerPoll?: number;
  /** Free execution slots right now (read with `maxPerPoll`). */
  freeSlots?: () => number;
  /** Waits for a free execution slot; the returned function gives it back. */
  acquire: () => Promise<() => void>;
  handle: (task: T) => Promise<void>;
  /**
   * Protocol 2 (`acknowledgesHandOff`): tells the service the task arrived. Called only for a task
   * still being handled `ackAfterMs` after it came — completing it acknowledges it as well.
   */
  acknowledge?: (task: T) => Promise<void>;
  /** Aborted when the worker stops polling: no new poll starts, but one in flight still delivers its task. */
  signal: AbortSignal;
  health: ServiceHealth;
  /** Injected so tests can move time. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 10_000;
/**
 * A task still running this long after it came is acknowledged. The service takes a task for lost
 * after `Limits.handOffAckMs` (1 s) from its start; most tasks end sooner, and their completion
 * is the acknowledgement, so they cost no extra call.
 */
export const ACK_AFTER_MS = 200;

const abortableSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/**
 * Runs until `signal` aborts; resolves once no poll is in flight (tasks may still run).
 * A poll in flight when the worker stops is not abandoned: the worker asks the service
 * to end it (`cancelPolls`), and a task it brings back is still handled, so no task is
 * handed to a poll nobody reads.
 */
export async function pollLoop<T>(o: PollLoopOptions<T>): Promise<void> {
  const sleep = o.sleep ?? abortableSleep;
  let failures = 0;
  while (!o.signal.aborted) {
    const release = await o.acquire();
    if (o.signal.aborted) {
      release();
      break;
    }
    let tasks: readonly T[];
    try {
      const max = Math.max(1, Math.min(o.maxPerPoll ?? 1, 1 + (o.freeSlots?.() ?? 0)));
      const got = await o.poll(o.signal, max);
      tasks = got === undefined ? [] : Array.isArray(got) ? got : [got as T];
      failures = 0;
      o.health.succeeded();
    } catch (err) {
      release();
      if (o.signal.aborted) break;
      failures++;
      const delay = Math.min(MIN_BACKOFF_MS * 2 ** (failures - 1), MAX_BACKOFF_MS);
      o.health.failed(o.name, err, delay, MAX_BACKOFF_MS);
      await sleep(delay, o.signal);
      continue;
    }
    if (tasks.length === 0) {
      release();
      continue;
    }
    tasks.forEach((task, i) => {
      // The first task runs in this loop's slot; the others each wait for a slot of their own
      // (they were asked for while slots were free, so they seldom wait), acknowledged if slow.
      const ended = o.acknowledge ? acknowledgeIfSlow(task, o.acknowledge) : undefined;
      // One handler for the end of a task: its slot back, its acknowledgement's timer off.
      const run = (slot: () => void) => {
        const done = () => {
          slot();
          ended?.();
        };
        void o.handle(task).then(done, (err: unknown) => {
          done();
          throw err;
        });
      };
      if (i === 0) run(release);
      else void o.acquire().then(run);
    });
  }
}

/** Tasks whose answer (completion, failure, query answer) is on its way to the service. */
const answering = new WeakSet<object>();

/**
 * Marks that `task`'s answer is being sent. Its answer acknowledges it: an acknowledgement sent
 * from now on travels the same way and arrives no sooner, so it would only cost a request (and,
 * once the answer has closed the task, draw TASK_NOT_FOUND).
 */
export function answeringNow(task: object): void {
  answering.add(task);
}

/**
 * Acknowledges `task` if it is still being handled `ACK_AFTER_MS` after it came (polled, or
 * handed back in an answer) and its answer is not yet on its way. Returns what to call when the
 * task has been handled (the caller's own handler of its end, so the task costs no promise more).
 */
export function acknowledgeIfSlow<T>(task: T, acknowledge: (task: T) => Promise<void>): () => void {
  const timer = setTimeout(() => {
    if (!(typeof task === 'object' && task !== null && answering.has(task))) void acknowledge(task);
  }, ACK_AFTER_MS);
  return () => clearTimeout(timer);
}

/** A counting semaphore: bounded concurrency for task execution. */
export class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  get used(): number {
    return this.size - this.free;
  }

  /** A slot now, or undefined when none is free (nobody queues behind). */
  tryAcquire(): (() => void) | undefined {
    if (this.free === 0) return undefined;
    this.free--;
    return this.releaser();
  }

  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}
