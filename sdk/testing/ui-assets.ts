/**
 * Serves the web UI's static assets (dist/ui) next to the Keel Worker in miniflare, as `[assets]`
 * in wrangler.toml does on Cloudflare, but with the Worker in front: the Worker's router hands
 * every non-API GET to its `ASSETS` binding, a second worker, so API calls never touch the asset
 * machinery. That worker is a few lines over workerd's own disk service (the files as they are
 * on disk), not miniflare's asset server: that one's two workers are ~880 KB of JavaScript that
 * every start serialised into workerd's config and compiled, about a sixth of `keel dev`'s start.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { MiniflareOptions, WorkerOptions } from 'miniflare';
import { miniflare } from './miniflare.js';

const UI_WORKER = 'keel-ui';

/** dist/ui beside the Worker bundle (dist/worker/index.js), if it was built. */
export function defaultUiAssets(scriptPath: string): string | undefined {
  const dir = path.join(path.dirname(path.dirname(scriptPath)), 'ui');
  return existsSync(path.join(dir, 'index.html')) ? dir : undefined;
}

/**
 * The UI worker: a file by its path, with its content type (the disk service sends every file as
 * application/octet-stream), and the page itself for every path that names no file (the UI's own
 * routes, as the single-page fallback of `[assets]`). Dot files, `_headers` and directory listings
 * are never served. The security headers are the Keel Worker's to add (router.ts).
 */
const UI_SCRIPT = `
const TYPES = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', map: 'application/json', json: 'application/json', svg: 'image/svg+xml', png: 'image/png', ico: 'image/x-icon', txt: 'text/plain; charset=utf-8', woff2: 'font/woff2' };
export default {
  async fetch(request, env) {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405 });
    const { pathname } = new URL(request.url);
    const name = pathname.slice(pathname.lastIndexOf('/') + 1);
    const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : '';
    if (/(^|\\/)[._]/.test(pathname)) return new Response('Not found', { status: 404 });
    const file = ext in TYPES ? pathname : '/index.html';
    const res = await env.FILES.fetch(new URL(file, request.url), { method: request.method });
    if (!res.ok) return new Response('Not found', { status: 404 });
    const headers = new Headers({ 'content-type': TYPES[file.slice(file.lastIndexOf('.') + 1)] });
    for (const h of ['content-length', 'last-modified']) if (res.headers.has(h)) headers.set(h, res.headers.get(h));
    return new Response(res.body, { status: 200, headers });
  },
};
`;

/** Option names miniflare takes once for all workers (host, port, persistence, logging…). */
const SHARED_KEYS: ReadonlySet<string> = new Set(
  Object.values(miniflare.PLUGINS).flatMap((p) => {
    // Each plugin's shared options are a zod object, sometimes wrapped in an effect.
    let s = (p as { sharedOptions?: unknown }).sharedOptions as { shape?: object; _def?: { schema?: unknown } } | undefined;
    while (s && !s.shape && s._def?.schema) s = s._def.schema as typeof s;
    return s?.shape ? Object.keys(s.shape) : [];
  }),
);

/**
 * Turns single-worker miniflare options into two workers: the Keel Worker (named `keel`, first,
 * so it is the entry) with an `ASSETS` service binding, and the UI worker over the directory.
 * Without a UI directory the options are returned as they were.
 */
export function withUiAssets(options: MiniflareOptions, uiDir: string | undefined): MiniflareOptions {
  if (!uiDir) return options;
  const shared: Record<string, unknown> = {};
  const worker: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) (SHARED_KEYS.has(k) ? shared : worker)[k] = v;
  const keel = worker as WorkerOptions;
  const serviceBindings = typeof keel.serviceBindings === 'object' && !Array.isArray(keel.serviceBindings) ? keel.serviceBindings : {};
  return {
    ...shared,
    workers: [
      { ...keel, name: keel.name ?? 'keel', serviceBindings: { ...serviceBindings, ASSETS: UI_WORKER } },
      {
        name: UI_WORKER,
        modules: true,
        script: UI_SCRIPT,
        compatibilityDate: keel.compatibilityDate ?? '2026-04-01',
        serviceBindings: { FILES: { disk: { path: path.resolve(uiDir), writable: false } } },
      },
    ],
  } as MiniflareOptions;
}
