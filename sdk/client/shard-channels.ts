/**
 * `ShardChannels`: channels to the service's workflow shards (protocol/shard-channel.ts), one
 * WebSocket per shard, carrying as messages the calls that would otherwise each be an HTTP exchange:
 * no request parse, routing or RPC on the service's side (on Cloudflare no Worker request and no
 * Durable Object request, a message billed at 1/20 of one), no ClientRequest, HTTP parser or agent
 * bookkeeping on the caller's. Two users, one implementation: a worker's calls about a shard's tasks
 * — its polls, the completions and failures of its workflow and activity tasks, their batches
 * (protocol 7, sdk/worker/worker.ts) — and a client's starts, on the channel of the shard the
 * workflow id hashes to (protocol 8, `ClientChannels` in client-channels.ts).
 *
 * Layering: for a worker this is a `ConnectionLike` between `ShardExchanges` (which still groups
 * completions, a batch being one message) and the worker's `Connection`. It hands each call it could
 * carry to the connection with itself as the call's `route`; the connection applies its scope
 * (deadline, abort signal, metadata) and offers the call back to `carry`, so `NativeConnection`'s
 * request metrics count every call once, whichever way it goes. A client's `Connection` offers its
 * starts to `carry` the same way, through `ClientChannels`, which names their shard. `carry` declines
 * — and the call goes over HTTP — while the shard's channel is not open (it opens lazily, on the
 * shard's first call: nothing waits for a socket), when the call has headers of its own (a channel's
 * are fixed at its upgrade), once the service refused channels (an older one: ROUTE_NOT_FOUND, 426,
 * FEATURE_DISABLED), and for good for an endpoint an open channel answered ROUTE_NOT_FOUND (a service
 * with protocol 7 but not 8 carries no start).
 *
 * Nothing is lost with a channel: a call in flight on a channel that closes (or that stops answering
 * pings) is sent again over HTTP under the rules for a lost HTTP answer (`retrySafety`: polls are
 * harmless to repeat, completions and starts carry their request id, given once before the first
 * send), and one that may not be repeated fails as an HTTP call that lost its answer does. The channel
 * is opened again by a later call, after a back-off that grows while opening fails.
 *
 * Protocol 10: a worker's channels say at their upgrade which queue they serve (`serves`), and a shard sends
 * on them, unasked and with no `id`, a wake when it hands that queue a task that goes to its backlog
 * (`onWake`); the worker polls a queue it parked again (sdk/worker/queue-parking.ts). Once the service says
 * it sends wakes, the worker keeps a channel open to every shard (`keepOpen`: opened again after each close,
 * after the back-off, not only by a later call), and each opening is reported (`onOpen`): wakes sent while a
 * channel was closed were lost, so the worker polls its parked queues once.
 *
 * Nothing is kept alive by an idle channel: its socket is unref'd while no call is in flight on it
 * (a process whose only handle is an idle channel exits, as with an idle keep-alive HTTP socket), and
 * the service accepts it with the hibernation API, so no object is held in memory for it. `ws` is
 * loaded on the first channel's opening, so a process that never opens one never loads it.
 */
import type WebSocket from 'ws';
import type { Socket } from 'node:net';
import { Limits, WORKER_CHANNEL_ENDPOINTS, shardChannelPath, shardChannelServesQuery, type EndpointName, type RequestOf, type ResponseOf, type ShardChannelAnswer, type ShardChannelServes, type ShardChannelWake } from '../../protocol/index.js';
import type { Connection } from './connection.js';
import { keelServiceErrorOf, ServiceError, type KeelServiceError } from './errors.js';
import { toKeelServiceError, type CallOptions, type CallRoute } from './http-transport.js';
import { backoffDelayMs, callSafety, withRequestId, type RetryOptions, type RetrySafety } from './retry.js';
import type { Logger } from '../common/index.js';
import { ConnectionLayer } from './connection-layer.js';

/** The calls a worker's `call` routes here (a client's starts come to `carry` through `ClientChannels`). */
const CARRIED: ReadonlySet<EndpointName> = new Set(WORKER_CHANNEL_ENDPOINTS);

/** `WebSocket.OPEN`, without loading `ws` to read it. */
const OPEN = 1;

/** `ws`'s WebSocket class once loaded (`loadWs`). */
let WebSocketClass: typeof WebSocket | undefined;
let wsLoading: Promise<void> | undefined;

/** `ws`, loaded once, on the first channel's opening. */
function loadWs(): Promise<void> {
  return (wsLoading ??= import('ws').then((m) => {
    WebSocketClass = m.default;
  }));
}

/**
 * A message's largest size in bytes: the service's limit on a request body, which it applies to a
 * message too (it closes a channel that sends a bigger one, dropping the calls in flight with it). A
 * bigger call goes over HTTP, which refuses it alone (PAYLOAD_TOO_LARGE). Cloudflare receives
 * WebSocket messages of up to 32 MiB (1 MiB before October 2025).
 */
const MAX_MESSAGE_BYTES = Limits.maxRequestBytes;

/** The back-off before a channel is opened again after it closed or could not be opened. */
const REOPEN: RetryOptions = { maxAttempts: Infinity, initialIntervalMs: 200, backoffCoefficient: 2, maxIntervalMs: 15_000, maxJitter: 0.2 };

/** How long the upgrade may take; calls go over HTTP meanwhile. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** How long closing the channels at shutdown waits for the service's close frames before it drops the sockets. */
const CLOSE_WAIT_MS = 1000;

/**
 * A client's frames are masked with a key (RFC 6455) so that a script in a browser cannot make its
 * bytes look like a request to a caching proxy on the way. A worker is no browser and sends only the
 * JSON it builds, so its key is zero: `ws` then writes a message's string as it is, without copying
 * it into a buffer and XOR-ing every byte (about 1 % of the worker's CPU per workflow).
 */
const zeroMask = (mask: Buffer) => mask.fill(0);

/** Options of {@link ShardChannels}; the defaults are for production, tests shorten them. */
export interface ShardChannelsOptions {
  log?: Logger;
  /**
   * A channel with calls in flight pings the service this often; one that heard nothing (no answer,
   * no pong) for a whole interval is taken for dead and closed, and its calls go over HTTP. HTTP's
   * counterpart is the transport's 70 s attempt timeout. @default 30000
   */
  heartbeatMs?: number;
  /** The back-off before reopening a channel. @default 200 ms doubling to 15 s, ±20 % */
  reopen?: Partial<RetryOptions>;
  /** Open channels even though the connection was given its own `fetch` (its owner chose so: `ConnectionOptions.shardChannels`). */
  besideOwnFetch?: boolean;
  /** Protocol 10: what a worker's channels serve, said at their upgrade, so that the shards send them the wakes of that queue. */
  serves?: ShardChannelServes;
  /** Protocol 10: a shard's wake (a task of a queue went to its backlog, `ShardChannelWake`). */
  onWake?: (wake: ShardChannelWake['wake']) => void;
  /** A channel opened (first or again): wakes sent while it was closed were lost. */
  onOpen?: () => void;
  /** The channels went off for good (the service refused them, or they were closed): no wake comes from now on. */
  onOff?: () => void;
}

/** A call in flight on a channel, by its id. */
interface Pending {
  endpoint: EndpointName;
  /** The request as sent, with its request id: a resend over HTTP carries the same one. */
  request: unknown;
  options: CallOptions;
  safety: RetrySafety;
  resolve: (answer: unknown) => void;
  reject: (err: unknown) => void;
  /** Only for a call with an abort signal: it rejects at once and forgets the call. */
  onAbort: (() => void) | undefined;
}

/** What the channels did, for tests and benchmarks. */
export interface ShardChannelStats {
  /** Channels opened (upgrades the service accepted). */
  opened: number;
  /** Calls sent on a channel, and answers that came back on one. */
  sent: number;
  answered: number;
  /** Calls in flight when their channel closed, sent again over HTTP. */
  resent: number;
  /** Channels that closed (or failed to open) other than at shutdown. */
  lost: number;
}

export class ShardChannels extends ConnectionLayer<Connection> implements CallRoute {
  /** By namespace, then shard index. */
  private readonly channels = new Map<string, Map<string, ShardChannel>>();
  /** Why calls go over HTTP only: the service refused channels, or they were closed; `undefined` while on. */
  private offBecause: string | undefined;
  /** Endpoints an open channel answered ROUTE_NOT_FOUND (a service with an older protocol): over HTTP from now on. */
  private readonly refusedCalls = new Set<EndpointName>();
  readonly stats: ShardChannelStats = { opened: 0, sent: 0, answered: 0, resent: 0, lost: 0 };
  readonly heartbeatMs: number;
  readonly reopen: RetryOptions;

  constructor(
    connection: Connection,
    private readonly options: ShardChannelsOptions = {},
  ) {
    super(connection);
    this.heartbeatMs = options.heartbeatMs ?? 30_000;
    this.reopen = { ...REOPEN, ...options.reopen };
    // A caller's own fetch (a proxy's or a custom CA's dispatcher) is how it must reach the service; a WebSocket would go around it.
    if (connection.transport.ownFetch && !options.besideOwnFetch) this.offBecause = 'the connection was given its own fetch';
  }

  /** Whether calls may go over channels (false once the service refused them or they were closed). */
  get on(): boolean {
    return this.offBecause === undefined;
  }

  /** Shards with an open channel (tests). */
  get openChannels(): number {
    let n = 0;
    for (const byShard of this.channels.values()) for (const c of byShard.values()) if (c.isOpen) n++;
    return n;
  }

  call<E extends EndpointName>(endpoint: E, request: RequestOf<E>, options: CallOptions): Promise<ResponseOf<E>> {
    if (this.offBecause !== undefined || !CARRIED.has(endpoint) || shardOf(endpoint, options) === undefined) return this.connection.call(endpoint, request, options);
    return this.connection.call(endpoint, request, { ...options, route: this });
  }

  /** The connection offers back a call `call` routed here, with its scope applied (see the module's comment). */
  carry<E extends EndpointName>(endpoint: E, request: RequestOf<E>, options: CallOptions): Promise<ResponseOf<E>> | undefined {
    if (this.offBecause !== undefined || options.headers !== undefined || this.refusedCalls.has(endpoint)) return undefined;
    const shard = shardOf(endpoint, options);
    if (shard === undefined) return undefined;
    const channel = this.channel(options.namespace, shard);
    return channel.ready() ? (channel.send(endpoint, request, options) as Promise<ResponseOf<E>> | undefined) : undefined;
  }

  /**
   * Protocol 10: keeps a channel open to each of the namespace's `shards` shards from now on — opened now,
   * and again after each close (after the back-off) — so that every shard's wakes reach this worker.
   */
  keepOpen(namespace: string, shards: number): void {
    if (this.offBecause !== undefined) return;
    for (let shard = 0; shard < shards; shard++) this.channel(namespace, String(shard)).keepOpen();
  }

  /** The channel to `shard` of `namespace`, made (closed) if there is none yet. */
  private channel(namespace: string, shard: string): ShardChannel {
    let byShard = this.channels.get(namespace);
    if (!byShard) this.channels.set(namespace, (byShard = new Map()));
    let channel = byShard.get(shard);
    if (!channel) {
      const query = this.options.serves ? shardChannelServesQuery(this.options.serves) : '';
      byShard.set(shard, (channel = new ShardChannel(this, this.connection.transport.baseUrl.replace(/^http/, 'ws') + shardChannelPath(namespace, shard) + query)));
    }
    return channel;
  }

  /** For its channels: one opened (its wakes may have been lost while it was closed). */
  opened(): void {
    this.options.onOpen?.();
  }

  /** For its channels: a shard's wake came. */
  woken(wake: ShardChannelWake['wake']): void {
    this.options.onWake?.(wake);
  }

  /** For its channels: the upgrade's headers, those of every HTTP call (metadata, API key). */
  headers(): Record<string, string> {
    return this.connection.transport.headers();
  }

  /** A call whose channel closed, sent again over HTTP: through the transport, its scope applied already and counted already. */
  resend(p: Pending): void {
    this.stats.resent++;
    this.connection.transport.call(p.endpoint, p.request as never, p.options).then(p.resolve, p.reject);
  }

  /** The service refused a channel for good (it has none): HTTP only from now on; open channels stay until they close. */
  refused(err: KeelServiceError): void {
    if (this.offBecause !== undefined) return;
    this.offBecause = `the service refused a shard channel (${err.status} ${err.code})`;
    this.options.log?.info(`Shard channels are off: ${this.offBecause}; calls go over HTTP`);
    this.options.onOff?.();
  }

  /** A channel answered that it carries no `endpoint` (a service with an older protocol): its calls go over HTTP from now on. */
  refusedCall(endpoint: EndpointName): void {
    if (this.refusedCalls.has(endpoint)) return;
    this.refusedCalls.add(endpoint);
    this.options.log?.info(`The service's shard channels carry no ${endpoint}; it goes over HTTP`);
  }

  /**
   * Closes every channel (the worker stops, after its polls ended) and opens none again: later calls
   * go over HTTP. Waits for the service's close frames a moment, then drops what is left; leaves no
   * socket or timer behind.
   */
  async closeChannels(): Promise<void> {
    if (this.offBecause === undefined) this.options.onOff?.();
    this.offBecause ??= 'the channels were closed';
    const all = [...this.channels.values()].flatMap((byShard) => [...byShard.values()]);
    this.channels.clear();
    if (all.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(all.map((c) => c.close())), new Promise<void>((r) => (timer = setTimeout(r, CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
    for (const c of all) c.terminate();
  }

  /** Closes the channels, then the connection beneath. */
  override async close(): Promise<void> {
    await this.closeChannels();
    await super.close();
  }
}

/** The shard a call names: a poll's `shard` parameter, a task's `shardKey`; `undefined` for none. */
function shardOf(endpoint: EndpointName, options: CallOptions): string | undefined {
  return endpoint === 'pollShardWorkflowTask' ? options.params?.shard : options.shardKey;
}

/** One shard's channel: closed (opened on a call once its back-off is over), opening, or open. */
class ShardChannel {
  private ws: WebSocket | undefined;
  private open = false;
  /** When (performance.now()) the channel may be opened again; 0: at once. */
  private retryAt = 0;
  /** Opening attempts in a row that ended without an answer: the back-off's exponent. */
  private failures = 0;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  /** The API key the channel was opened with (the service checks each call's against it). */
  private authorization: string | undefined;
  /** Whether anything (an answer, a pong) came since the last heartbeat. */
  private heard = true;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  /** The channel's TCP socket once upgraded: ref'd only while calls are in flight on it. */
  private socket: Socket | undefined;
  /** Waiting for `ws` to load before the first opening. */
  private loading = false;
  /** Protocol 10: kept open (`keepOpen`), opened again after each close, not only by a later call. */
  private kept = false;
  private reopenTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly owner: ShardChannels,
    private readonly url: string,
  ) {}

  get isOpen(): boolean {
    return this.open;
  }

  /** Whether the channel can carry a call now; if it is closed and its back-off is over, starts opening it (the call goes over HTTP). */
  ready(): boolean {
    if (this.open) return this.ws!.readyState === OPEN;
    if (this.ws === undefined && !this.loading && performance.now() >= this.retryAt) this.connect();
    return false;
  }

  /** Keeps the channel open from now on: opened now (or once its back-off is over), and again after each close. */
  keepOpen(): void {
    this.kept = true;
    if (!this.ready()) this.reopenLater();
  }

  /** A kept channel that is closed: opened again once its back-off is over (unref'd: it keeps no process alive). */
  private reopenLater(): void {
    if (!this.kept || this.reopenTimer !== undefined || this.ws !== undefined || this.loading || !this.owner.on) return;
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      if (this.owner.on && !this.ready()) this.reopenLater();
    }, Math.max(0, this.retryAt - performance.now()));
    this.reopenTimer.unref();
  }

  /** Sends one call; `undefined` when it is too big for a message (it goes over HTTP; nothing was sent). */
  send(endpoint: EndpointName, request: unknown, options: CallOptions): Promise<unknown> | undefined {
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const safety = callSafety(endpoint, options.idempotent);
    const sent = withRequestId(request, safety);
    const id = ++this.nextId;
    // A call whose path names its workflow says it in `params` (protocol 8); a poll's shard is the channel's.
    const params = endpoint === 'pollShardWorkflowTask' ? undefined : options.params;
    const text = JSON.stringify(params === undefined ? { id, call: endpoint, request: sent } : { id, call: endpoint, request: sent, params });
    // A character is at most 3 bytes of UTF-8 in a JS string (a surrogate pair is 4 for 2).
    if (text.length * 3 > MAX_MESSAGE_BYTES && Buffer.byteLength(text) > MAX_MESSAGE_BYTES) return undefined;
    const ws = this.ws!;
    return new Promise((resolve, reject) => {
      const p: Pending = { endpoint, request: sent, options, safety, resolve, reject, onAbort: undefined };
      if (signal) {
        // The caller's promise settles on abort, as an HTTP call's does; a late answer finds no id and is dropped
        // (a poll's task comes back to its queue when its hand-off window ends unacknowledged).
        p.onAbort = () => {
          this.forget(id);
          reject(signal.reason);
        };
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      // The first call in flight keeps the process alive until its answer, as an HTTP request does.
      if (this.pending.size === 0) this.socket?.ref();
      this.pending.set(id, p);
      this.owner.stats.sent++;
      // No callback: a send that fails fails the socket, whose close sends the calls in flight over HTTP.
      ws.send(text);
    });
  }

  /** A call in flight no more: with none left, the socket no longer keeps the process alive. */
  private forget(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.socket?.unref();
  }

  private connect(): void {
    const WebSocket = WebSocketClass;
    if (WebSocket === undefined) {
      // Calls go over HTTP meanwhile; the opening starts once `ws` is here, unless the channels were closed since.
      this.loading = true;
      void loadWs().then(
        () => {
          this.loading = false;
          if (this.owner.on) this.connect();
        },
        () => {
          // No `ws` to load: as a failed opening, tried again after the back-off.
          this.loading = false;
          this.retryAt = performance.now() + backoffDelayMs(++this.failures, this.owner.reopen);
          this.reopenLater();
        },
      );
      return;
    }
    let ws: WebSocket;
    try {
      const headers = this.owner.headers();
      this.authorization = headers.authorization;
      ws = new WebSocket(this.url, { headers, perMessageDeflate: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS, generateMask: zeroMask });
    } catch {
      // A URL or header ws refuses (an API key function that threw): as a failed opening, tried again after the back-off.
      this.retryAt = performance.now() + backoffDelayMs(++this.failures, this.owner.reopen);
      this.reopenLater();
      return;
    }
    this.ws = ws;
    ws.on('upgrade', (res: { socket: Socket }) => {
      this.socket = res.socket;
    });
    ws.on('open', () => {
      // Idle until a call is sent: an open channel alone does not keep the process alive.
      if (this.pending.size === 0) this.socket?.unref();
      this.open = true;
      this.heard = true;
      this.owner.stats.opened++;
      this.heartbeat = setInterval(() => this.beat(), this.owner.heartbeatMs).unref();
      this.owner.opened();
    });
    ws.on('message', (data: Buffer) => this.answer(data));
    ws.on('pong', () => (this.heard = true));
    ws.on('unexpected-response', (_req, res) => {
      // An upgrade refused with an answer: read it for the code, then drop the socket ('close' follows).
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        const err = toKeelServiceError(res.statusCode ?? 0, text);
        if (err.status === 426 || err.code === 'ROUTE_NOT_FOUND' || err.code === 'FEATURE_DISABLED') this.owner.refused(err);
        ws.terminate();
      });
      res.on('error', () => ws.terminate());
    });
    // Every failure ends in 'close', which does what there is to do.
    ws.on('error', () => {});
    ws.on('close', () => this.closed(ws));
  }

  /** The heartbeat's tick: a channel with calls in flight that heard nothing for a whole interval is dead. */
  private beat(): void {
    const ws = this.ws!;
    if (this.pending.size === 0) {
      this.heard = true;
      return;
    }
    if (!this.heard) {
      ws.terminate();
      return;
    }
    this.heard = false;
    ws.ping();
  }

  private answer(data: Buffer): void {
    this.heard = true;
    let answer: ShardChannelAnswer;
    try {
      answer = JSON.parse(data.toString('utf8')) as ShardChannelAnswer;
    } catch {
      // Not the protocol: nothing on this channel can be trusted to be answered; its calls go over HTTP.
      this.ws?.terminate();
      return;
    }
    if (typeof answer.id !== 'number') {
      // Protocol 10: a message the shard sent unasked, a wake; anything else unasked is dropped.
      const { wake } = answer as Partial<ShardChannelWake>;
      if (wake !== undefined) this.owner.woken(wake);
      return;
    }
    const p = this.pending.get(answer.id);
    if (p === undefined) return;
    this.forget(answer.id);
    this.failures = 0;
    this.owner.stats.answered++;
    if (p.onAbort) p.options.signal!.removeEventListener('abort', p.onAbort);
    if (!('error' in answer)) p.resolve(answer.response ?? {});
    else if (answer.error.code === 'ROUTE_NOT_FOUND') {
      // Only a call the channel does not carry is answered so (the handlers have no such error): a service with an
      // older protocol. Not applied: it goes over HTTP, as do that endpoint's calls from now on.
      this.owner.refusedCall(p.endpoint);
      this.owner.resend(p);
    } else if (this.keyChanged(answer.error.code)) {
      // Refused with the key the channel opened with, which the connection has replaced since (setApiKey, a key
      // function): the call was not applied, so it goes over HTTP with the current key, and the channel opens again with it.
      this.owner.resend(p);
      this.ws?.close(1000, 'credentials changed');
    } else p.reject(keelServiceErrorOf(answer.error));
  }

  /** Whether an error answer is the service refusing the channel's key where the connection now has another. */
  private keyChanged(code: string): boolean {
    return (code === 'UNAUTHENTICATED' || code === 'PERMISSION_DENIED') && this.owner.headers().authorization !== this.authorization;
  }

  /** The socket closed (or never opened): calls in flight go over HTTP, and the channel opens again after its back-off. */
  private closed(ws: WebSocket): void {
    if (ws !== this.ws) return;
    this.ws = undefined;
    this.socket = undefined;
    this.open = false;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.owner.on) {
      this.owner.stats.lost++;
      this.retryAt = performance.now() + backoffDelayMs(++this.failures, this.owner.reopen);
      this.reopenLater();
    }
    const inFlight = [...this.pending.values()];
    this.pending.clear();
    for (const p of inFlight) {
      if (p.onAbort) p.options.signal!.removeEventListener('abort', p.onAbort);
      if (p.safety === 'unsafe') p.reject(new ServiceError(`The shard channel ${this.url} closed before the answer to ${p.endpoint} came; it is not sent again, as repeating it is not safe`));
      else this.owner.resend(p);
    }
  }

  /** Closes the socket with a normal close; resolves when it has closed. */
  close(): Promise<void> {
    clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    const ws = this.ws;
    if (ws === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close(1000, 'worker shutdown');
    });
  }

  /** Drops the socket at once, if it is still there. */
  terminate(): void {
    this.ws?.terminate();
  }
}
