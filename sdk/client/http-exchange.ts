// Owns sending one HTTP request and reading its whole answer. In Node it goes through node:http(s)
// with a keep-alive agent: per exchange that costs under half the CPU of Node's fetch (undici with
// web streams; bench/RESULTS.md), and a worker makes several exchanges per task. Elsewhere (a
// Cloudflare Worker, a browser), or when the caller passes its own `fetch`, it goes through fetch.
import type { Agent as HttpAgent, IncomingMessage, RequestOptions } from 'node:http';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  /** Read, never changed. A frozen one is one the transport hands to many requests (see `nodeExchange`). */
  headers: Readonly<Record<string, string>>;
  body?: string | undefined;
  abandon: Abandon;
}

/**
 * How the caller abandons one exchange in flight (its timeout, its caller's signal, the transport
 * closing). An AbortController per exchange, with its listener added and removed, cost about 9 µs
 * of Node's EventTarget; a worker makes four exchanges per one-activity workflow.
 */
export class Abandon {
  abandoned = false;
  reason: unknown;
  private listener: ((reason: unknown) => void) | undefined;

  /** Abandons the exchange, once: it rejects with `reason`. */
  abandon(reason: unknown): void {
    if (this.abandoned) return;
    this.abandoned = true;
    this.reason = reason;
    const listener = this.listener;
    this.listener = undefined;
    listener?.(reason);
  }

  /** The exchange's one listener; `undefined` removes it. */
  onAbandon(listener: ((reason: unknown) => void) | undefined): void {
    this.listener = listener;
  }
}

/** A whole answer: its status, its body as text, and its headers by lower-case name. */
export interface HttpAnswer {
  status: number;
  text: string;
  header(name: string): string | null;
}

export interface HttpExchange {
  /** Rejects with the signal's reason when it aborts, or with the network error (its `code`, e.g. ECONNREFUSED). */
  send(request: HttpRequest): Promise<HttpAnswer>;
  /** Drops pooled connections. */
  close(): void;
}

/** Exchanges through a `fetch`. */
export function fetchExchange(fetchImpl: typeof globalThis.fetch): HttpExchange {
  return {
    async send({ method, url, headers, body, abandon }) {
      if (abandon.abandoned) throw abandon.reason;
      const controller = new AbortController();
      abandon.onAbandon((reason) => controller.abort(reason));
      const response = await fetchImpl(url, { method, headers, ...(body !== undefined ? { body } : {}), signal: controller.signal });
      // Read inside the caller's try: a connection that drops mid-body is a network failure too.
      const text = await response.text();
      return { status: response.status, text, header: (name) => response.headers.get(name) };
    },
    close() {},
  };
}

type NodeHttp = typeof import('node:http');

/** Where an origin's requests go: its module, agent and the request options naming it. */
interface Target {
  lib: NodeHttp;
  agent: HttpAgent;
  protocol: string;
  hostname: string;
  /** `undefined` for the protocol's default port. */
  port: string | undefined;
  /** The Host header: host and port as the URL has them (brackets around IPv6, no default port). */
  host: string;
  /** Each frozen headers object the transport sent here, as the raw list node:http takes (see `send`). */
  rawHeaders: WeakMap<Readonly<Record<string, string>>, string[]>;
}

/** Exchanges through node:http / node:https, keeping connections alive between exchanges. */
export function nodeExchange(): HttpExchange {
  type Modules = { http: NodeHttp; https: NodeHttp; agents: { 'http:': HttpAgent; 'https:': HttpAgent } };
  let modules: Modules | undefined;
  let loading: Promise<Modules> | undefined;
  const load = () =>
    (loading ??= Promise.all([import('node:http'), import('node:https')]).then(([http, https]) => (modules = {
      http,
      https: https as unknown as NodeHttp,
      // Idle pooled sockets are unref'd by the agent, so they never keep a process alive.
      agents: { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) },
    })));
  // Each origin parsed once: a URL object and Node's conversion of it to options, per exchange, were
  // a measurable part of the worker's few exchanges per task.
  const targets = new Map<string, Target>();
  const targetOf = (m: Modules, url: string): { target: Target; path: string } => {
    const slash = url.indexOf('/', url.indexOf('//') + 2);
    const origin = slash < 0 ? url : url.slice(0, slash);
    let target = targets.get(origin);
    if (!target) {
      const u = new URL(origin);
      if (u.username || u.password || `${u.protocol}//${u.host}` !== origin) throw new TypeError(`Unsupported address in ${url}`);
      const agent = m.agents[u.protocol as 'http:' | 'https:'];
      if (!agent) throw new TypeError(`Unsupported protocol in ${url}`);
      // node:http wants an IPv6 host without its brackets.
      const hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
      targets.set(origin, (target = { lib: u.protocol === 'https:' ? m.https : m.http, agent, protocol: u.protocol, hostname, port: u.port || undefined, host: u.host, rawHeaders: new WeakMap() }));
    }
    return { target, path: slash < 0 ? '/' : url.slice(slash) };
  };
  const exchange: HttpExchange = {
    send(request) {
      if (request.abandon.abandoned) return Promise.reject(request.abandon.reason);
      // Not an async function: one promise per exchange, not two (after the first, modules are loaded).
      if (!modules) return load().then(() => exchange.send(request));
      const { method, url, headers, body, abandon } = request;
      const { target, path } = targetOf(modules, url);
      // The headers as a raw list, which node:http writes as given (still validated) instead of
      // setting them one by one: so it neither adds Host (unless the headers have one) nor works
      // out Content-Length, and both are added here. The list of a frozen headers object (the
      // transport reuses a few) is made once per origin; of any other, per request.
      const frozen = Object.isFrozen(headers);
      let raw = frozen ? target.rawHeaders.get(headers) : undefined;
      if (raw === undefined) {
        raw = rawHeaderList(headers, target.host);
        if (frozen) target.rawHeaders.set(headers, raw);
      }
      if (body !== undefined) (raw = frozen ? raw.slice() : raw).push('Content-Length', String(Buffer.byteLength(body)));
      const options: RequestOptions = { protocol: target.protocol, hostname: target.hostname, port: target.port, path, method, agent: target.agent, headers: raw as unknown as RequestOptions['headers'] };
      return new Promise<HttpAnswer>((resolve, reject) => {
        const req = target.lib.request(options, (res: IncomingMessage) => {
          // Bytes kept and decoded once at the end: a UTF-8 decoder per answer cost more than
          // the one or two chunks an answer comes in.
          let first: Buffer | undefined;
          let more: Buffer[] | undefined;
          res.on('data', (chunk: Buffer) => {
            if (first === undefined) first = chunk;
            else (more ??= [first]).push(chunk);
          });
          res.on('end', () => {
            abandon.onAbandon(undefined);
            const text = more !== undefined ? Buffer.concat(more).toString('utf8') : first !== undefined ? first.toString('utf8') : '';
            resolve({ status: res.statusCode ?? 0, text, header: (name) => headerValue(res.headers[name.toLowerCase()]) });
          });
          res.on('error', fail);
          res.on('aborted', () => fail(Object.assign(new Error('The connection closed before the answer was complete'), { code: 'ECONNRESET' })));
        });
        function fail(err: unknown) {
          abandon.onAbandon(undefined);
          reject(abandon.abandoned ? abandon.reason : err);
        }
        abandon.onAbandon((reason) => req.destroy(reason instanceof Error ? reason : new Error(String(reason))));
        req.on('error', fail);
        req.end(body);
      });
    },
    close() {
      void loading?.then(({ agents }) => {
        agents['http:'].destroy();
        agents['https:'].destroy();
      });
    },
  };
  return exchange;
}

/** `headers` as a flat name, value, … list, with `Host: host` first unless they have a Host header. */
function rawHeaderList(headers: Readonly<Record<string, string>>, host: string): string[] {
  const raw: string[] = [];
  let hasHost = false;
  for (const name of Object.keys(headers)) {
    raw.push(name, headers[name]!);
    hasHost ||= name.toLowerCase() === 'host';
  }
  if (!hasHost) raw.unshift('Host', host);
  return raw;
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** node:http in Node (and runtimes that provide it as Node does), fetch anywhere else. */
export function defaultExchange(): HttpExchange {
  const inNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  const inWorkers = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === 'Cloudflare-Workers';
  if (inNode && !inWorkers) return nodeExchange();
  if (typeof globalThis.fetch !== 'function') throw new TypeError('No fetch available: pass the fetch option');
  return fetchExchange(globalThis.fetch);
}
