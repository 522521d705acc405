/**
 * `QueueParking`: when the worker long-polls one of its task queues (the normal workflow queue, the
 * activity queue) and when it does not (protocol 10, docs/workers.md).
 *
 * A long poll waiting in a queue's Durable Object keeps the object active, and Cloudflare bills an
 * active object's duration: a worker with nothing to do kept its two queues billed around the clock. So
 * once a poll of a queue comes back empty after its whole wait, the queue is *parked*: its poll loops
 * wait here before their next poll. Every task a queue gets comes from a workflow shard, and when no poll
 * waited for it (it went to the backlog) that shard sends a *wake* on the worker's channel to it
 * (src/workflow-object/queue-wakes.ts); a wake unparks the queue and the loops long-poll it again, until a
 * poll comes back empty again. The sticky queue and the shard polls park by rules of their own
 * (run-cache.ts, shard-pollers.ts); a task through this queue wakes the shard polls too (worker.ts).
 *
 * No task is stranded:
 * - a wake that comes while a poll is on its way (between the queue's empty answer and this worker
 *   reading it) counts: a poll parks the queue only if no wake came since it was sent (`wakes`);
 * - a channel that opens (the first time, or again after it closed: wakes sent meanwhile were lost) has
 *   one loop of each parked queue poll it once without waiting (`check`);
 * - while parked, a loop polls it so, without waiting, every `checkIntervalMs` (a minute by default):
 *   the backstop for a wake lost any other way. One request, no duration.
 * Parking starts only once the service said it sends wakes (a poll's answer, `wakes`) and while the
 * worker's channels are on (`canPark`); when they go off for good, parked queues are woken for good.
 */

export interface QueueParkingOptions {
  /** Whether a poll that came back empty may park the queue now: the service sends wakes and the channels are on. */
  canPark: () => boolean;
  /** How often a parked queue is checked with a poll that does not wait. */
  checkIntervalMs: number;
  /** Aborted when the worker stops polling: parked loops go on, to end. */
  stop: AbortSignal;
}

/** What a poll knew when it was sent (`beginPoll`). */
export interface PollStart {
  /** 0: a parked queue's check (answered at once); undefined: a long poll. */
  waitMs: 0 | undefined;
  /** The wakes counted when it was sent. */
  wakes: number;
}

export class QueueParking {
  private parked = false;
  /** Wakes received: a poll sent before the latest one does not park the queue. */
  private wakes = 0;
  /** Loops waiting before their next poll while the queue is parked. */
  private readonly waiting: Array<() => void> = [];
  private checkTimer: ReturnType<typeof setInterval> | undefined;
  /** Times the queue parked, and polls sent while parked (checks), for tests. */
  readonly stats = { parked: 0, checks: 0, woken: 0 };

  constructor(private readonly o: QueueParkingOptions) {
    o.stop.addEventListener('abort', () => this.unpark(), { once: true });
  }

  get isParked(): boolean {
    return this.parked;
  }

  /** Before a loop's poll takes its slot: undefined to poll now; else resolves when the queue is woken, checked, or the worker stops. */
  ready(): Promise<void> | undefined {
    if (!this.parked || this.o.stop.aborted) return undefined;
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** A poll is sent now. */
  beginPoll(): PollStart {
    if (this.parked) this.stats.checks++;
    return { waitMs: this.parked ? 0 : undefined, wakes: this.wakes };
  }

  /**
   * A poll's answer came: with a task, the queue is busy again (unparked); empty, it parks — unless a wake
   * came since the poll was sent (the task it announced may have reached the queue after this poll left it).
   */
  endPoll(start: PollStart, gotTask: boolean): void {
    if (gotTask) return this.unpark();
    if (this.parked || start.wakes !== this.wakes || this.o.stop.aborted || !this.o.canPark()) return;
    this.parked = true;
    this.stats.parked++;
    // Ref'd: the backstop keeps the process alive as the polls it replaces did.
    this.checkTimer = setInterval(() => this.check(), this.o.checkIntervalMs);
  }

  /** A wake for this queue (a task went to its backlog): the loops poll it again. */
  wake(): void {
    this.wakes++;
    if (this.parked) this.stats.woken++;
    this.unpark();
  }

  /** One loop polls the parked queue once without waiting (a channel opened; the backstop's tick). */
  check(): void {
    if (this.parked) this.waiting.shift()?.();
  }

  private unpark(): void {
    this.parked = false;
    clearInterval(this.checkTimer);
    this.checkTimer = undefined;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}
