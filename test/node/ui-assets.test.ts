// The web UI under a local service (keel dev, keel/testing): the Worker in front hands non-API GETs
// to the UI worker over workerd's disk service (sdk/testing/ui-assets.ts), which gives each file its
// content type and UI routes the page, as wrangler.toml's [assets] does on Cloudflare.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService, type LocalService } from '../../sdk/testing/local-service.js';

let service: LocalService;
beforeAll(async () => {
  service = await startLocalService();
});
afterAll(async () => {
  await service?.stop();
});

const get = (path: string, init?: RequestInit) => fetch(service.url + path, init);

describe('the web UI under a local service', () => {
  it('serves the page, its script and style sheet with their content types and the security headers', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('<div id="app">');
    const js = /<script type="module" src="([^"]+)"/.exec(html)![1]!;
    const css = /<link rel="stylesheet" href="([^"]+)"/.exec(html)![1]!;
    const script = await get(js);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await script.text()).length).toBeGreaterThan(1000);
    expect((await get(css)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    const head = await get('/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('answers UI routes with the page, and files that are not there, dot files and _headers with 404', async () => {
    for (const path of ['/namespaces/default/workflows', '/namespaces/ns%201/workflows/order-42/run-1?tab=json', '/assets/']) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toContain('<div id="app">');
    }
    for (const path of ['/assets/app-missing.js', '/_headers', '/.env', '/assets/.hidden.js']) expect((await get(path)).status, path).toBe(404);
  });

  it('keeps /api/* for the Worker', async () => {
    expect(await (await get('/api/v1/health')).json()).toEqual({ ok: true });
    const missing = await get('/api/v1/no-such-endpoint');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/json/);
  });
});
