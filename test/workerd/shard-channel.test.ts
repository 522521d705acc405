/**
 * Protocol 7: a worker's channel to a workflow shard (protocol/shard-channel.ts). The upgrade is
 * admitted by the router as any call to its namespace and handed to the shard object, which answers
 * each call on the socket with what its HTTP endpoint answers (src/workflow-object/shard-channel.ts) —
 * reaching its own workflows and polls without an RPC to itself.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { Limits, shardChannelPath, type ActivityTask, type HistoryEvent, type ShardChannelAnswer, type ShardChannelEndpoint, type WorkflowTask } from '../../protocol/index.js';
import { sha256Hex } from '../../src/auth.js';
import type { Env } from '../../src/env.js';
import { createRouter } from '../../src/router.js';
import { CHANNEL_HEADER, channelHeaderOf } from '../../src/shard-channel.js';
import { workflowObjectNamed } from '../../src/stubs.js';
import { partitionStub } from '../../src/task-queue.js';
import type { WorkflowObject } from '../../src/workflow-object.js';
import type { ShardPolls } from '../../src/workflow-object/shard-polls.js';
import { shardOf, workflowShards } from '../../src/workflow-shards.js';
import { call, eventTypes, expectError, fetchService, freezeClock, history, json, NS, ok, pollWorkflowTask, scheduleActivityCommand, settle, startWorkflow, testEnv, unique, until } from './helpers.js';

const SHARDS = workflowShards(testEnv);
const shardObject = (shard: number) => workflowObjectNamed(testEnv, [NS, shard]) as unknown as DurableObjectStub<WorkflowObject>;
/** What a shard object keeps: the polls waiting there, the RPCs it took. */
const pollsAt = (shard: number) => runInDurableObject(shardObject(shard), (o: WorkflowObject) => (o as unknown as { polls: ShardPolls }).polls.size);
const rpcCallsOf = (shard: number) => runInDurableObject(shardObject(shard), (o: WorkflowObject) => o.rpcCalls);

/** A workflow id kept in `shard`. */
function idIn(shard: number, prefix: string): string {
  for (;;) {
    const id = unique(prefix);
    if (shardOf(id, SHARDS) === shard) return id;
  }
}

/** A worker's side of a channel: calls by id, their answers, and how the channel closed. */
class TestChannel {
  private nextId = 1;
  private readonly waiting = new Map<number, (answer: ShardChannelAnswer) => void>();
  /** The close the service sent (or the runtime reported). */
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener('message', (e) => {
      const answer = JSON.parse(e.data as string) as ShardChannelAnswer;
      this.waiting.get(answer.id)?.(answer);
      this.waiting.delete(answer.id);
    });
    this.closed = new Promise((resolve) => ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })));
  }

  /** Sends a call and waits for its answer. */
  call(call: ShardChannelEndpoint | string, request: unknown): Promise<ShardChannelAnswer> {
    const id = this.nextId++;
    const answered = new Promise<ShardChannelAnswer>((resolve) => this.waiting.set(id, resolve));
    this.ws.send(JSON.stringify({ id, call, request }));
    return answered;
  }

  /** Sends a call, expects a response (not an error), returns it. */
  async ok<T = any>(call: ShardChannelEndpoint, request: unknown): Promise<T> {
    const answer = await this.call(call, request);
    if (!('response' in answer)) throw new Error(`${call} answered ${JSON.stringify(answer)}`);
    return answer.response as T;
  }

  close(): void {
    this.ws.close(1000, 'done');
  }
}

/** Opens a channel to `shard` of NS through the Worker, as a worker opens one. */
async function openChannel(shard: number | string, headers: Record<string, string> = {}): Promise<TestChannel> {
  const res = await fetchService(shardChannelPath(NS, shard), { headers: { upgrade: 'websocket', ...headers } });
  if (res.status !== 101 || !res.webSocket) throw new Error(`the channel answered ${res.status}: ${await res.text()}`);
  return new TestChannel(res.webSocket);
}

const pollRequest = (taskQueue: string, pollerId = 'worker-1-poller') => ({ taskQueue, identity: 'worker-1', pollerId, acknowledgesHandOff: true });

describe('a shard channel (protocol 7)', () => {
  it('a poll on the channel gets a started run’s first task', async () => {
    const wid = unique('chan-poll');
    const tq = unique('tq');
    const shard = shardOf(wid, SHARDS);
    const channel = await openChannel(shard);
    const polled = channel.ok<{ task: WorkflowTask }>('pollShardWorkflowTask', pollRequest(tq));
    await until(() => pollsAt(shard), (n) => n === 1);
    const { runId } = await startWorkflow(wid, tq);
    const { task } = await polled;
    expect(task).toMatchObject({ workflowExecution: { workflowId: wid, runId }, attempt: 1, startedEventId: 3, shardKey: String(shard) });
    channel.close();
  });
});
