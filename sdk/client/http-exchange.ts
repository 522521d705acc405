// Owns sending one HTTP request and reading its whole answer. In Node it goes through node:http(s)
// with a keep-alive agent: per exchange that costs under half the CPU of Node's fetch (undici with
// web streams; bench/RESULTS.md), and a worker makes several exchanges per task. Elsewhere (a
// Cloudflare Worker, a browser), or when the caller passes its own `fetch`, it goes through fetch.
import type { Agent as HttpAgent, IncomingMessage, RequestOptions } from 'node:http';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal: AbortSignal;
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
    async send({ method, url, headers, body, signal }) {
      const response = await fetchImpl(url, { method, headers, ...(body !== undefined ? { body } : {}), signal });
      // Read inside the caller's try: a connection that drops mid-body is a network failure too.
      const text = await response.text();
      return { status: response.status, text, header: (name) => response.headers.get(name) };
    },
    close() {},
  };
}

type NodeHttp = typeof import('node:http');

/** Exchanges through node:http / node:https, keeping connections alive between exchanges. */
export function nodeExchange(): HttpExchange {
  let modules: Promise<{ http: NodeHttp; https: NodeHttp; agents: { 'http:': HttpAgent; 'https:': HttpAgent } }> | undefined;
  const load = () =>
    (modules ??= Promise.all([import('node:http'), import('node:https')]).then(([http, https]) => ({
      http,
      https: https as unknown as NodeHttp,
      // Idle pooled sockets are unref'd by the agent, so they never keep a process alive.
      agents: { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) },
    })));
  return {
    async send({ method, url, headers, body, signal }) {
      signal.throwIfAborted();
      const { http, https, agents } = await load();
      const target = new URL(url);
      const lib = target.protocol === 'https:' ? https : http;
      const agent = agents[target.protocol as 'http:' | 'https:'];
      if (!agent) throw new TypeError(`Unsupported protocol in ${url}`);
      const options: RequestOptions = {
        method,
        agent,
        headers: body !== undefined ? { ...headers, 'content-length': String(Buffer.byteLength(body)) } : headers,
      };
      return await new Promise<HttpAnswer>((resolve, reject) => {
        const req = lib.request(target, options, (res: IncomingMessage) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            signal.removeEventListener('abort', onAbort);
            resolve({ status: res.statusCode ?? 0, text, header: (name) => headerValue(res.headers[name.toLowerCase()]) });
          });
          res.on('error', fail);
          res.on('aborted', () => fail(Object.assign(new Error('The connection closed before the answer was complete'), { code: 'ECONNRESET' })));
        });
        function fail(err: unknown) {
          signal.removeEventListener('abort', onAbort);
          reject(signal.aborted ? signal.reason : err);
        }
        function onAbort() {
          req.destroy(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
        }
        signal.addEventListener('abort', onAbort, { once: true });
        req.on('error', fail);
        req.end(body);
      });
    },
    close() {
      void modules?.then(({ agents }) => {
        agents['http:'].destroy();
        agents['https:'].destroy();
      });
    },
  };
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
