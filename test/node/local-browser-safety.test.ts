// What a web page can do to a local service (issue 12): nothing. A page on another site cannot
// send JSON without a preflight (refused), its Origin is refused, and a name it points at
// 127.0.0.1 (DNS rebinding) is refused by Host; the UI is served with a strict CSP.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService, type LocalService } from 'keel/testing';

let service: LocalService;
beforeAll(async () => {
  service = await startLocalService();
});
afterAll(async () => {
  await service?.stop();
});

/** A raw request, so that Host and Origin are exactly what a browser under attack would send. */
function request(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const url = new URL(path, service.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const start = (workflowId: string) => JSON.stringify({ workflowId, workflowType: 't', taskQueue: 'q' });
const exists = async (workflowId: string) => (await fetch(`${service.url}/api/v1/namespaces/default/workflows/${workflowId}`)).status === 200;

describe('a local service and web pages', () => {
  it('refuses a request whose Host is not a name it serves (DNS rebinding)', async () => {
    const res = await request('POST', '/api/v1/namespaces/default/workflows', { host: `evil.example:${new URL(service.url).port}`, 'content-type': 'application/json' }, start('rebound'));
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/answers only requests for localhost/);
    expect((await request('GET', '/', { host: 'evil.example' })).status).toBe(403);
    expect(await exists('rebound')).toBe(false);
  });

  it("refuses another site's requests by their Origin, and cross-site forms by their content type", async () => {
    const host = new URL(service.url).host;
    const cross = await request('POST', '/api/v1/namespaces/default/workflows', { host, origin: 'https://evil.example', 'content-type': 'application/json' }, start('cross-site'));
    expect(cross.status).toBe(403);
    const form = await request('POST', '/api/v1/namespaces/default/workflows', { host, 'content-type': 'text/plain' }, start('form'));
    expect(form.status).toBe(415);
    // The preflight a browser needs before a cross-site JSON POST gets no CORS permission.
    const preflight = await request('OPTIONS', '/api/v1/namespaces/default/workflows', { host, origin: 'https://evil.example', 'access-control-request-method': 'POST' });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(await exists('cross-site')).toBe(false);
    expect(await exists('form')).toBe(false);
    // The service's own pages (same origin) and clients without an Origin are served.
    expect((await request('POST', '/api/v1/namespaces/default/workflows', { host, origin: `http://${host}`, 'content-type': 'application/json' }, start('same-origin'))).status).toBe(200);
    expect((await request('GET', '/api/v1/namespaces/default/workflows/same-origin', { host: `localhost:${new URL(service.url).port}` })).status).toBe(200);
  });

  it('serves the UI with a strict CSP, no framing, nosniff and no referrer', async () => {
    const res = await request('GET', '/', { host: new URL(service.url).host });
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self';.*frame-ancestors 'none'/);
    expect(res.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });
});
