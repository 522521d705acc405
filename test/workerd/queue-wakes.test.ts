/**
 * Protocol 10: a shard wakes the workers that parked their polls of a queue (src/workflow-object/queue-wakes.ts).
 * A worker's channel says at its upgrade which queue it serves; when the shard hands that queue a task and the
 * queue answers that it went to its backlog (no poll waited for it), the shard sends `{wake: …}` on the
 * channels that serve the queue — and none when a waiting poll took the task, none on a channel serving
 * another queue.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { shardChannelPath, shardChannelServesQuery, type ShardChannelQueueKind, type ShardChannelWake } from '../../protocol/index.js';
import { workflowObjectNamed } from '../../src/stubs.js';
import type { WorkflowObject } from '../../src/workflow-object.js';
import type { QueueWakes } from '../../src/workflow-object/queue-wakes.js';
import { shardOf, workflowShards } from '../../src/workflow-shards.js';
import { completeWorkflowTask, fetchService, NS, pollActivityTask, pollWorkflowTask, queueState, scheduleActivityCommand, settle, startWorkflow, testEnv, unique, until } from './helpers.js';

const SHARDS = workflowShards(testEnv);
const shardObject = (shard: number) => workflowObjectNamed(testEnv, [NS, shard]) as unknown as DurableObjectStub<WorkflowObject>;
/** Wakes the shard has sent (for any queue: a count, read before and after). */
const wakesSentBy = (shard: number) => runInDurableObject(shardObject(shard), (o: WorkflowObject) => (o as unknown as { wakes: QueueWakes }).wakes.sent);

/** A worker's channel that serves `taskQueue` (both kinds): the wakes it receives, and a call to learn that everything sent before it arrived. */
class WakeChannel {
  readonly wakes: ShardChannelWake['wake'][] = [];
  private readonly answered = new Map<number, () => void>();
  private nextId = 1;

  private constructor(private readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener('message', (e) => {
      const message = JSON.parse(e.data as string) as Partial<ShardChannelWake> & { id?: number };
      if (message.wake) this.wakes.push(message.wake);
      else if (message.id !== undefined) this.answered.get(message.id)?.();
    });
  }

  static async open(shard: number, taskQueue: string, kinds: ShardChannelQueueKind[] = ['workflow', 'activity']): Promise<WakeChannel> {
    const res = await fetchService(shardChannelPath(NS, shard) + shardChannelServesQuery({ taskQueue, kinds }), { headers: { upgrade: 'websocket' } });
    if (res.status !== 101 || !res.webSocket) throw new Error(`the channel answered ${res.status}: ${await res.text()}`);
    return new WakeChannel(res.webSocket);
  }

  /**
   * Resolves once a call sent now is answered: the shard answers on the socket in order, so every wake it
   * sent before reading this call has arrived by then.
   */
  async flush(): Promise<void> {
    const id = this.nextId++;
    const answered = new Promise<void>((resolve) => this.answered.set(id, resolve));
    // A call no channel carries: answered at once with ROUTE_NOT_FOUND.
    this.ws.send(JSON.stringify({ id, call: 'flush', request: {} }));
    await answered;
  }

  /** Forgets the wakes received so far (after `flush`: all those sent so far). */
  async clear(): Promise<void> {
    await this.flush();
    this.wakes.length = 0;
  }

  close(): void {
    this.ws.close(1000, 'done');
  }
}

describe('wakes (protocol 10)', () => {
  it('an activity task that went to its queue’s backlog wakes the channels serving that queue, and no other', async () => {
    const wid = unique('wake-act');
    const tq = unique('tq');
    const shard = shardOf(wid, SHARDS);
    const serving = await WakeChannel.open(shard, tq);
    const other = await WakeChannel.open(shard, unique('other-tq'));
    await startWorkflow(wid, tq);
    const task = (await pollWorkflowTask(tq))!;
    // The run's first task went to the backlog too (no poll waited): its wake is not this test's.
    await serving.clear();
    const before = await wakesSentBy(shard);
    // No activity poll waits: the activity goes to the backlog.
    await completeWorkflowTask(task.taskToken, [scheduleActivityCommand('a1', { startToCloseTimeoutMs: 30_000 })]);
    await settle(wid);
    expect((await queueState(tq, 'activity')).backlog).toHaveLength(1);
    expect(await wakesSentBy(shard)).toBe(before + 1);
    await until(async () => serving.wakes.length, (n) => n === 1);
    expect(serving.wakes).toEqual([{ namespace: NS, taskQueue: tq, kind: 'activity' }]);
    await other.flush();
    expect(other.wakes).toEqual([]);
    serving.close();
    other.close();
  });

  it('a task a waiting poll took sends no wake', async () => {
    const wid = unique('wake-none');
    const tq = unique('tq');
    const shard = shardOf(wid, SHARDS);
    const serving = await WakeChannel.open(shard, tq);
    await startWorkflow(wid, tq);
    const task = (await pollWorkflowTask(tq))!;
    await serving.clear();
    const polled = pollActivityTask(tq, 60_000);
    await until(() => queueState(tq, 'activity'), (s) => s.waitingPollers === 1);
    const before = await wakesSentBy(shard);
    await completeWorkflowTask(task.taskToken, [scheduleActivityCommand('a1', { startToCloseTimeoutMs: 30_000 })]);
    expect((await polled)?.activityId).toBe('a1');
    await settle(wid);
    expect(await wakesSentBy(shard)).toBe(before);
    await serving.flush();
    expect(serving.wakes).toEqual([]);
    serving.close();
  });

  it('a started run’s first task that no poll waited for (an offer the queue backlogged) wakes the workflow queue’s channels', async () => {
    const wid = unique('wake-offer');
    const tq = unique('tq');
    const shard = shardOf(wid, SHARDS);
    const serving = await WakeChannel.open(shard, tq, ['workflow']);
    await startWorkflow(wid, tq);
    await settle(wid);
    expect((await queueState(tq)).backlog).toHaveLength(1);
    await until(async () => serving.wakes.length, (n) => n === 1);
    expect(serving.wakes).toEqual([{ namespace: NS, taskQueue: tq, kind: 'workflow' }]);
    serving.close();
  });
});
