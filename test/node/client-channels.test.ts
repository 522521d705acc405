// Protocol 8 end to end: a client's starts — and its `execute`, a start that waits for the run's
// close — go as messages on a WebSocket to the shard that keeps the workflow (sdk/client/client-channels.ts
// over the worker's ShardChannels), against the real local service. Watched on the wire: the client
// reaches the service through a TCP proxy (fixtures/tcp-proxy.ts) that counts the channel upgrades,
// holds the service's answers on channels, drops every connection, or refuses upgrades as a service
// without channels does; and on the client's HTTP transport, which counts what still goes over HTTP.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from 'keel/client';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import { shardOf } from 'keel/protocol';
import * as activities from './fixtures/sdk-activities.js';
import { chargeOrder, tenSequentialSteps, unblock, waitForUnblock } from './fixtures/sdk-workflows.js';
import { keelHistory } from './fixtures/keel-history.js';
import { TcpProxy } from './fixtures/tcp-proxy.js';
import { countHttpCalls } from './fixtures/http-calls.js';
import { waitFor } from './fixtures/wait.js';
import { SHARDS, createShardedService } from './fixtures/sharded-service.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/sdk-workflows.ts', import.meta.url));
const STEPS = Array.from({ length: 10 }, (_, i) => `step-${i}`);

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const TASK_QUEUE = 'client-channels';
beforeAll(async () => {
  env = await createShardedService();
  // The worker on the environment's own connection: the client under test has a connection of its own.
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowsPath, activities, shutdownSignals: [] });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

/** A client on a connection of its own to the service through a proxy, and the calls its transport sends over HTTP, by endpoint. */
async function proxiedClient(options: { shardChannels?: boolean } = {}) {
  const proxy = await TcpProxy.start(env.address);
  const connection = await Connection.connect({ address: proxy.address, ...options });
  const http = countHttpCalls(connection);
  const client = new Client({ connection, namespace: env.namespace });
  const httpStarts = () => http.get('startWorkflow') ?? 0;
  const close = async () => {
    await connection.close();
    await proxy.close();
  };
  return { proxy, connection, client, http, httpStarts, close };
}

let ids = 0;
/** A new workflow id kept in `shard`. */
function idIn(shard: number, prefix: string): string {
  for (;;) {
    const id = `${prefix}-${++ids}`;
    if (shardOf(id, SHARDS) === shard) return id;
  }
}

/** Starts one workflow in each shard, then waits until the client has a channel to each (its first start taught it the count). */
async function openChannels(c: Awaited<ReturnType<typeof proxiedClient>>, prefix: string): Promise<void> {
  for (let shard = 0; shard < SHARDS; shard++) await c.client.workflow.start(tenSequentialSteps, { taskQueue: TASK_QUEUE, workflowId: idIn(shard, prefix) });
  for (let shard = 0; shard < SHARDS; shard++) await c.client.workflow.start(tenSequentialSteps, { taskQueue: TASK_QUEUE, workflowId: idIn(shard, prefix) });
  await waitFor('a channel to each shard', () => c.proxy.openChannels === SHARDS);
}

const historyOf = async (workflowId: string) => (await env.client.workflow.getHandle(workflowId).fetchHistory().then(keelHistory)).events.map((e) => e.eventType);

describe('a client’s starts on the shard channels (protocol 8)', () => {
  it('execute goes over the shard’s channel once it is open — no HTTP request for the start — with the results and failures it has over HTTP; close closes the channels', async () => {
    const on = await proxiedClient();
    await openChannels(on, 'chan-exec-open');
    const httpBefore = on.httpStarts();
    const sentBefore = on.connection.clientChannels!.stats.sent;
    const ids = Array.from({ length: 2 * SHARDS }, (_, i) => idIn(i % SHARDS, 'chan-exec'));
    const results = await Promise.all(ids.map((workflowId) => on.client.workflow.execute(tenSequentialSteps, { taskQueue: TASK_QUEUE, workflowId })));
    const failed = await on.client.workflow.execute(chargeOrder, { taskQueue: TASK_QUEUE, workflowId: idIn(0, 'chan-exec-fail'), args: ['order-7'] }).catch((e: unknown) => e);
    // None of these starts went over HTTP: each was a message on its shard's channel, answered there when the run closed.
    expect(on.httpStarts()).toBe(httpBefore);
    expect(on.connection.clientChannels!.stats).toMatchObject({ sent: sentBefore + ids.length + 1, resent: 0, lost: 0 });

    const off = await proxiedClient({ shardChannels: false });
    const overHttp = await Promise.all(ids.map((id) => off.client.workflow.execute(tenSequentialSteps, { taskQueue: TASK_QUEUE, workflowId: `${id}-http` })));
    const failedOverHttp = await off.client.workflow.execute(chargeOrder, { taskQueue: TASK_QUEUE, workflowId: 'chan-exec-fail-http', args: ['order-7'] }).catch((e: unknown) => e);
    expect(results).toEqual(Array(ids.length).fill(STEPS));
    expect(overHttp).toEqual(results);
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    expect(failedOverHttp).toBeInstanceOf(WorkflowFailedError);
    expect((failed as WorkflowFailedError).cause?.message).toBe((failedOverHttp as WorkflowFailedError).cause?.message);
    expect(off.httpStarts()).toBe(ids.length + 1);
    expect(off.proxy.upgrades).toBe(0);

    // Closed: the channels' connections end, and none opens again.
    await on.close();
    await waitFor('the channels’ connections to end', () => on.proxy.openChannels === 0);
    expect(on.proxy.upgrades).toBe(SHARDS);
    await off.close();
  });

  it('signal-with-start and the result’s long poll go on the channel of the workflow’s shard (its id in params), with the answers they have over HTTP', async () => {
    const on = await proxiedClient();
    await openChannels(on, 'chan-sws-open');
    const before = { sws: on.http.get('signalWithStartWorkflow') ?? 0, history: on.http.get('getWorkflowHistory') ?? 0 };
    const sentBefore = on.connection.clientChannels!.stats.sent;
    const results = await Promise.all(
      Array.from({ length: SHARDS }, async (_, shard) => {
        const handle = await on.client.workflow.signalWithStart(waitForUnblock, { taskQueue: TASK_QUEUE, workflowId: idIn(shard, 'chan-sws'), args: ['1 minute'], signal: unblock, signalArgs: [] });
        return handle.result();
      }),
    );
    expect(results).toEqual(Array(SHARDS).fill(true));
    expect({ sws: on.http.get('signalWithStartWorkflow') ?? 0, history: on.http.get('getWorkflowHistory') ?? 0 }).toEqual(before);
    // Each run's two calls were messages: its signal-with-start and its result's long poll (or more polls, had it run long).
    expect(on.connection.clientChannels!.stats.sent - sentBefore).toBeGreaterThanOrEqual(2 * SHARDS);
    await on.close();
  });

  it('a start the service refuses is refused over the channel with the error (and class) it has over HTTP', async () => {
    const on = await proxiedClient();
    const off = await proxiedClient({ shardChannels: false });
    await openChannels(on, 'chan-refuse-open');
    const httpBefore = on.httpStarts();
    const taken = idIn(1 % SHARDS, 'chan-refuse-taken');
    await off.client.workflow.start(tenSequentialSteps, { taskQueue: TASK_QUEUE, workflowId: taken });
    const again = (c: typeof on) => c.client.workflow.start(tenSequentialSteps, { taskQueue: TASK_QUEUE, workflowId: taken }).catch((e: unknown) => e);
    const badAttributes = (c: typeof on, workflowId: string) => c.client.workflow.start(tenSequentialSteps, { taskQueue: TASK_QUEUE, workflowId, searchAttributes: { CustomKeyword: [{ not: 'a value' }] as never } }).catch((e: unknown) => e);
    const [takenOn, takenOff] = [await again(on), await again(off)];
    const [attrsOn, attrsOff] = [await badAttributes(on, idIn(0, 'chan-refuse-attrs')), await badAttributes(off, 'chan-refuse-attrs-http')];
    expect(on.httpStarts()).toBe(httpBefore);
    expect(takenOn).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    expect(takenOff).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    expect((takenOn as Error).message).toBe((takenOff as Error).message);
    expect(attrsOn).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect({ ...(attrsOn as object), message: (attrsOn as Error).message.replace(/chan-refuse-attrs-\d+/, 'ID') }).toEqual({ ...(attrsOff as object), message: (attrsOff as Error).message.replace('chan-refuse-attrs-http', 'ID') });
    await on.close();
    await off.close();
  });

  it('a channel dropped with a start in flight loses nothing: the service applied it, its answer was lost, and the client sends it again over HTTP with its request id — one run, its result', async () => {
    const on = await proxiedClient();
    await openChannels(on, 'chan-drop-open');
    const channels = on.connection.clientChannels!;
    // A queue no worker polls yet: the run waits, and so does execute's answer.
    const taskQueue = 'client-channels-drop';
    const workflowId = idIn(0, 'chan-drop');
    const httpBefore = on.httpStarts();
    on.proxy.holding = true;
    const result = on.client.workflow.execute(tenSequentialSteps, { taskQueue, workflowId });
    await waitFor('the start applied', async () => (await historyOf(workflowId).catch(() => [] as string[])).includes('WorkflowExecutionStarted'));
    on.proxy.holding = false;
    on.proxy.dropAll();
    await waitFor('the start sent again over HTTP', () => on.httpStarts() > httpBefore);
    const late = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, shutdownSignals: [] });
    expect(await late.runUntil(result)).toEqual(STEPS);
    expect(channels.stats).toMatchObject({ resent: 1 });
    expect(on.httpStarts()).toBe(httpBefore + 1);
    const events = await historyOf(workflowId);
    expect(events.filter((t) => t === 'WorkflowExecutionStarted')).toHaveLength(1);
    expect(events.at(-1)).toBe('WorkflowExecutionCompleted');
    await on.close();
  });

  it('a service that refuses the channel’s upgrade (one without channels) gets every start over HTTP from then on, and is asked once', async () => {
    const c = await proxiedClient();
    c.proxy.refuseUpgrades = true;
    // The first start teaches the count; the second asks for its shard's channel, refused.
    await c.client.workflow.start(tenSequentialSteps, { taskQueue: TASK_QUEUE, workflowId: idIn(0, 'chan-old-1') });
    await c.client.workflow.start(tenSequentialSteps, { taskQueue: TASK_QUEUE, workflowId: idIn(0, 'chan-old-2') });
    await waitFor('the refusal to turn the channels off', () => !c.connection.clientChannels!.on);
    const results = await Promise.all(Array.from({ length: 2 * SHARDS }, (_, i) => c.client.workflow.execute(tenSequentialSteps, { taskQueue: TASK_QUEUE, workflowId: idIn(i % SHARDS, 'chan-old') })));
    expect(results).toEqual(Array(2 * SHARDS).fill(STEPS));
    expect(c.httpStarts()).toBe(2 + 2 * SHARDS);
    expect(c.proxy.upgrades).toBe(1);
    expect(c.connection.clientChannels!.stats.sent).toBe(0);
    await c.close();
  });

  it('an eager start (a Worker on the client’s connection) goes over the channel too, its first task to that Worker, and so does the result’s long poll', async () => {
    const c = await proxiedClient();
    const taskQueue = 'client-channels-eager';
    const local = await Worker.create({ connection: c.connection, taskQueue, workflowsPath, activities, shutdownSignals: [] });
    await local.runUntil(async () => {
      await openChannels(c, 'chan-eager-open');
      const httpBefore = c.httpStarts();
      const historiesBefore = c.http.get('getWorkflowHistory') ?? 0;
      const workflowId = idIn(0, 'chan-eager');
      const handle = await c.client.workflow.start(tenSequentialSteps, { taskQueue, workflowId, requestEagerStart: true });
      expect(handle.eagerlyStarted).toBe(true);
      expect(await handle.result()).toEqual(STEPS);
      expect(c.httpStarts()).toBe(httpBefore);
      // The result's long poll (protocol 8: its workflow id in params) went on the same channel.
      expect(c.http.get('getWorkflowHistory') ?? 0).toBe(historiesBefore);
    });
    await c.close();
  });

  it('an idle channel does not keep a Node process alive: a client that started workflows over it exits without closing its connection', async () => {
    const script = `
      const { Client, Connection } = await import(${JSON.stringify(new URL('../../dist/sdk/client/index.js', import.meta.url).href)});
      const { shardOf } = await import(${JSON.stringify(new URL('../../dist/protocol/index.js', import.meta.url).href)});
      const connection = await Connection.connect({ address: process.argv[1] });
      const client = new Client({ connection, namespace: process.argv[2] });
      // Every id in shard 0: the channel the second start opens carries the last.
      let n = 0;
      const idInShard0 = () => { for (;;) { const id = 'chan-idle-' + process.pid + '-' + n++; if (shardOf(id, ${SHARDS}) === 0) return id; } };
      const start = () => client.workflow.start('tenSequentialSteps', { taskQueue: 'client-channels-idle', workflowId: idInShard0() });
      await start(0);
      for (let i = 1; connection.clientChannels.stats.opened === 0; i++) {
        if (i > 500) throw new Error('no channel opened');
        await start(i);
        await new Promise((r) => setTimeout(r, 10));
      }
      await start();
      console.log(JSON.stringify(connection.clientChannels.stats));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, env.address, env.namespace], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect({ code, err }).toEqual({ code: 0, err: '' });
    // Its last start went over the open channel, which was still open when the script ended.
    expect(JSON.parse(out)).toMatchObject({ opened: 1, sent: 1, answered: 1 });
  }, 30_000);
});
