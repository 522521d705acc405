/**
 * Runs the Keel service locally: the same Worker bundle that `wrangler deploy` ships,
 * in workerd through miniflare's API. Used by `keel/testing` (in-memory state) and by
 * `keel dev` (state persisted under a data directory).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

export interface LocalServiceOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Address to listen on; default 127.0.0.1. */
  ip?: string;
  /** Directory to persist all state under; omit to keep state in memory only. */
  dataDir?: string;
  /** Path of the Worker bundle; defaults to the one built by `npm run build`. */
  scriptPath?: string;
  /** Extra variables for the Worker (e.g. KEEL_TOKEN_SECRET). */
  bindings?: Record<string, string>;
  /** Called with each line the Worker logs. */
  log?: (line: string) => void;
}

export interface LocalService {
  /** `http://ip:port` of the API and UI. */
  url: string;
  /** `ip:port`, as `Connection.connect({ address })` takes it. */
  address: string;
  stop(): Promise<void>;
}

/**
 * Where the built Worker bundle is: `dist/worker/index.js` of the keel package this
 * module belongs to, whether it runs from sources or from a bundled chunk in dist/.
 */
export function defaultWorkerScript(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'keel') {
      const script = path.join(dir, 'dist', 'worker', 'index.js');
      if (existsSync(script)) return script;
      throw new Error(`The Keel Worker bundle ${script} was not found; run \`npm run build\` first.`);
    }
    if (path.dirname(dir) === dir) throw new Error('The keel package root was not found above ' + fileURLToPath(import.meta.url));
  }
}

export async function startLocalService(options: LocalServiceOptions = {}): Promise<LocalService> {
  const ip = options.ip ?? '127.0.0.1';
  const mf = new Miniflare({
    modules: true,
    scriptPath: options.scriptPath ?? defaultWorkerScript(),
    compatibilityDate: '2026-04-01',
    // Miniflare's own entry listens on a throwaway port; clients talk to the Worker through a
    // direct socket, which skips miniflare's proxying entry worker (about 1 ms a request).
    host: '127.0.0.1',
    port: 0,
    unsafeDirectSockets: [{ host: ip, port: options.port ?? 0 }],
    durableObjects: {
      WORKFLOWS: { className: 'WorkflowObject', useSQLite: true },
      TASK_QUEUES: { className: 'TaskQueueObject', useSQLite: true },
    },
    ...(options.dataDir ? { defaultPersistRoot: options.dataDir, durableObjectsPersist: true } : {}),
    bindings: options.bindings ?? {},
  });
  await mf.ready;
  const url = await mf.unsafeGetDirectURL();
  const base = `http://${ip}:${url.port}`;
  return {
    url: base,
    address: `${ip}:${url.port}`,
    stop: () => mf.dispose(),
  };
}
