/**
 * `ShardPollers`: the worker's polls of its normal workflow queue at the service's workflow shards
 * (protocol 6). A new run's first workflow task goes, started, to a poll waiting at its shard before
 * it goes to the task queue, so with a poll waiting at every shard it reaches the worker without the
 * queue's hop. The service says how many shards it has in every workflow-task poll's answer
 * (`workflowShards`); the first answer that says so starts one loop per shard, which `loop` runs as
 * the normal queue's pollers run (same slots, tasks per poll, acknowledgement). A service that does
 * not say (older, or an object per workflow) gets no shard polls, and the worker polls as before.
 *
 * A waiting poll keeps its shard's Durable Object active, and Cloudflare bills an active object's
 * duration: a worker with no new runs would keep every shard (16 deployed) billed for ever. So a
 * shard's loop whose poll ran out empty (no first task there for a whole long poll) parks, and the
 * worker wakes the parked loops when one of its queue polls brings a task (`wake`): the first run after
 * a quiet spell reaches it through the task queue, and the runs after it through the shards again.
 */
import type { WorkflowTask } from '../../protocol/index.js';

export interface ShardPollersOptions {
  /**
   * Runs one poll loop (pollLoop) with `poll` until the worker stops polling; what `ready` gives is
   * awaited before each poll takes its slot (undefined: ready now, nothing to await).
   */
  loop: (name: string, poll: (max: number) => Promise<WorkflowTask[]>, ready: () => Promise<void> | undefined) => Promise<void>;
  /** One long poll at shard `shard`, for up to `max` tasks. */
  poll: (shard: number, max: number) => Promise<WorkflowTask[]>;
}

export class ShardPollers {
  private readonly loops: Promise<void>[] = [];
  /** The shards whose last poll ran out empty: their loops wait for `wake` before they poll again. */
  private readonly parked = new Set<number>();
  /** What parked loops wait on: resolved by `wake`, or when the worker stops polling. */
  private woken: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly o: ShardPollersOptions,
    /** Aborted when the worker stops polling: parked loops go on, to end. */
    private readonly stop: AbortSignal,
  ) {
    stop.addEventListener('abort', () => this.wake(), { once: true });
  }

  /** Shards whose loop is parked (for tests and the worker's own view). */
  get parkedShards(): number {
    return this.parked.size;
  }

  /** Whether shard polls run (the service said it has shards): a stopping worker then ends them (`shutdownWorker` with its poller id). */
  get running(): boolean {
    return this.loops.length > 0;
  }

  /** A workflow-task poll's answer said the service has `shards` shards: the loops start (once; the count is fixed per deployment). */
  learn(shards: number | undefined): void {
    if (shards === undefined || this.running) return;
    for (let shard = 0; shard < shards; shard++) this.loops.push(this.o.loop(`workflow poller (shard ${shard})`, (max) => this.poll(shard, max), () => this.ready(shard)));
  }

  /** A task came through the worker's queue: runs start again, so parked loops poll their shards again. */
  wake(): void {
    if (this.parked.size === 0 && !this.stop.aborted) return;
    this.parked.clear();
    this.wakeUp?.();
    this.woken = this.wakeUp = undefined;
  }

  private async poll(shard: number, max: number): Promise<WorkflowTask[]> {
    const tasks = await this.o.poll(shard, max);
    if (tasks.length === 0 && !this.stop.aborted) this.parked.add(shard);
    return tasks;
  }

  private ready(shard: number): Promise<void> | undefined {
    if (!this.parked.has(shard) || this.stop.aborted) return undefined;
    return (this.woken ??= new Promise<void>((resolve) => (this.wakeUp = resolve)));
  }

  /**
   * Resolves once every loop started has ended. Loops start only from a poll's answer, so once the
   * worker's own poll loops have ended, every loop that will ever start has started.
   */
  async done(): Promise<void> {
    await Promise.all(this.loops);
  }
}
