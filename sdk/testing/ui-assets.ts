/**
 * Serves the web UI's static assets (dist/ui) next to the Keel Worker in miniflare, as
 * `[assets]` in wrangler.toml does on Cloudflare, but with the Worker in front: the Worker's
 * router hands every non-API GET to its `ASSETS` binding, which is a second, assets-only worker
 * (miniflare's asset server, with the single-page fallback). Putting miniflare's asset router
 * in front of the Worker instead would add ~0.2 ms to every API call, which the engine's
 * latency targets cannot spare; this way API calls never touch the asset machinery.
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
 * so it is the entry) with an `ASSETS` service binding, and the assets-only UI worker. Without a
 * UI directory the options are returned as they were.
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
        // Never reached: with no user worker, the asset server answers everything itself.
        script: 'export default { fetch: () => new Response(null, { status: 404 }) };',
        compatibilityDate: keel.compatibilityDate ?? '2026-04-01',
        assets: { directory: uiDir, routerConfig: { has_user_worker: false }, assetConfig: { not_found_handling: 'single-page-application' } },
      },
    ],
  } as MiniflareOptions;
}
