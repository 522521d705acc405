/**
 * One task queue as its callers see it (the router, workflow objects): the same calls as a
 * TaskQueueObject, spread over the queue's partitions (src/task-queue-partitions.ts). An add and a
 * poll each go to one partition picked at random; the partitions forward between themselves so
 * that a poller anywhere gets a task added anywhere (src/task-queue-object.ts). The calls that
 * are about a worker rather than a task (cancel its polls, has it polled, describe) ask every
 * partition; they are rare (a worker stopping, a hand-off not acknowledged, a describe).
 */
import type { ResponseOf } from '../protocol/index.js';
import type { Env } from './env.js';
import type { StartedTask } from './started-task.js';
import type { TaskQueueObject } from './task-queue-object.js';
import { partitionConfig, partitionCount, pickPartition } from './task-queue-partitions.js';
import type { TaskRef } from './task-token.js';

export type TaskQueueKind = 'workflow' | 'activity';

/**
 * The object of one partition. Partition 0, the root, keeps the name a queue had before it had
 * partitions, so a backlog written then is still read.
 */
export function partitionStub(env: Env, namespace: string, taskQueue: string, kind: TaskQueueKind, partition = 0): DurableObjectStub<TaskQueueObject> {
  const name = partition === 0 ? [namespace, taskQueue, kind] : [namespace, taskQueue, kind, partition];
  return env.TASK_QUEUES.get(env.TASK_QUEUES.idFromName(JSON.stringify(name)));
}

export class TaskQueue {
  readonly partitions: number;

  constructor(
    private readonly env: Env,
    private readonly namespace: string,
    private readonly taskQueue: string,
    private readonly kind: TaskQueueKind,
  ) {
    this.partitions = partitionCount(partitionConfig(env.KEEL_TASK_QUEUE_PARTITIONS), taskQueue);
  }

  private at(partition: number) {
    return partitionStub(this.env, this.namespace, this.taskQueue, this.kind, partition);
  }

  private all() {
    return Array.from({ length: this.partitions }, (_, p) => this.at(p));
  }

  /** Hands a task to one partition; resolves once it is with a worker or durably queued. */
  add(ref: TaskRef): Promise<'delivered' | 'queued' | 'stale'> {
    return this.at(pickPartition(this.partitions)).add(ref);
  }

  /** Long-polls one partition (which forwards to the root when it has nothing). */
  poll(identity: string, waitMs?: number, pollerId?: string, acknowledges?: boolean): Promise<StartedTask | null> {
    return this.at(pickPartition(this.partitions)).poll(identity, waitMs, pollerId, acknowledges);
  }

  /** Ends the worker's waiting polls on every partition. */
  async cancelPolls(pollerId: string): Promise<{ cancelled: number }> {
    const each = await Promise.all(this.all().map((s) => s.cancelPolls(pollerId)));
    return { cancelled: each.reduce((n, r) => n + r.cancelled, 0) };
  }

  /** The latest poll mark of the worker on any partition, if later than `after` (src/engine/hand-off.ts). */
  async heardFrom(pollerId: string, after: number): Promise<number | undefined> {
    const marks = await Promise.all(this.all().map((s) => s.heardFrom(pollerId, after)));
    const heard = marks.filter((m): m is number => m !== undefined);
    return heard.length > 0 ? Math.max(...heard) : undefined;
  }

  /** A sticky queue has one partition: the root. */
  closeSticky(): Promise<void> {
    return this.at(0).closeSticky();
  }

  /** Pollers seen on any partition (each identity once, at its latest poll) and the backlog of all. */
  async describe(): Promise<ResponseOf<'describeTaskQueue'>> {
    const each = await Promise.all(this.all().map((s) => s.describe()));
    const latest = new Map<string, string>();
    for (const d of each) for (const p of d.pollers) if (!latest.has(p.identity) || latest.get(p.identity)! < p.lastAccessTime) latest.set(p.identity, p.lastAccessTime);
    return {
      pollers: [...latest].map(([identity, lastAccessTime]) => ({ identity, lastAccessTime })),
      backlogCount: each.reduce((n, d) => n + d.backlogCount, 0),
    };
  }
}
