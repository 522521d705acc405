// Owns `Connection`, Temporal's name for the link to the service: its options and defaults,
// the reachability check of `connect`, and the scoped call context (`withDeadline`,
// `withAbortSignal`, `withMetadata`) applied to every call made through it.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { EndpointName, RequestOf, ResponseOf } from '../../protocol/index.js';
import { msOptionalToNumber, type Duration } from '../common/index.js';
import { DEFAULT_ADDRESS } from './address.js';
import { ClientChannels } from './client-channels.js';
import { ServiceError } from './errors.js';
import { HttpTransport, type CallOptions, type HttpTransportOptions } from './http-transport.js';
import type { RetryOptions } from './retry.js';

/** Options of {@link Connection.connect} and {@link Connection.lazy}, with Temporal's names. */
export interface ConnectionOptions {
  /**
   * The service: `host:port`, `host` (port 7233) or an `http(s)://` URL (use the URL form for a
   * deployed service, e.g. `https://keel.example.workers.dev`).
   * @default '127.0.0.1:7233'
   */
  address?: string;
  /**
   * Truthy: use https for an address written without a scheme. Client certificates and custom
   * CAs (Temporal's TLS objects with fields) are not supported and are refused.
   * @default false
   */
  tls?: boolean | Record<string, never> | null;
  /**
   * Sent as `Authorization: Bearer <apiKey>`. A function is called for each request. Exclusive
   * with an `Authorization` entry in {@link metadata}.
   */
  apiKey?: string | (() => string);
  /** Headers sent with every request (Temporal's gRPC metadata). */
  metadata?: Record<string, string>;
  /**
   * How long {@link Connection.connect} (and {@link Connection.ensureConnected}) keeps trying to
   * reach the service.
   * @default 10 seconds
   */
  connectTimeout?: Duration;
  /** Keel: how transient failures are retried (Temporal's gRPC retry interceptor defaults). */
  retry?: Partial<RetryOptions>;
  /** Keel: the `fetch` to use, e.g. bound to an undici dispatcher with a proxy or custom CA. */
  fetch?: typeof globalThis.fetch;
  /**
   * Keel: send workflow starts (and `execute`, a start that waits for the result) as messages on a
   * WebSocket to the service's shard that keeps the workflow (protocol 8), opened on the first start
   * there, instead of an HTTP request each: on Cloudflare a message costs 1/20 of a Durable Object
   * request, where an HTTP start is a Worker request and a Durable Object request. Starts go over HTTP
   * while a channel opens, with headers of their own (`withMetadata`) and against a service without
   * it. With `fetch` given, off unless set to true: a WebSocket goes around that fetch (its proxy, its
   * CA). An idle channel keeps neither the process nor the service busy; `close` closes it.
   * @default true (false with `fetch` given)
   */
  shardChannels?: boolean;
}

/** The options with defaults applied. */
export interface ResolvedConnectionOptions {
  address: string;
  tls: boolean;
  metadata: Record<string, string>;
  connectTimeoutMs: number;
}

/** The call context set by `with…` scopes. */
interface CallContext {
  deadline?: number;
  abortSignal?: AbortSignal;
  metadata?: Record<string, string>;
}

/**
 * What the SDK's clients need of a connection. {@link Connection} is one; the worker's
 * `NativeConnection` is another, so that a `Client` can share it.
 */
export interface ConnectionLike {
  /** Calls one endpoint of the service, honouring the current `with…` scope. */
  call<E extends EndpointName>(endpoint: E, request: RequestOf<E>, options: CallOptions): Promise<ResponseOf<E>>;
  /** Checks that the service answers; memoised. */
  ensureConnected(): Promise<void>;
  /** Abandons calls in flight and refuses new ones. */
  close(): Promise<void>;
  withDeadline<R>(deadline: number | Date, fn: () => Promise<R>): Promise<R>;
  withAbortSignal<R>(abortSignal: AbortSignal, fn: () => Promise<R>): Promise<R>;
  withMetadata<R>(metadata: Record<string, string>, fn: () => Promise<R>): Promise<R>;
}

/**
 * A connection to the Keel service over HTTP. Cheap compared with Temporal's gRPC channel, but
 * still meant to be made once and shared by every client.
 *
 * `connect` checks that the service answers (GET `/api/v1/openapi.json`, retried until
 * `connectTimeout`) before it resolves; `lazy` checks nothing, and the first call finds out.
 *
 * @example
 * const connection = await Connection.connect({ address: 'localhost:7233' });
 * const client = new Client({ connection });
 * // …
 * await connection.close();
 */
export class Connection implements ConnectionLike {
  public readonly options: ResolvedConnectionOptions;
  /** The HTTP transport every call goes through. */
  public readonly transport: HttpTransport;
  private readonly callContext = new AsyncLocalStorage<CallContext>();
  private connectPromise: Promise<void> | undefined;
  /** The route of starts (protocol 8), unless `shardChannels` is false or a `fetch` was given. */
  public readonly clientChannels: ClientChannels | undefined;

  /**
   * Makes a connection without checking the service; prefer {@link connect}, which does.
   */
  public static lazy(options?: ConnectionOptions): Connection {
    return new this(options ?? {});
  }

  /** Makes a connection and checks that the service answers. */
  public static async connect(options?: ConnectionOptions): Promise<Connection> {
    const connection = this.lazy(options);
    await connection.ensureConnected();
    return connection;
  }

  protected constructor(options: ConnectionOptions) {
    const { tls } = options;
    if (tls && typeof tls === 'object' && Object.keys(tls).length > 0) {
      // Silently ignoring client certificates would connect with less security than asked for.
      throw new TypeError('TLS options (certificates, CAs, server name) are not supported; use an https:// address or pass a fetch with your own dispatcher');
    }
    this.options = {
      address: options.address ?? DEFAULT_ADDRESS,
      tls: Boolean(tls),
      metadata: { ...options.metadata },
      connectTimeoutMs: msOptionalToNumber(options.connectTimeout) ?? 10_000,
    };
    const transportOptions: HttpTransportOptions = {
      address: this.options.address,
      tls: this.options.tls,
      apiKey: options.apiKey,
      headers: this.options.metadata,
      retry: options.retry,
      fetch: options.fetch,
    };
    this.transport = new HttpTransport(transportOptions);
    this.clientChannels = (options.shardChannels ?? !this.transport.ownFetch) ? new ClientChannels(this) : undefined;
  }

  /**
   * Checks once that the service answers; later calls return the same promise. A failed check is
   * forgotten, so that the next call tries again.
   *
   * @throws {ServiceError} when the service did not answer within `connectTimeout`.
   */
  public async ensureConnected(): Promise<void> {
    this.connectPromise ??= this.checkReachable().catch((err: unknown) => {
      this.connectPromise = undefined;
      throw err;
    });
    return this.connectPromise;
  }

  private async checkReachable(): Promise<void> {
    const signal = AbortSignal.timeout(this.options.connectTimeoutMs);
    try {
      await this.transport.getJson(HttpTransport.OPENAPI_PATH, { signal });
    } catch (err) {
      const why = signal.aborted ? `no answer within ${this.options.connectTimeoutMs} ms` : (err as Error)?.message ?? String(err);
      throw new ServiceError(`Failed to connect to the Keel service at ${this.transport.baseUrl}: ${why}`, { cause: err });
    }
  }

  /** @inheritDoc */
  public async call<E extends EndpointName>(endpoint: E, request: RequestOf<E>, options: CallOptions): Promise<ResponseOf<E>> {
    const context = this.callContext.getStore();
    let scoped = options;
    if (context !== undefined) {
      const signals = [options.signal, context.abortSignal].filter((s): s is AbortSignal => s !== undefined);
      if (context.deadline !== undefined) signals.push(AbortSignal.timeout(Math.max(0, context.deadline - Date.now())));
      scoped = { ...options, signal: anySignal(signals), headers: context.metadata || options.headers ? { ...context.metadata, ...options.headers } : undefined };
    }
    // A route (a worker's shard channel; a client's for its starts) gets the call with the scope applied,
    // so a subclass's `call` (NativeConnection's metrics) sees it once whichever way it goes.
    const starts = options.route === undefined && ClientChannels.carries(endpoint) ? this.clientChannels : undefined;
    const route = options.route ?? starts;
    const answer = (this.transport.closed ? undefined : route?.carry(endpoint, request, scoped)) ?? this.transport.call(endpoint, request, scoped);
    // Every start's answer says the namespace's shard count (or that there are none), by either way.
    return starts === undefined ? answer : answer.then((a) => (starts.learn(options.namespace, endpoint, a as { workflowShards?: number }), a));
  }

  /**
   * Runs `fn` with a deadline on every call it makes through this connection: a call still
   * running at `deadline` rejects with a `TimeoutError` DOMException.
   *
   * @param deadline a `Date`, or milliseconds since the epoch.
   */
  public async withDeadline<R>(deadline: number | Date, fn: () => Promise<R>): Promise<R> {
    const ms = typeof deadline === 'number' ? deadline : deadline.getTime();
    const outer = this.callContext.getStore();
    return this.callContext.run({ ...outer, deadline: Math.min(ms, outer?.deadline ?? Infinity) }, fn);
  }

  /** Runs `fn` so that aborting `abortSignal` abandons every call it makes through this connection. */
  public async withAbortSignal<R>(abortSignal: AbortSignal, fn: () => Promise<R>): Promise<R> {
    const outer = this.callContext.getStore();
    const signal = outer?.abortSignal ? anySignal([outer.abortSignal, abortSignal]) : abortSignal;
    return this.callContext.run({ ...outer, abortSignal: signal }, fn);
  }

  /** Runs `fn` with extra headers on every call it makes through this connection. */
  public async withMetadata<R>(metadata: Record<string, string>, fn: () => Promise<R>): Promise<R> {
    const outer = this.callContext.getStore();
    return this.callContext.run({ ...outer, metadata: { ...outer?.metadata, ...metadata } }, fn);
  }

  /** Replaces the API key from the next request on (Temporal's `setApiKey`). */
  public setApiKey(apiKey: string | (() => string)): void {
    this.transport.setApiKey(apiKey);
  }

  /** Abandons calls in flight (they reject with a `ServiceError`), refuses new ones and closes the start channels. */
  public async close(): Promise<void> {
    // The transport first: a start in flight on a channel that closes is then refused, not sent again over HTTP.
    this.transport.close();
    await this.clientChannels?.close();
  }
}

/** One signal that aborts when any of `signals` does; `undefined` for none. */
function anySignal(signals: AbortSignal[]): AbortSignal | undefined {
  if (signals.length <= 1) return signals[0];
  return AbortSignal.any(signals);
}
