// The one HTTP client of the peers' drivers (Restate's ingress, the Cloudflare Workflows
// Worker, the floor Worker): node:http with a keep-alive agent, as Keel's own SDK transport
// is, so that no engine is measured through a slower client than another.
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 256 });


export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    url: string,
  ) {
    super(`HTTP ${status} from ${url}: ${body.slice(0, 300)}`);
  }
}

/** Sends `body` (JSON) to `url` and returns the parsed JSON answer; throws on a non-2xx status. */
export function postJson<T>(url: string, body: unknown, method = 'POST'): Promise<T> {
  return exchange<T>(url, body, method).catch((err: Error & { reusedSocket?: boolean; code?: string }) => {
    // workerd closes a kept-alive connection now and then (seen with 50 requests in flight);
    // a request sent on it in that moment fails without having been read. Node's documented
    // remedy: send it again, on a new connection. (Keel's SDK transport retries too.) Counted
    // in `resets`, which the driver reports.
    if (err.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
      resets++;
      return exchange<T>(url, body, method, false);
    }
    throw err;
  });
}

/** Requests sent again after a kept-alive connection was reset under them. */
export let resets = 0;

function exchange<T>(url: string, body: unknown, method: string, pooled = true): Promise<T> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<T>((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: pooled ? agent : false,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 300) reject(new HttpError(res.statusCode ?? 0, text, url));
          else {
            try {
              resolve((text ? JSON.parse(text) : undefined) as T);
            } catch (err) {
              reject(err);
            }
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', (err) => reject(Object.assign(err, { reusedSocket: req.reusedSocket })));
    req.end(payload);
  });
}

export const getJson = <T>(url: string) => postJson<T>(url, undefined, 'GET');

export function closeHttp(): void {
  agent.destroy();
}

/** Waits until `fn` stops throwing, for at most `ms`. */
export async function until<T>(fn: () => Promise<T>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (process.env.PEERS_DEBUG) console.error(`${what}: ${(err as Error).message}`);
      if (Date.now() > deadline) throw new Error(`${what} not ready after ${ms} ms: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
