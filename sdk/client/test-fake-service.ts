// Test-only: a tiny `node:http` server standing in for the Keel service in the client's unit
// tests. It records every request and answers from canned replies per route; not exported.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

/** One request as the fake service saw it. */
export interface RecordedRequest {
  method: string;
  /** The path without the query string, decoded as received (still percent-encoded). */
  path: string;
  /** The query string's parameters. */
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body; `undefined` for none. */
  body: unknown;
}

/** How to answer a request: JSON (or `raw` text) with a status, or drop the connection without answering. */
export type Reply =
  | { status?: number; body?: unknown; raw?: string; headers?: Record<string, string>; delayMs?: number }
  | { drop: true };

type Responder = Reply | ((request: RecordedRequest) => Reply);

interface Route {
  method: string;
  path: string | RegExp;
  replies: Responder[];
  /** How many requests this route has answered. */
  count: number;
}

/**
 * The fake service. `route()` adds canned replies for a method and path (a full path or a regex
 * over it); they are used in order, and the last one repeats. Unrouted requests get a 404 with
 * ROUTE_NOT_FOUND.
 */
export class FakeService {
  public readonly requests: RecordedRequest[] = [];
  private readonly routes: Route[] = [];

  private constructor(
    private readonly server: Server,
    /** `127.0.0.1:<port>`, as a client address. */
    public readonly address: string,
  ) {}

  /** Starts a server on a free port of 127.0.0.1. */
  public static async start(): Promise<FakeService> {
    let service: FakeService | undefined;
    const server = createServer((req, res) => {
      void service!.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    service = new FakeService(server, `127.0.0.1:${port}`);
    return service;
  }

  /** The base URL, `http://127.0.0.1:<port>`. */
  public get url(): string {
    return `http://${this.address}`;
  }

  /** Adds replies for `method` and `path`; see the class comment. */
  public route(method: string, path: string | RegExp, ...replies: Responder[]): this {
    this.routes.push({ method, path, replies, count: 0 });
    return this;
  }

  /**
   * Handles the requests that ask for a protocol upgrade (a worker's shard channel), instead of
   * Node's default of dropping them.
   */
  public onUpgrade(listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): this {
    this.server.on('upgrade', listener);
    return this;
  }

  /** The requests made to a path (exact or matching), in order. */
  public requestsTo(path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => matches(path, r.path));
  }

  public async close(): Promise<void> {
    // fetch keeps connections alive; close them or `close()` waits for their idle timeout.
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: text === '' ? undefined : JSON.parse(text),
    };
    this.requests.push(recorded);

    const route = this.routes.find((r) => r.method === recorded.method && matches(r.path, recorded.path));
    let reply: Reply;
    if (route === undefined) {
      reply = { status: 404, body: { error: { code: 'ROUTE_NOT_FOUND', message: `No route for ${recorded.method} ${recorded.path}` } } };
    } else {
      const responder = route.replies[Math.min(route.count, route.replies.length - 1)]!;
      route.count++;
      reply = typeof responder === 'function' ? responder(recorded) : responder;
    }
    if ('drop' in reply) {
      req.socket.destroy();
      return;
    }
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    const body = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    res.end(body);
  }
}

function matches(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string' ? pattern === path : pattern.test(path);
}
