/**
 * One long-poll loop: polls, hands each task to its handler, and polls again while it
 * has capacity. Polls that fail (the service restarting, the network down) are retried
 * with capped exponential back-off, so workers survive a service restart.
 */
export interface PollLoopOptions<T> {
  name: string;
  poll: (signal: AbortSignal) => Promise<T | undefined>;
  /** Waits for a free execution slot; the returned function gives it back. */
  acquire: () => Promise<() => void>;
  handle: (task: T) => Promise<void>;
  /** Aborted when the worker stops polling: no new poll starts, but one in flight still delivers its task. */
  signal: AbortSignal;
  log: Pick<Console, 'warn'>;
  /** Injected so tests can move time. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 10_000;

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
    let task: T | undefined;
    try {
      task = await o.poll(o.signal);
      failures = 0;
    } catch (err) {
      release();
      if (o.signal.aborted) break;
      failures++;
      const delay = Math.min(MIN_BACKOFF_MS * 2 ** (failures - 1), MAX_BACKOFF_MS);
      if (failures === 1 || failures % 10 === 0) o.log.warn(`${o.name}: poll failed (${failures}×), retrying in ${delay} ms: ${(err as Error)?.message ?? err}`);
      await sleep(delay, o.signal);
      continue;
    }
    if (task === undefined) {
      release();
      continue;
    }
    void o.handle(task).finally(release);
  }
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
