/**
 * The worker's sticky queue: the queue only it polls, where the service sends the next tasks of the
 * runs it holds in its cache. Named after the hash of a secret the worker keeps
 * (protocol/sticky-queue.ts), which proves on shutdown that it may close the queue.
 *
 * The service closes a sticky queue for good when it takes its worker for dead: a task handed to
 * one of its polls was not acknowledged in time and the worker had not polled since — a worker
 * whose event loop was blocked (a CPU-bound activity) looks just like one that was killed. Such a
 * worker, still alive, learns it from its next sticky poll (STICKY_QUEUE_CLOSED) and moves to a
 * new sticky queue (`replace`): its runs' tasks meanwhile went to the normal queue, and its
 * completions name the new queue from then on, so stickiness resumes.
 */
import { createHash, randomBytes } from 'node:crypto';

export class StickyQueue {
  private current: { name: string; secret: string };

  constructor(
    /** `<task queue>/sticky/<identity>`: what every name of this worker's sticky queues starts with. */
    private readonly prefix: string,
    /** Temporal's stickyQueueScheduleToStartTimeout, named in each completion with the queue. */
    readonly scheduleToStartTimeoutMs: number,
  ) {
    this.current = StickyQueue.make(prefix);
  }

  get name(): string {
    return this.current.name;
  }

  /** Proves on shutdown that this worker owns the queue; never sent before. */
  get secret(): string {
    return this.current.secret;
  }

  /**
   * The service closed the queue `closed`: a new one takes its place. False when `closed` was
   * already replaced (every sticky poller learns of the closing; the first replaces it).
   */
  replace(closed: string): boolean {
    if (closed !== this.current.name) return false;
    this.current = StickyQueue.make(this.prefix);
    return true;
  }

  private static make(prefix: string): { name: string; secret: string } {
    const secret = randomBytes(32).toString('base64url');
    return { name: stickyQueueNameSync(prefix, secret), secret };
  }
}

/**
 * protocol/sticky-queue.ts's `stickyQueueName`, computed synchronously with node:crypto so that the
 * worker's constructor can name the queue (worker.test.ts checks that both give the same name).
 */
export function stickyQueueNameSync(prefix: string, secret: string): string {
  return `${prefix}/${createHash('sha256').update(secret).digest('hex').slice(0, 32)}`;
}
