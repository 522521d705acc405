/**
 * `ShardPollers`: the worker's polls of its normal workflow queue at the service's workflow shards
 * (protocol 6). A new run's first workflow task goes, started, to a poll waiting at its shard before
 * it goes to the task queue, so with a poll waiting at every shard it reaches the worker without the
 * queue's hop. The service says how many shards it has in every workflow-task poll's answer
 * (`workflowShards`); the first answer that says so starts one loop per shard, which `loop` runs as
 * the normal queue's pollers run (same slots, tasks per poll, acknowledgement). A service that does
 * not say (older, or an object per workflow) gets no shard polls, and the worker polls as before.
 */
import type { WorkflowTask } from '../../protocol/index.js';

export interface ShardPollersOptions {
  /** Runs one poll loop (pollLoop) with `poll` until the worker stops polling. */
  loop: (name: string, poll: (max: number) => Promise<WorkflowTask[]>) => Promise<void>;
  /** One long poll at shard `shard`, for up to `max` tasks. */
  poll: (shard: number, max: number) => Promise<WorkflowTask[]>;
}

export class ShardPollers {
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly o: ShardPollersOptions) {}

  /** Whether shard polls run (the service said it has shards): a stopping worker then ends them (`shutdownWorker` with its poller id). */
  get running(): boolean {
    return this.loops.length > 0;
  }

  /** A workflow-task poll's answer said the service has `shards` shards: the loops start (once; the count is fixed per deployment). */
  learn(shards: number | undefined): void {
    if (shards === undefined || this.running) return;
    for (let shard = 0; shard < shards; shard++) this.loops.push(this.o.loop(`workflow poller (shard ${shard})`, (max) => this.o.poll(shard, max)));
  }

  /**
   * Resolves once every loop started has ended. Loops start only from a poll's answer, so once the
   * worker's own poll loops have ended, every loop that will ever start has started.
   */
  async done(): Promise<void> {
    await Promise.all(this.loops);
  }
}
