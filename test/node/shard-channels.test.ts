// Protocol 7 end to end: the SDK worker keeps a WebSocket to each workflow shard it works with and
// sends the calls about that shard's tasks (its shard polls, completions, failures, batches) on it
// (sdk/worker/shard-channels.ts), against the real local service. Watched on the wire: the worker
// reaches the service through a TCP proxy (fixtures/tcp-proxy.ts) that counts the channel upgrades,
// and through which the test drops every connection mid-run; and on the worker's HTTP transport, which
// counts what still goes over HTTP.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { NativeConnection, Worker } from 'keel/worker';
import { ShardChannels } from '../../sdk/client/shard-channels.js';
import * as activities from './fixtures/sdk-activities.js';
import { tenSequentialSteps } from './fixtures/sdk-workflows.js';
import { keelHistory } from './fixtures/keel-history.js';
import { TcpProxy } from './fixtures/tcp-proxy.js';
import { countHttpCalls } from './fixtures/http-calls.js';
import { waitFor } from './fixtures/wait.js';
import { SHARDS, createShardedService } from './fixtures/sharded-service.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/sdk-workflows.ts', import.meta.url));
const STEPS = Array.from({ length: 10 }, (_, i) => `step-${i}`);
const COMPLETIONS: ReadonlySet<string> = new Set(['completeWorkflowTask', 'completeActivityTask', 'failWorkflowTask', 'failActivityTask', 'batchTasks']);

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createShardedService();
});
afterAll(async () => {
  await env?.teardown();
});

/** A connection to `env`'s service through a proxy, and the calls its transport sends over HTTP, by endpoint. */
async function proxiedConnection(target: TestWorkflowEnvironment) {
  const proxy = await TcpProxy.start(target.address);
  const connection = await NativeConnection.connect({ address: proxy.address });
  const http = countHttpCalls(connection);
  const httpCompletions = () => [...http].filter(([e]) => COMPLETIONS.has(e)).reduce((n, [, c]) => n + c, 0);
  return { proxy, connection, http, httpCompletions };
}

const channelsOf = (worker: Worker) => (worker as unknown as { channels: ShardChannels | undefined }).channels;

/** Runs `n` workflows of ten activities each on `worker`'s queue at once. */
function runTen(target: TestWorkflowEnvironment, taskQueue: string, prefix: string, n: number): Promise<string[][]> {
  return Promise.all(Array.from({ length: n }, (_, i) => target.client.workflow.execute(tenSequentialSteps, { taskQueue, workflowId: `${prefix}-${i}` })));
}

describe('shard channels (protocol 7)', () => {
  it('workflows with activities run to completion with their calls over the shards’ channels, with the results they have over HTTP; the worker stops with its channels closed', async () => {
    const on = await proxiedConnection(env);
    const worker = await Worker.create({ connection: on.connection, taskQueue: 'channels-on', workflowsPath, activities, shutdownSignals: [] });
    const results = await worker.runUntil(async () => {
      // The first run's calls open the channels (over HTTP meanwhile); the later runs' go over them.
      await runTen(env, 'channels-on', 'channels-on-first', 1);
      await waitFor('a channel to each shard', () => on.proxy.openChannels === SHARDS);
      const before = on.httpCompletions();
      const later = await runTen(env, 'channels-on', 'channels-on', 6);
      // Every completion of the six runs went over a channel: none over HTTP.
      expect(on.httpCompletions()).toBe(before);
      return later;
    });
    const stats = channelsOf(worker)!.stats;

    const off = await proxiedConnection(env);
    const httpWorker = await Worker.create({ connection: off.connection, taskQueue: 'channels-off', workflowsPath, activities, shardChannels: false, shutdownSignals: [] });
    const overHttp = await httpWorker.runUntil(runTen(env, 'channels-off', 'channels-off', 6));

    expect(results).toEqual(Array(6).fill(STEPS));
    expect(overHttp).toEqual(results);
    // The service answered the calls on the channels (answers come only from its end of the socket).
    expect(stats.opened).toBe(SHARDS);
    // At least one answered call per step of a run: a run's ten activity completions are sent one after
    // another, so no batch holds two of them. (How many calls the six runs took depends on how their
    // completions happened to share batches, over the channels or over HTTP: no count to compare.)
    expect(stats.answered).toBeGreaterThanOrEqual(STEPS.length);
    expect(stats).toMatchObject({ resent: 0, lost: 0 });
    // Stopped: its channels closed (the proxy saw their connections end); none was opened again.
    await waitFor('the channels’ connections to end', () => on.proxy.openChannels === 0);
    expect(on.proxy.upgrades).toBe(SHARDS);
    // shardChannels: false made no channel; its completions went over HTTP.
    expect(channelsOf(httpWorker)).toBeUndefined();
    expect(off.proxy.upgrades).toBe(0);
    expect(off.httpCompletions()).toBeGreaterThan(0);
    for (const c of [on, off]) {
      await c.connection.close();
      await c.proxy.close();
    }
  });

  it('a channel dropped with a completion in flight loses nothing: the service applied it, its answer was lost, and the worker sends it again over HTTP with its request id; each activity completes once and the channels open again', async () => {
    const { proxy, connection } = await proxiedConnection(env);
    // What the worker warns of: a completion that failed (its answer not recovered) would be one.
    const warnings: string[] = [];
    const quiet = () => undefined;
    const log = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
    const worker = await Worker.create({ connection, taskQueue: 'channels-drop', workflowsPath, activities, shutdownSignals: [], log });
    const channels = channelsOf(worker)!;
    const ids = Array.from({ length: 4 }, (_, i) => `channels-drop-${i}`);
    const histories = () => Promise.all(ids.map(async (id) => (await env.client.workflow.getHandle(id).fetchHistory().then(keelHistory)).events.map((e) => e.eventType)));
    const results = await worker.runUntil(async () => {
      await runTen(env, 'channels-drop', 'channels-drop-first', 1);
      await waitFor('a channel to each shard', () => proxy.openChannels === SHARDS);
      // From here the service's answers on the channels are held back: what the worker sends on them is applied, and no answer comes.
      proxy.holding = true;
      const running = Promise.all(ids.map((workflowId) => env.client.workflow.execute(tenSequentialSteps, { taskQueue: 'channels-drop', workflowId })));
      await waitFor('a workflow task completed over a channel, its answer held', async () => (await histories()).some((types) => types.includes('WorkflowTaskCompleted')));
      // The connections drop, the held answers with them.
      proxy.holding = false;
      proxy.dropAll();
      return running;
    });
    expect(results).toEqual(Array(ids.length).fill(STEPS));
    // Every caller got its answer: no completion or failure report failed (the dropped HTTP polls' outage is all there is).
    expect(warnings.filter((w) => !w.startsWith('Keel service unreachable'))).toEqual([]);
    // Calls in flight on the dropped channels (the completion, the shard polls) went again over HTTP; the channels opened again.
    expect(channels.stats.lost).toBeGreaterThanOrEqual(1);
    expect(channels.stats.resent).toBeGreaterThanOrEqual(2);
    expect(channels.stats.opened).toBeGreaterThan(SHARDS);
    for (const types of await histories()) {
      expect(types.filter((t) => t === 'ActivityTaskScheduled')).toHaveLength(10);
      expect(types.filter((t) => t === 'ActivityTaskCompleted')).toHaveLength(10);
      expect(types.at(-1)).toBe('WorkflowExecutionCompleted');
    }
    await connection.close();
    await proxy.close();
  });

  it('against a service without shards nothing names a shard, so no channel is asked for; one asked for anyway is refused, and channels are off for that service', async () => {
    const noShards = await TestWorkflowEnvironment.createLocal({ server: { bindings: { KEEL_WORKFLOW_SHARDS: '0' } } });
    try {
      const { proxy, connection, httpCompletions } = await proxiedConnection(noShards);
      const worker = await Worker.create({ connection, taskQueue: 'channels-unsharded', workflowsPath, activities, shutdownSignals: [] });
      const results = await worker.runUntil(runTen(noShards, 'channels-unsharded', 'channels-unsharded', 3));
      expect(results).toEqual(Array(3).fill(STEPS));
      expect(httpCompletions()).toBeGreaterThanOrEqual(30);
      expect(proxy.upgrades).toBe(0);

      // A call naming a shard: it goes over HTTP (and is refused there, as the token is no task's), and the upgrade it starts is refused.
      const channels = new ShardChannels(connection);
      const refused = await channels.call('completeActivityTask', { taskToken: 'not-a-token' }, { namespace: noShards.namespace, shardKey: '0' }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'INVALID_TASK_TOKEN' });
      await waitFor('the refused upgrade to turn channels off', () => !channels.on);
      expect(proxy.upgrades).toBe(1);
      await channels.call('completeActivityTask', { taskToken: 'not-a-token' }, { namespace: noShards.namespace, shardKey: '0' }).catch(() => undefined);
      expect(proxy.upgrades).toBe(1);
      await connection.close();
      await proxy.close();
    } finally {
      await noShards.teardown();
    }
  });
});
