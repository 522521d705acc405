/**
 * A shard's side of protocol 10: waking the workers that parked their polls of a task queue.
 *
 * A long poll waiting in a task queue's object keeps that object active, and Cloudflare bills an active
 * object's duration: a connected worker with nothing to do kept its workflow and activity queues billed
 * around the clock (bench/RESULTS.md, "What a connected worker costs with nothing to do"). So a worker
 * stops polling a queue once a poll of it came back empty (it *parks* it, sdk/worker/queue-parking.ts),
 * and is woken here: every task a queue gets from a workflow comes from its shard (the outbox, an offer, a
 * query: `addToQueue`, the one way a shard's parts hand a queue a task), and when the queue answers that
 * the task went to its backlog — no poll waited for it — the shard sends a small message, the wake, on the
 * channels (protocol 7) of the workers that said, opening them, that they serve that queue. Those channels
 * are hibernatable, so holding them costs nothing while nothing happens; sending costs no request.
 *
 * Which channels: a worker's upgrade names its task queue and kinds (`shardChannelServesQuery`), kept as
 * the socket's hibernation tags (`wakeTag`: the kind and a hash of the queue's name, which fits a tag's
 * 256 characters whatever the name), so a wake reaches the sockets of that queue only — `getWebSockets`
 * finds them by tag after hibernation too — and a client's channel, or a worker of another queue, gets
 * none. A hash that collides sends a wake the worker drops (it reads the queue's name in the message).
 * A task that a waiting poll took, or a busy queue's backlog while its workers poll, sends wakes no one
 * parked needs: a worker that is polling ignores them; they cost the shard a `send` per serving channel.
 */
import { shardOf } from '../../protocol/workflow-shard.js';
import { shardChannelServesOf, type ShardChannelQueueKind, type ShardChannelWake } from '../../protocol/index.js';
import type { Env } from '../env.js';
import type { StartedTask } from '../started-task.js';
import { taskQueueStub } from '../stubs.js';
import type { OfferOutcome } from '../task-queue-object.js';
import type { TaskRef } from '../task-token.js';

/** The hibernation tag of the channels that serve `taskQueue`'s tasks of `kind`: the kind and a 32-bit hash of the name. */
export const wakeTag = (kind: ShardChannelQueueKind, taskQueue: string) => `wake/${kind}/${shardOf(taskQueue, 0x1_0000_0000).toString(16)}`;

/** The tags of a channel whose upgrade said what it serves (none for a client's channel or an older worker's). */
export function wakeTagsOf(request: Request): string[] {
  const serves = shardChannelServesOf(new URL(request.url).searchParams);
  return serves ? serves.kinds.map((kind) => wakeTag(kind, serves.taskQueue)) : [];
}

/** Sends wakes on a shard's channels (its object's hibernatable WebSockets). */
export class QueueWakes {
  /** Wakes sent (one per queue and backlogged task, whatever the channels), for tests. */
  sent = 0;

  constructor(private readonly ctx: DurableObjectState) {}

  /** A task of `taskQueue` went to its backlog: the channels that serve that queue are told. */
  wake(namespace: string, taskQueue: string, kind: ShardChannelQueueKind): void {
    const sockets = this.ctx.getWebSockets(wakeTag(kind, taskQueue));
    if (sockets.length === 0) return;
    this.sent++;
    const text = JSON.stringify({ wake: { namespace, taskQueue, kind } } satisfies ShardChannelWake);
    for (const ws of sockets) {
      try {
        ws.send(text);
      } catch {
        // Closing: its worker polls its parked queues when it opens a channel again.
      }
    }
  }
}

/** Hands a task to a queue (its partitions: src/task-queue.ts); resolves with where it went. */
export type AddToQueue = (namespace: string, taskQueue: string, kind: ShardChannelQueueKind, ref: TaskRef, started?: StartedTask) => Promise<OfferOutcome>;

/**
 * How a workflow's parts hand a task to a queue: `TaskQueue.add`, and in a shard, when the task went to
 * the backlog ('queued'), a wake for the queue's parked workers. `env`: the metered env (the call counted).
 */
export const addToQueue =
  (env: Env, wakes?: QueueWakes): AddToQueue =>
  async (namespace, taskQueue, kind, ref, started) => {
    const outcome = await taskQueueStub(env, namespace, taskQueue, kind).add(ref, started);
    if (outcome === 'queued') wakes?.wake(namespace, taskQueue, kind);
    return outcome;
  };
