// The worker's shard channels' own rules (protocol 7), against a real `ws` server as the far end and
// a real Connection whose HTTP calls a fake service records: what goes over a channel and what over
// HTTP, answers by id in any order, calls in flight when a channel closes sent again over HTTP with
// the same request id, the service's refusal turning channels off, abort, heartbeat, shutdown.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { Limits } from '../../protocol/index.js';
import { Connection } from '../client/connection.js';
import { KeelServiceError, ServiceError } from '../client/errors.js';
import { FakeService } from '../client/test-fake-service.js';
import { NativeConnection } from './connection.js';
import { Runtime } from './runtime.js';
import { ShardChannels, type ShardChannelsOptions } from '../client/shard-channels.js';

const NS = '/api/v1/namespaces/default';
const at3 = { namespace: 'default', shardKey: '3' };
const poll3 = { namespace: 'default', params: { shard: '3' } };
const complete = (token: string) => ({ taskToken: token, commands: [] });
const pollBody = { taskQueue: 'q', identity: 'w', pollerId: 'p', acknowledgesHandOff: true as const };

interface Message {
  id: number;
  call: string;
  request: Record<string, unknown>;
}

/** The far end: a `ws` server on the fake service's upgrades, which accepts or refuses them as the test says and records every message. */
class ChannelPeer {
  readonly upgrades: IncomingMessage[] = [];
  readonly messages: Message[] = [];
  readonly sockets: WebSocket[] = [];
  readonly closeCodes: number[] = [];
  /** How the next upgrades are refused; `undefined`: accepted. */
  refuse: { status: number; body: unknown } | undefined;
  private readonly wss: WebSocketServer;
  private waiting: Array<{ n: number; resolve: () => void }> = [];

  constructor(fake: FakeService, options: { autoPong?: boolean } = {}) {
    this.wss = new WebSocketServer({ noServer: true, autoPong: options.autoPong ?? true });
    fake.onUpgrade((req, socket, head) => this.upgrade(req, socket, head));
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.upgrades.push(req);
    if (this.refuse) {
      const body = JSON.stringify(this.refuse.body);
      socket.end(`HTTP/1.1 ${this.refuse.status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.sockets.push(ws);
      ws.on('message', (data: Buffer) => {
        this.messages.push(JSON.parse(data.toString()) as Message);
        this.waiting = this.waiting.filter((w) => (this.messages.length >= w.n ? (w.resolve(), false) : true));
      });
      ws.on('close', (code) => this.closeCodes.push(code));
    });
  }

  /** Resolves once `n` messages came in all. */
  received(n: number): Promise<void> {
    if (this.messages.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ n, resolve }));
  }

  answer(message: Message, answer: { response?: unknown; error?: unknown }, socket = this.sockets.at(-1)!): void {
    socket.send(JSON.stringify({ id: message.id, ...answer }));
  }

  close(): void {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
  }
}

let fake: FakeService;
let peer: ChannelPeer;
let connection: Connection;
let channels: ShardChannels;

async function setUp(options: ShardChannelsOptions & { autoPong?: boolean } = {}, connectionOptions: Parameters<typeof Connection.lazy>[0] = {}) {
  fake = await FakeService.start();
  fake.route('POST', `${NS}/workflow-tasks/complete`, (r) => ({ body: { http: (r.body as { taskToken: string }).taskToken } }));
  fake.route('POST', `${NS}/tasks/batch`, { body: { results: [{ response: { http: true } }] } });
  fake.route('POST', `${NS}/shards/3/workflow-tasks/poll`, { body: { http: 'poll' } });
  fake.route('POST', `${NS}/activity-tasks/heartbeat`, { body: {} });
  peer = new ChannelPeer(fake, { autoPong: options.autoPong });
  connection = NativeConnection.lazy({ address: fake.address, ...connectionOptions });
  channels = new ShardChannels(connection, options);
}

/** The first call opens the channel (and goes over HTTP); resolves once the channel is open. */
async function openChannel(): Promise<void> {
  expect(await channels.call('completeWorkflowTask', complete('opener'), at3)).toEqual({ http: 'opener' });
  await vi.waitFor(() => expect(channels.openChannels).toBe(1), { timeout: 5000, interval: 2 });
}

const httpCalls = () => fake.requests.map((r) => `${r.path.slice(NS.length)} ${(r.body as { taskToken?: string } | undefined)?.taskToken ?? ''}`.trim());

afterEach(async () => {
  await channels?.closeChannels();
  peer?.close();
  await connection?.close();
  await fake?.close();
});

describe('ShardChannels', () => {
  describe('with a service that accepts channels', () => {
    beforeEach(() => setUp({}, { apiKey: 'key-1', metadata: { 'x-team': 'orders' } }));

    it('the shard’s first call goes over HTTP while its channel opens, with the credentials and metadata of HTTP calls; the next go over the channel', async () => {
      await openChannel();
      expect(peer.upgrades).toHaveLength(1);
      expect(peer.upgrades[0]!.url).toBe(`${NS}/shards/3/channel`);
      expect(peer.upgrades[0]!.headers).toMatchObject({ authorization: 'Bearer key-1', 'x-team': 'orders' });

      const answered = channels.call('completeWorkflowTask', complete('a'), at3);
      await peer.received(1);
      expect(peer.messages[0]).toMatchObject({ call: 'completeWorkflowTask', request: { taskToken: 'a', commands: [] } });
      // Given its request id before it was sent, as the transport gives one to an HTTP call.
      expect(peer.messages[0]!.request.requestId).toEqual(expect.any(String));
      peer.answer(peer.messages[0]!, { response: { over: 'channel' } });
      expect(await answered).toEqual({ over: 'channel' });
      expect(httpCalls()).toEqual(['/workflow-tasks/complete opener']);
      expect(channels.stats).toMatchObject({ opened: 1, sent: 1, answered: 1, resent: 0 });
    });

    it('answers are matched to their calls by id, in whatever order they come; an error answer rejects its call alone, as over HTTP', async () => {
      await openChannel();
      const poll = channels.call('pollShardWorkflowTask', pollBody, poll3);
      const a = channels.call('completeWorkflowTask', complete('a'), at3);
      const b = channels.call('completeActivityTask', { taskToken: 'b' }, at3);
      await peer.received(3);
      const [mPoll, mA, mB] = peer.messages;
      expect(mPoll).toMatchObject({ call: 'pollShardWorkflowTask', request: pollBody });
      peer.answer(mB!, { error: { code: 'TASK_NOT_FOUND', message: 'gone' } });
      peer.answer(mA!, { response: { n: 'a' } });
      peer.answer(mPoll!, { response: { task: { taskToken: 't' } } });
      expect(await a).toEqual({ n: 'a' });
      const err = await b.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KeelServiceError);
      expect(err).toMatchObject({ code: 'TASK_NOT_FOUND', status: 404, message: 'gone' });
      expect(await poll).toEqual({ task: { taskToken: 't' } });
    });

    it('calls it does not carry go over HTTP unchanged: other endpoints, calls naming no shard, calls with headers of their own or in a metadata scope', async () => {
      await openChannel();
      await channels.call('heartbeatActivityTask', { taskToken: 'hb' }, at3);
      await channels.call('completeWorkflowTask', complete('no-shard'), { namespace: 'default' });
      await channels.call('completeWorkflowTask', complete('own-headers'), { ...at3, headers: { 'x-trace': '1' } });
      await channels.withMetadata({ 'x-trace': '2' }, () => channels.call('completeWorkflowTask', complete('scoped'), at3));
      expect(httpCalls()).toEqual(['/workflow-tasks/complete opener', '/activity-tasks/heartbeat hb', '/workflow-tasks/complete no-shard', '/workflow-tasks/complete own-headers', '/workflow-tasks/complete scoped']);
      expect(fake.requests.at(-1)!.headers['x-trace']).toBe('2');
      expect(peer.messages).toHaveLength(0);
    });

    it('a call over the service’s request size limit goes over HTTP, which refuses it alone, instead of a message that would close the channel', async () => {
      await openChannel();
      const big = { taskToken: 'big', commands: [{ commandType: 'CompleteWorkflowExecution', result: { data: 'x'.repeat(Limits.maxRequestBytes) } }] };
      await channels.call('completeWorkflowTask', big as never, at3);
      expect(httpCalls()).toEqual(['/workflow-tasks/complete opener', '/workflow-tasks/complete big']);
      expect(peer.messages).toHaveLength(0);
    });

    it('a call in flight when its channel closes is sent again over HTTP with the same request id; each caller is answered once', async () => {
      await openChannel();
      const poll = channels.call('pollShardWorkflowTask', pollBody, poll3);
      const a = channels.call('completeWorkflowTask', complete('a'), at3);
      const batch = channels.call('batchTasks', { items: [{ kind: 'completeActivityTask', request: { taskToken: 'b', requestId: 'rid-b' } }] }, { ...at3, idempotent: true });
      await peer.received(3);
      peer.sockets[0]!.terminate();
      expect(await a).toEqual({ http: 'a' });
      expect(await poll).toEqual({ http: 'poll' });
      expect(await batch).toEqual({ results: [{ response: { http: true } }] });
      const sentA = peer.messages.find((m) => m.call === 'completeWorkflowTask')!;
      const httpA = fake.requests.find((r) => (r.body as { taskToken?: string }).taskToken === 'a')!;
      expect((httpA.body as { requestId: string }).requestId).toBe(sentA.request.requestId);
      expect(httpCalls()).toEqual(expect.arrayContaining(['/shards/3/workflow-tasks/poll', '/tasks/batch']));
      expect(channels.stats).toMatchObject({ resent: 3, lost: 1 });
    });

    it('a call an open channel answers ROUTE_NOT_FOUND (a service whose channels do not carry it) goes over HTTP, as do that endpoint’s later calls; the others stay on the channel', async () => {
      await openChannel();
      const refused = channels.carry('completeActivityTask', { taskToken: 'old' }, at3)!;
      await peer.received(1);
      peer.answer(peer.messages[0]!, { error: { code: 'ROUTE_NOT_FOUND', message: "A shard channel carries no call 'completeActivityTask'" } });
      fake.route('POST', `${NS}/activity-tasks/complete`, (r) => ({ body: { http: (r.body as { taskToken: string }).taskToken } }));
      expect(await refused).toEqual({ http: 'old' });
      const sent = peer.messages[0]!.request.requestId;
      expect((fake.requests.at(-1)!.body as { requestId: string }).requestId).toBe(sent);
      // From now on that endpoint declines the channel; another endpoint is still carried.
      expect(channels.carry('completeActivityTask', { taskToken: 'later' }, at3)).toBeUndefined();
      const other = channels.call('completeWorkflowTask', complete('other'), at3);
      await peer.received(2);
      peer.answer(peer.messages[1]!, { response: { over: 'channel' } });
      expect(await other).toEqual({ over: 'channel' });
      expect(httpCalls()).toEqual(['/workflow-tasks/complete opener', '/activity-tasks/complete old']);
      expect(channels.stats).toMatchObject({ resent: 1, lost: 0 });
    });

    it('a call that may not be repeated fails when its channel closes under it, as an HTTP call that lost its answer does', async () => {
      await openChannel();
      const batch = channels.call('batchTasks', { items: [{ kind: 'completeActivityTask', request: { taskToken: 'b' } }] }, { ...at3, idempotent: false });
      await peer.received(1);
      peer.sockets[0]!.terminate();
      const err = await batch.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ServiceError);
      expect(String((err as Error).message)).toMatch(/closed before the answer to batchTasks/);
      expect(httpCalls()).toEqual(['/workflow-tasks/complete opener']);
    });

    it('an aborted call settles at once with the abort’s reason; its late answer is dropped and the channel goes on', async () => {
      await openChannel();
      const stop = new AbortController();
      const poll = channels.call('pollShardWorkflowTask', pollBody, { ...poll3, signal: stop.signal });
      await peer.received(1);
      stop.abort(new Error('shutting down'));
      await expect(poll).rejects.toThrow('shutting down');
      peer.answer(peer.messages[0]!, { response: { task: { taskToken: 'late' } } });
      const next = channels.call('completeWorkflowTask', complete('n'), at3);
      await peer.received(2);
      peer.answer(peer.messages[1]!, { response: { ok: 1 } });
      expect(await next).toEqual({ ok: 1 });
      // A signal aborted before the call: nothing is sent.
      await expect(channels.call('pollShardWorkflowTask', pollBody, { ...poll3, signal: AbortSignal.abort(new Error('already')) })).rejects.toThrow('already');
      expect(peer.messages).toHaveLength(2);
    });

    it('NativeConnection’s request metrics count each call once, over HTTP, over a channel, or over a channel and then HTTP', async () => {
      const completions = () => Number(/^temporal_request\{[^}]*operation="RespondWorkflowTaskCompleted"[^}]*\} (\d+)$/m.exec(Runtime.instance().metrics.render())?.[1] ?? 0);
      const before = completions();
      await openChannel();
      const a = channels.call('completeWorkflowTask', complete('a'), at3);
      await peer.received(1);
      peer.answer(peer.messages[0]!, { response: {} });
      await a;
      const b = channels.call('completeWorkflowTask', complete('b'), at3);
      await peer.received(2);
      peer.sockets[0]!.terminate();
      await b;
      expect(channels.stats).toMatchObject({ answered: 1, resent: 1 });
      expect(completions() - before).toBe(3);
    });

    it('closing the channels closes each with a normal close, leaves no socket or timer that keeps the process alive, and later calls go over HTTP', async () => {
      const handles = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'TCPSocketWrap').length;
      const before = handles();
      await openChannel();
      expect(handles()).toBeGreaterThan(before);
      await channels.closeChannels();
      await vi.waitFor(() => expect(handles()).toBe(before), { timeout: 5000, interval: 2 });
      await vi.waitFor(() => expect(peer.closeCodes).toEqual([1000]), { timeout: 5000, interval: 2 });
      expect(channels.openChannels).toBe(0);
      expect(await channels.call('completeWorkflowTask', complete('after'), at3)).toEqual({ http: 'after' });
      expect(peer.upgrades).toHaveLength(1);
    });
  });

  it('after its channel closed, a shard’s calls go over HTTP until the back-off is over: no reopening loop', async () => {
    await setUp({ reopen: { initialIntervalMs: 60_000, maxJitter: 0 } });
    await openChannel();
    peer.sockets[0]!.terminate();
    await vi.waitFor(() => expect(channels.openChannels).toBe(0), { timeout: 5000, interval: 2 });
    for (const t of ['x', 'y', 'z']) expect(await channels.call('completeWorkflowTask', complete(t), at3)).toEqual({ http: t });
    expect(peer.upgrades).toHaveLength(1);
  });

  it('once the back-off is over, the next call opens the channel again', async () => {
    await setUp({ reopen: { initialIntervalMs: 0, maxJitter: 0 } });
    await openChannel();
    peer.sockets[0]!.terminate();
    await vi.waitFor(() => expect(channels.openChannels).toBe(0), { timeout: 5000, interval: 2 });
    await openChannel();
    expect(peer.upgrades).toHaveLength(2);
  });

  it('a channel that hears nothing for a heartbeat while a call is in flight is taken for dead: the call goes over HTTP', async () => {
    await setUp({ heartbeatMs: 30, autoPong: false });
    await openChannel();
    const a = channels.call('completeWorkflowTask', complete('a'), at3);
    await peer.received(1);
    expect(await a).toEqual({ http: 'a' });
    expect(channels.stats).toMatchObject({ resent: 1, lost: 1 });
  });

  describe('a service that refuses channels', () => {
    const refusals = [
      ['an older service (404 ROUTE_NOT_FOUND)', 404, { error: { code: 'ROUTE_NOT_FOUND', message: 'No route' } }],
      ['a service without shards (FEATURE_DISABLED)', 403, { error: { code: 'FEATURE_DISABLED', message: 'No shards' } }],
      ['a proxy that does not upgrade (426)', 426, {}],
    ] as const;
    for (const [what, status, body] of refusals) {
      it(`${what}: channels are off for good, every call over HTTP`, async () => {
        await setUp({ reopen: { initialIntervalMs: 0, maxJitter: 0 } });
        peer.refuse = { status, body };
        expect(await channels.call('completeWorkflowTask', complete('a'), at3)).toEqual({ http: 'a' });
        await vi.waitFor(() => expect(channels.on).toBe(false), { timeout: 5000, interval: 2 });
        expect(await channels.call('completeWorkflowTask', complete('b'), at3)).toEqual({ http: 'b' });
        expect(await channels.call('pollShardWorkflowTask', pollBody, poll3)).toEqual({ http: 'poll' });
        expect(peer.upgrades).toHaveLength(1);
      });
    }

    it('another refusal (a 401, a 503) is not taken as "no channels": the channel is tried again after its back-off', async () => {
      await setUp({ reopen: { initialIntervalMs: 0, maxJitter: 0 } });
      peer.refuse = { status: 503, body: { error: { code: 'INTERNAL', message: 'busy' } } };
      await channels.call('completeWorkflowTask', complete('a'), at3);
      await vi.waitFor(() => expect(channels.stats.lost).toBe(1), { timeout: 5000, interval: 2 });
      expect(channels.on).toBe(true);
      peer.refuse = undefined;
      await openChannel();
      expect(peer.upgrades).toHaveLength(2);
    });
  });

  it('a call refused on a channel for the key it was opened with, where the connection has a new key now, goes over HTTP with the new key; the channel opens again with it', async () => {
    let key = 'old-key';
    await setUp({ reopen: { initialIntervalMs: 0, maxJitter: 0 } }, { apiKey: () => key });
    await openChannel();
    key = 'new-key';
    const a = channels.call('completeWorkflowTask', complete('a'), at3);
    await peer.received(1);
    peer.answer(peer.messages[0]!, { error: { code: 'UNAUTHENTICATED', message: 'key revoked' } });
    expect(await a).toEqual({ http: 'a' });
    expect(fake.requests.at(-1)!.headers.authorization).toBe('Bearer new-key');
    await vi.waitFor(() => expect(peer.closeCodes).toEqual([1000]), { timeout: 5000, interval: 2 });
    await openChannel();
    expect(peer.upgrades.map((u) => u.headers.authorization)).toEqual(['Bearer old-key', 'Bearer new-key']);
    // With the key unchanged, the refusal is the call's answer, as over HTTP.
    const b = channels.call('completeWorkflowTask', complete('b'), at3);
    await peer.received(2);
    peer.answer(peer.messages[1]!, { error: { code: 'PERMISSION_DENIED', message: 'not this namespace' } });
    await expect(b).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('a connection given its own fetch (a proxy’s dispatcher) makes no channel: a WebSocket would go around it', async () => {
    await setUp({}, { fetch: globalThis.fetch });
    expect(channels.on).toBe(false);
    expect(await channels.call('completeWorkflowTask', complete('a'), at3)).toEqual({ http: 'a' });
    expect(peer.upgrades).toHaveLength(0);
  });
});
