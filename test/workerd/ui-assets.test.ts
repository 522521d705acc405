// The web UI is served by the service itself: wrangler.toml's [assets] answers every path but
// /api/*, UI routes fall back to index.html, and the API never answers with HTML.
import { SELF } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { testEnv } from './helpers.js';

const worker = (exports as unknown as { default: Fetcher }).default;

describe('web UI assets', () => {
  it('serves the UI at the root and its scripts and styles', async () => {
    const res = await SELF.fetch('http://keel.test/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('<div id="app">');
    const js = /<script type="module" src="([^"]+)"/.exec(html)?.[1];
    const css = /<link rel="stylesheet" href="([^"]+)"/.exec(html)?.[1];
    expect(js).toMatch(/^\/assets\/app-\w+\.js$/);
    const script = await SELF.fetch(`http://keel.test${js}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect((await script.text()).length).toBeGreaterThan(1000);
    const style = await SELF.fetch(`http://keel.test${css}`);
    expect(style.headers.get('content-type')).toMatch(/text\/css/);
  });

  it('answers UI routes (shareable links) with the page, which routes them in the browser', async () => {
    for (const path of ['/namespaces/default/workflows', '/namespaces/ns%201/workflows/order-42/run-1?tab=json']) {
      const res = await SELF.fetch(`http://keel.test${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toContain('<div id="app">');
    }
  });

  it('keeps /api/* for the Worker: unknown API paths are JSON errors, never the page', async () => {
    const health = await SELF.fetch('http://keel.test/api/v1/health');
    expect(await health.json()).toEqual({ ok: true });
    const missing = await SELF.fetch('http://keel.test/api/v1/no-such-endpoint');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('serves the UI through the router when the Worker runs first (as in keel dev)', async () => {
    expect(testEnv.ASSETS).toBeDefined();
    const res = await worker.fetch('http://keel.test/namespaces/default/workflows');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="app">');
    const post = await worker.fetch('http://keel.test/namespaces/default/workflows', { method: 'POST' });
    expect(post.status).toBe(404);
  });
});
