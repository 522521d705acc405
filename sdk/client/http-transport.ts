// Owns one HTTP exchange with the Keel service, for the client and the worker alike: the URL of an
// endpoint of the protocol's `Api` table, JSON in and out, the API key, turning error answers into
// `KeelServiceError`, retrying transient failures with back-off, cancellation and closing.
// It knows the protocol, not the client: no payloads, no workflow semantics.
import type { Endpoint, EndpointName, RequestOf, ResponseOf } from '../../protocol/index.js';
import { API_PREFIX, Api, namespacePath } from '../../protocol/index.js';
import { serviceBaseUrl, DEFAULT_ADDRESS } from './address.js';
import { KeelServiceError, ServiceError } from './errors.js';
import { Abandon, defaultExchange, fetchExchange, type HttpAnswer, type HttpExchange } from './http-exchange.js';
import { backoffDelayMs, callSafety, resolveRetryOptions, withRequestId, type RetryOptions, type RetrySafety } from './retry.js';

/** Options of {@link HttpTransport}. */
export interface HttpTransportOptions {
  /** `host:port`, `host` (port 7233) or an `http(s)://` URL. @default '127.0.0.1:7233' */
  address?: string;
  /** Use `https` for an address written without a scheme. @default false */
  tls?: boolean;
  /**
   * Sent as `Authorization: Bearer <apiKey>` on every request. A function is called for each
   * request, so a rotated key is picked up without reconnecting.
   */
  apiKey?: string | (() => string);
  /** Extra headers sent on every request (Temporal's connection `metadata`). */
  headers?: Readonly<Record<string, string>>;
  /** How transient failures are retried; see {@link RetryOptions} for the defaults. */
  retry?: Partial<RetryOptions>;
  /**
   * How long one attempt may take before it is abandoned (and retried, if the call allows).
   * Longer than the service's longest long poll (~20 s) plus Cloudflare's 30 s of grace, so that
   * only a connection that has silently died hits it. @default 70000
   */
  attemptTimeoutMs?: number;
  /**
   * The `fetch` to use, e.g. one bound to a custom dispatcher. By default Node's http module
   * (cheaper per request than Node's fetch), and `globalThis.fetch` outside Node.
   */
  fetch?: typeof globalThis.fetch;
  /** Waits between attempts; injected so that tests move time instead of waiting. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The source of back-off jitter, in [0, 1). @default Math.random */
  random?: () => number;
}

/** Per-call options of {@link HttpTransport.call}. */
export interface CallOptions {
  /** The namespace the endpoint's path is under (ignored by the endpoints outside namespaces: listing and registering them). */
  namespace: string;
  /** Values of the `{param}` segments of the endpoint's path, e.g. `{ workflowId }`. */
  params?: Readonly<Record<string, string>>;
  /** Aborting it abandons the call at once: the call rejects with the signal's reason, and is not retried. */
  signal?: AbortSignal;
  /** Extra headers for this call only. */
  headers?: Readonly<Record<string, string>>;
  /**
   * Overrides whether the call may be repeated after a failure that may have reached the service
   * (by default read off the endpoint: GETs, queries, polls and calls with a `requestId` may).
   */
  idempotent?: boolean;
  /**
   * `false`: one attempt, no retry — for callers that retry themselves, with their own back-off
   * and logging (the worker's poll loops, which report an outage once).
   */
  retry?: false;
  /**
   * A worker's exchange about a task: the task's `shardKey` (protocol 5). The worker's
   * `ShardExchanges` (sdk/worker/shard-exchanges.ts) sends those of one key that queue up together
   * in one `/tasks/batch` exchange; the transport itself ignores it.
   */
  shardKey?: string;
  /**
   * Another way to carry the call than HTTP: the worker's shard channels (protocol 7,
   * sdk/worker/shard-channels.ts). A {@link Connection} offers it the call with the connection's
   * scope applied and sends it over HTTP when the route declines; the transport itself ignores it.
   */
  route?: CallRoute;
}

/** Carries calls some other way than an HTTP exchange each (see {@link CallOptions.route}). */
export interface CallRoute {
  /**
   * The call's answer by this route, or `undefined` when it does not carry this call now (then it
   * goes over HTTP). `options` are the call's with the connection's deadline, abort signal and
   * metadata applied (`headers` set: the call has headers of its own).
   */
  carry<E extends EndpointName>(endpoint: E, request: RequestOf<E>, options: CallOptions): Promise<ResponseOf<E>> | undefined;
}

/** Milliseconds an attempt may take by default; see {@link HttpTransportOptions.attemptTimeoutMs}. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 70_000;

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/** Longest wait honoured from a `Retry-After` header. */
const MAX_RETRY_AFTER_MS = 60_000;

/** `cause.code`s of network errors that mean the request never reached the service. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Calls endpoints of Keel's HTTP API (the protocol's `Api` table). One instance serves any number
 * of concurrent calls and namespaces, and keeps connections alive between them.
 *
 * Retries: a network failure, a 503 (or a proxy's 502/504) and a 429 are tried again with capped
 * exponential back-off when repeating the call is harmless: GETs, queries, polls, heartbeats, and
 * every call whose request has a `requestId` field, which the transport fills with one
 * `crypto.randomUUID()` per call (not per attempt) unless the caller gave one. A call that is not
 * harmless to repeat is retried only when the request certainly never left (connection refused,
 * DNS failure) or was refused with 429. Other error answers are thrown at once.
 *
 * @example
 * const transport = new HttpTransport({ address: 'localhost:7233', apiKey: process.env.KEEL_API_KEY });
 * const { runId } = await transport.call(
 *   'startWorkflow',
 *   { workflowId: 'order-1', workflowType: 'order', taskQueue: 'orders' },
 *   { namespace: 'default' },
 * );
 */
export class HttpTransport {
  /** The path of the service's OpenAPI document, which answers without a namespace. */
  public static readonly OPENAPI_PATH = `${API_PREFIX}/openapi.json`;

  /** The URL every API path is appended to, e.g. `http://127.0.0.1:7233`. */
  public readonly baseUrl: string;
  public readonly retryOptions: Readonly<RetryOptions>;
  private apiKeyFn: (() => string) | undefined;
  private readonly staticHeaders: Readonly<Record<string, string>>;
  /**
   * The headers of a request without a body, and with a JSON one — with the API key when it is a
   * string — before the call's own. Frozen: the exchanges may keep what they derive from them.
   */
  private plainHeaders: Readonly<Record<string, string>> = {};
  private jsonHeaders: Readonly<Record<string, string>> = {};
  /** `Bearer <apiKey>` of an API key given as a string. */
  private staticAuthorization: string | undefined;
  private readonly attemptTimeoutMs: number;
  private readonly exchange: HttpExchange;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  /** Whether calls go through a `fetch` the caller gave (a proxy's or a custom CA's dispatcher), which a WebSocket would go around. */
  public readonly ownFetch: boolean;
  /** The attempts in flight and the waits between them, abandoned together by {@link close}. */
  private readonly inflight = new Set<Abandon | AbortController>();
  private closedError: ServiceError | undefined;
  private readonly namespaceUrls = new Map<string, string>();

  constructor(options: HttpTransportOptions = {}) {
    this.baseUrl = serviceBaseUrl(options.address ?? DEFAULT_ADDRESS, options.tls ?? false);
    this.retryOptions = resolveRetryOptions(options.retry);
    this.staticHeaders = { ...options.headers };
    if (options.apiKey !== undefined && Object.keys(this.staticHeaders).some((h) => h.toLowerCase() === 'authorization')) {
      // Temporal refuses the same ambiguity: which of the two credentials should win?
      throw new TypeError('Both the apiKey option and an Authorization header were given; use one');
    }
    this.setApiKey(options.apiKey);
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new TypeError('The fetch option must be a function');
    this.exchange = options.fetch ? fetchExchange(options.fetch) : defaultExchange();
    this.ownFetch = options.fetch !== undefined;
    this.sleep = options.sleep ?? abortableSleep;
    this.random = options.random ?? Math.random;
  }

  /** Replaces the API key used from the next request on; `undefined` removes it. */
  public setApiKey(apiKey: string | (() => string) | undefined): void {
    this.apiKeyFn = typeof apiKey === 'function' ? apiKey : undefined;
    this.staticAuthorization = typeof apiKey === 'string' && apiKey ? `Bearer ${apiKey}` : undefined;
    const authorization = this.staticAuthorization ? { authorization: this.staticAuthorization } : undefined;
    this.plainHeaders = Object.freeze({ accept: 'application/json', ...this.staticHeaders, ...authorization });
    this.jsonHeaders = Object.freeze({ ...this.plainHeaders, 'content-type': 'application/json' });
  }

  /** Whether {@link close} was called. */
  public get closed(): boolean {
    return this.closedError !== undefined;
  }

  /**
   * Calls one endpoint and returns its parsed answer.
   *
   * A POST sends `request` as its JSON body; a GET sends it as the query string (arrays as
   * repeated keys, booleans as `true`/`false`). The answer is not validated against the response
   * schema: the service produced it from the same table.
   *
   * @throws {KeelServiceError} when the service answered with an error (after retries, for a 503).
   * @throws {ServiceError} when no answer came (network failure after retries, or the transport
   * was closed).
   * @throws the signal's reason when `options.signal` aborts.
   */
  public async call<E extends EndpointName>(endpoint: E, request: RequestOf<E>, options: CallOptions): Promise<ResponseOf<E>> {
    const e: Endpoint = Api[endpoint];
    const safety = callSafety(endpoint, options.idempotent);
    // Once per logical call: every attempt carries the same id.
    const payload = withRequestId((request ?? {}) as Record<string, unknown>, safety);
    const url = (e.scope === 'service' ? this.baseUrl + API_PREFIX : this.namespaceUrl(options.namespace)) + fillPath(e.path, options.params ?? NO_PARAMS);
    if (e.method === 'GET') {
      const query = toQueryString(payload);
      return (await this.send('GET', url + (query ? `?${query}` : ''), undefined, safety, options)) as ResponseOf<E>;
    }
    return (await this.send('POST', url, JSON.stringify(payload), safety, options)) as ResponseOf<E>;
  }

  /** The URL of a namespace's endpoints, e.g. `http://127.0.0.1:7233/api/v1/namespaces/default`; the last few kept. */
  private namespaceUrl(namespace: string): string {
    let url = this.namespaceUrls.get(namespace);
    if (url === undefined) {
      url = this.baseUrl + namespacePath(namespace);
      if (this.namespaceUrls.size >= 16) this.namespaceUrls.clear();
      this.namespaceUrls.set(namespace, url);
    }
    return url;
  }

  /**
   * GETs a JSON document by its path from the base URL, outside any namespace (e.g.
   * `/api/v1/openapi.json`); retried like any GET.
   */
  public async getJson(path: string, options: { signal?: AbortSignal; headers?: Readonly<Record<string, string>> } = {}): Promise<unknown> {
    return this.send('GET', this.baseUrl + (path.startsWith('/') ? path : `/${path}`), undefined, 'safe', options);
  }

  /**
   * Abandons every call in flight (they reject with a `ServiceError`), refuses new ones and drops
   * the pooled connections.
   */
  public close(): void {
    if (this.closedError) return;
    this.closedError = new ServiceError(`The connection to ${this.baseUrl} was closed`);
    for (const attempt of this.inflight) (attempt instanceof Abandon ? attempt.abandon(this.closedError) : attempt.abort(this.closedError));
    this.inflight.clear();
    this.exchange.close();
  }

  private async send(
    method: 'GET' | 'POST',
    url: string,
    body: string | undefined,
    safety: RetrySafety,
    options: { signal?: AbortSignal; headers?: Readonly<Record<string, string>>; retry?: false },
  ): Promise<unknown> {
    const maxAttempts = options.retry === false ? 1 : this.retryOptions.maxAttempts;
    const callerSignal = options.signal;
    for (let attempt = 1; ; attempt++) {
      if (this.closedError) throw this.closedError;
      callerSignal?.throwIfAborted();

      const abandon = new Abandon();
      const unlink = linkAbort((reason) => abandon.abandon(reason), callerSignal, this.attemptTimeoutMs);
      this.inflight.add(abandon);
      let response: HttpAnswer | undefined;
      let networkError: unknown;
      try {
        response = await this.exchange.send({ method, url, headers: this.headersFor(body !== undefined, options.headers), body, abandon });
      } catch (err) {
        networkError = err;
      } finally {
        unlink();
        this.inflight.delete(abandon);
      }

      let delayMs: number;
      if (networkError !== undefined || response === undefined) {
        if (callerSignal?.aborted) throw callerSignal.reason;
        if (this.closedError) throw this.closedError;
        const notSent = NOT_SENT_CODES.has(errorCode(networkError) ?? '');
        if (attempt >= maxAttempts || (safety === 'unsafe' && !notSent)) {
          throw new ServiceError(`${method} ${url} failed: ${describeNetworkError(networkError)}`, { cause: networkError });
        }
        delayMs = backoffDelayMs(attempt, this.retryOptions, this.random);
      } else if (response.status >= 200 && response.status < 300) {
        return parseJsonAnswer(response.text, method, url);
      } else {
        const error = toKeelServiceError(response.status, response.text);
        // 429 means the service refused without acting, so any call may be repeated; a 503 or a
        // proxy's 502/504 may come after the request was acted on, so only a harmless one is.
        const transient = response.status === 429 || response.status === 503 || error.code === 'UNAVAILABLE';
        const allowed = response.status === 429 || safety !== 'unsafe';
        if (!transient || !allowed || attempt >= maxAttempts) throw error;
        delayMs = retryAfterMs(response.header('retry-after')) ?? backoffDelayMs(attempt, this.retryOptions, this.random);
      }

      const waiter = new AbortController();
      const unlinkWait = linkAbort((reason) => waiter.abort(reason), callerSignal);
      this.inflight.add(waiter);
      try {
        await this.sleep(delayMs, waiter.signal);
      } finally {
        unlinkWait();
        this.inflight.delete(waiter);
      }
    }
  }

  /**
   * The headers every request carries — the connection's metadata and the API key (its function
   * called now) — for a request made outside this transport: a shard channel's upgrade.
   */
  public headers(): Record<string, string> {
    return { ...this.headersFor(false, undefined) };
  }

  /**
   * A request's headers. Without an API key function or headers of the call's own it is one of two
   * frozen objects made once: a fresh object per request was measurable in a client's CPU per call.
   */
  private headersFor(hasBody: boolean, extra: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> {
    const apiKey = this.apiKeyFn?.();
    if (!apiKey && extra === undefined) return hasBody ? this.jsonHeaders : this.plainHeaders;
    // The body's content type and the API key win over the call's headers.
    const headers: Record<string, string> = { ...this.plainHeaders, ...extra };
    if (hasBody) headers['content-type'] = 'application/json';
    const authorization = apiKey ? `Bearer ${apiKey}` : this.staticAuthorization;
    if (authorization) headers.authorization = authorization;
    return headers;
  }
}

/** Replaces each `{name}` segment of an endpoint path with its encoded value. */
export function fillPath(path: string, params: Readonly<Record<string, string>>): string {
  if (!path.includes('{')) return path;
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new TypeError(`Missing path parameter '${name}' for ${path}`);
    return encodeURIComponent(value);
  });
}

/**
 * Encodes a GET request as a query string: `undefined`/`null` fields are left out, arrays become
 * repeated keys, objects JSON, everything else its string form.
 */
export function toQueryString(request: Readonly<Record<string, unknown>>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(request)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined || item === null) continue;
      query.append(key, typeof item === 'object' ? JSON.stringify(item) : String(item));
    }
  }
  return query.toString();
}

/**
 * The error a non-2xx answer stands for: Keel's `{ error: { code, message, details } }` when the
 * body is one, else `UNAVAILABLE` (502/503/504) or `UNKNOWN` with the start of the body.
 */
export function toKeelServiceError(status: number, text: string): KeelServiceError {
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: unknown } | undefined)?.error as { code?: unknown; message?: unknown; details?: unknown } | undefined;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    const details = typeof error.details === 'object' && error.details !== null ? (error.details as Record<string, unknown>) : undefined;
    return new KeelServiceError(error.code as KeelServiceError['code'], status, error.message, details);
  }
  const code = status === 502 || status === 503 || status === 504 ? 'UNAVAILABLE' : 'UNKNOWN';
  const snippet = text.trim().slice(0, 200);
  return new KeelServiceError(code, status, `The service answered HTTP ${status}${snippet ? `: ${snippet}` : ''}`);
}

function parseJsonAnswer(text: string, method: string, url: string): unknown {
  // An empty 200 is an empty object: long polls answer so when nothing came. (Only a text that
  // starts with white space is trimmed: a JSON answer never does.)
  if (text === '' || (text.charCodeAt(0) <= 0x20 && text.trim() === '')) return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ServiceError(`${method} ${url} answered with a body that is not JSON: ${text.slice(0, 200)}`, { cause: err });
  }
}

/** The wait a `Retry-After` header asks for (seconds or an HTTP date), capped; `undefined` when absent or unreadable. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS) : undefined;
}

/** The `code` of a network error's cause (undici wraps the socket error), e.g. 'ECONNREFUSED'. */
function errorCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = cause?.code ?? (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { message?: unknown } } | undefined)?.cause;
  const message = typeof cause?.message === 'string' ? cause.message : (err as Error | undefined)?.message;
  return [message, errorCode(err)].filter(Boolean).join(' ') || String(err);
}

/**
 * Calls `abort` when `signal` aborts or after `timeoutMs`; returns the function that undoes the
 * link. Listeners are removed after each attempt, so a long-lived caller signal does not collect
 * one per call.
 */
function linkAbort(abort: (reason: unknown) => void, signal: AbortSignal | undefined, timeoutMs?: number): () => void {
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => abort(new DOMException(`No answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  // Most calls have no signal: then only the timer is linked (one closure less per attempt).
  if (signal === undefined) return timer === undefined ? noop : () => clearTimeout(timer);
  const onAbort = () => abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return () => {
    signal.removeEventListener('abort', onAbort);
    if (timer !== undefined) clearTimeout(timer);
  };
}

function noop(): void {}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
