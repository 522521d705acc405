/**
 * One task queue as its callers see it (the router, workflow objects): the same calls as a
 * TaskQueueObject, spread over the queue's partitions (src/task-queue-partitions.ts). While the
 * queue is quiet every add and poll goes to its root, where they meet with no forwarding; once the
 * root answers that it is busy, this isolate sends each add and poll to a partition picked at
 * random for a while, and the partitions forward between themselves so that a poller anywhere gets
 * a task added anywhere (src/task-queue-object.ts). The calls that
 * are about a worker rather than a task (cancel its polls, has it polled, describe) ask every
 * partition; they are rare (a worker stopping, a hand-off not acknowledged, a describe).
 */
import type { ResponseOf } from '../protocol/index.js';
import type { Env } from './env.js';
import type { StartedTask } from './started-task.js';
import type { OfferOutcome, TaskQueueObject } from './task-queue-object.js';
import { partitionConfig, partitionCount, pickPartition, type PartitionConfig } from './task-queue-partitions.js';
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

/** How long a root's "busy" answer keeps this isolate spreading that queue's adds and polls. */
export const SPREAD_FOR_MS = 10_000;

/**
 * Queues whose root said it is busy, until when: kept per isolate (module state), which is all the
 * memory a Worker has between requests. An isolate that has not heard sends to the root, which
 * answers busy; so the root's load stays near the threshold however many isolates call it.
 */
const spreadUntil = new Map<string, number>();
/** Bound on the queues remembered; the oldest are forgotten first (they then start at the root again). */
const MAX_REMEMBERED = 10_000;

export class TaskQueue {
  readonly partitions: number;
  private readonly config: PartitionConfig;
  private readonly key: string;

  constructor(
    private readonly env: Env,
    private readonly namespace: string,
    private readonly taskQueue: string,
    private readonly kind: TaskQueueKind,
    /**
     * The wall clock, not a workflow's (tests move those apart): `spreadUntil` is the isolate's, shared
     * by every caller in it, so its moments must be on one clock (`taskQueueStub` gives `wallClock`; a test its own).
     */
    private readonly now: () => number,
  ) {
    this.config = partitionConfig(env.KEEL_TASK_QUEUE_PARTITIONS);
    this.partitions = partitionCount(this.config, taskQueue);
    this.key = JSON.stringify([namespace, taskQueue, kind]);
  }

  /** The partition for the next add or poll: the root while the queue is quiet, else one at random. */
  pick(): number {
    if (this.partitions === 1) return 0;
    if (this.config.spreadAbovePerSecond === 0) return pickPartition(this.partitions);
    const until = spreadUntil.get(this.key);
    return until !== undefined && until > this.now() ? pickPartition(this.partitions) : 0;
  }

  /**
   * Takes in the root's load (requests a second). Not spreading, the root takes the whole queue's
   * traffic: above the threshold, spread. Spreading, it takes about one partition's share: the
   * queue's traffic is about `load × partitions`, and spreading stops only when that falls under
   * half the threshold, so that a queue near the threshold does not flap between the two.
   */
  private heard(partition: number, load: number): void {
    if (partition !== 0 || this.partitions === 1 || this.config.spreadAbovePerSecond === 0) return;
    const threshold = this.config.spreadAbovePerSecond;
    const spreading = (spreadUntil.get(this.key) ?? 0) > this.now();
    const busy = spreading ? load * this.partitions > threshold / 2 : load > threshold;
    spreadUntil.delete(this.key);
    if (!busy) return;
    spreadUntil.set(this.key, this.now() + SPREAD_FOR_MS);
    if (spreadUntil.size > MAX_REMEMBERED) spreadUntil.delete(spreadUntil.keys().next().value!);
  }

  private at(partition: number) {
    return partitionStub(this.env, this.namespace, this.taskQueue, this.kind, partition);
  }

  private all() {
    return Array.from({ length: this.partitions }, (_, p) => this.at(p));
  }

  /**
   * Hands a task to one partition; resolves once it is with a worker or durably queued. `started`: a
   * workflow task already started, offered to a poll waiting there (TaskQueueObject.addTask).
   */
  async add(ref: TaskRef, started?: StartedTask): Promise<OfferOutcome> {
    const partition = this.pick();
    const { outcome, load } = await this.at(partition).addTask(ref, started);
    this.heard(partition, load);
    return outcome;
  }

  /**
   * Long-polls one partition (which forwards to the root when it has nothing). A poll carrying the
   * queue's rate goes to the root, the one object that enforces it (a partition would forward it there).
   */
  async poll(identity: string, waitMs?: number, pollerId?: string, acknowledges?: boolean, stickyTaskQueue?: string, maxTasksPerSecond?: number): Promise<StartedTask | null> {
    const partition = maxTasksPerSecond === undefined ? this.pick() : 0;
    const { task, load } = await this.at(partition).pollTask(identity, waitMs, pollerId, acknowledges, stickyTaskQueue, maxTasksPerSecond);
    this.heard(partition, load);
    return task;
  }

  /** Protocol 3: several workflow tasks in one answer (TaskQueueObject.pollMany), from one partition. */
  pollMany(identity: string, waitMs: number, pollerId: string | undefined, acknowledges: boolean, maxTasks: number, stickyTaskQueue?: string): Promise<StartedTask[]> {
    return this.at(this.pick()).pollMany(identity, waitMs, pollerId, acknowledges, maxTasks, stickyTaskQueue);
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

  /** A workflow task started for a sticky queue's worker (src/engine/sticky-hand-over.ts); a sticky queue has one partition. */
  handOver(task: StartedTask, ref: TaskRef): Promise<boolean> {
    return this.at(0).handOver(task, ref);
  }

  /** A sticky queue has one partition: the root. */
  closeSticky(): Promise<void> {
    return this.at(0).closeSticky();
  }

  /** Whether this sticky queue was closed for good. */
  isClosed(): Promise<boolean> {
    return this.at(0).isClosed();
  }

  /** A dead worker named this sticky queue as its own (TaskQueueObject.closeStickyOf). */
  closeStickyOf(pollerId: string): Promise<boolean> {
    return this.at(0).closeStickyOf(pollerId);
  }

  /** The counts of every partition, summed (GET /api/v1/metrics). */
  async metrics(): Promise<Awaited<ReturnType<TaskQueueObject['metrics']>>> {
    const [first, ...rest] = await Promise.all(this.all().map((s) => s.metrics()));
    const sum = structuredClone(first!);
    for (const m of rest) {
      sum.since = Math.min(sum.since, m.since);
      for (const k of ['added', 'dispatched', 'pollsWithTask', 'pollsEmpty', 'backlog', 'waitingPolls', 'recentPollers'] as const) sum[k] += m[k];
      sum.waited.sum += m.waited.sum;
      m.waited.buckets.forEach((n, i) => (sum.waited.buckets[i]! += n));
    }
    return sum;
  }

  /** Pollers seen on any partition (each identity once, at its latest poll) and the backlog of all. */
  async describe(): Promise<ResponseOf<'describeTaskQueue'>> {
    const each = await Promise.all(this.all().map((s) => s.describe()));
    const latest = new Map<string, string>();
    for (const d of each) for (const p of d.pollers) if (!latest.has(p.identity) || latest.get(p.identity)! < p.lastAccessTime) latest.set(p.identity, p.lastAccessTime);
    const started = each.map((d) => d.scheduleToStart).filter((s) => s !== undefined);
    const count = started.reduce((n, s) => n + s.count, 0);
    return {
      pollers: [...latest].map(([identity, lastAccessTime]) => ({ identity, lastAccessTime })),
      backlogCount: each.reduce((n, d) => n + d.backlogCount, 0),
      ...(started.length > 0
        ? { scheduleToStart: { count, averageMs: count > 0 ? started.reduce((n, s) => n + s.count * s.averageMs, 0) / count : 0, since: started.map((s) => s.since).sort()[0]! } }
        : {}),
    };
  }
}
