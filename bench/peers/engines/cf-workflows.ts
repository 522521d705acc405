// Cloudflare Workflows in workerd, through miniflare (as `wrangler dev` runs it), with its
// state on disk: the Worker of cf-workflows.worker.js. The driver posts to that Worker, which
// creates the instance and answers with its output.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Miniflare } from 'miniflare';
import type { EngineFactory, SleepResult } from '../engine';
import { postJson } from '../http';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** Starts a Worker in workerd through miniflare, state under `stateDir`; returns its base URL. */
export async function startMiniflare(options: Record<string, unknown>, stateDir: string): Promise<{ url: string; mf: Miniflare }> {
  const { Miniflare, Log } = require('miniflare') as typeof import('miniflare');
  const mf = new Miniflare({
    compatibilityDate: '2026-04-01',
    cf: false,
    host: '127.0.0.1',
    port: 0,
    // Straight to workerd's socket, as Keel's local service is reached (no proxy in Node).
    unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
    defaultPersistRoot: stateDir,
    durableObjectsPersist: true,
    d1Persist: true,
    workflowsPersist: true,
    ...(process.env.PEERS_DEBUG ? { log: new Log(4) } : {}),
    ...options,
  } as ConstructorParameters<typeof Miniflare>[0]);
  await mf.ready;
  const url = await mf.unsafeGetDirectURL();
  return { url: `http://127.0.0.1:${url.port}`, mf };
}

export const startCloudflareWorkflows: EngineFactory = async ({ stateDir }) => {
  const script = path.join(here, '..', 'cf-workflows.worker.js');
  const version = (require('miniflare/package.json') as { version: string }).version;
  const { url, mf } = await startMiniflare(
    {
      modules: [{ type: 'ESModule', path: script, contents: readFileSync(script, 'utf8') }],
      modulesRoot: path.dirname(script),
      workflows: {
        W1: { name: 'w1', className: 'W1' },
        W2: { name: 'w2', className: 'W2' },
        SLEEP: { name: 'sleep', className: 'Sleep' },
      },
    },
    stateDir,
  );
  return {
    label: `Cloudflare Workflows, local workerd (miniflare ${version})`,
    w1: (id, value) => postJson<string>(`${url}/run/w1/${id}`, { value }),
    w2: (id, steps) => postJson<number>(`${url}/run/w2/${id}`, { steps }),
    sleep: (id, ms) => postJson<SleepResult>(`${url}/run/sleep/${id}`, { ms }),
    stop: () => mf.dispose(),
  };
};
