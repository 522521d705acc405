/**
 * Runs the Keel service locally: the same Worker bundle that `wrangler deploy` ships,
 * in workerd through miniflare's API. Used by `keel/testing` (in-memory state) and by
 * `keel dev` (state persisted under a data directory).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { miniflare } from './miniflare.js';
import { defaultUiAssets, withUiAssets } from './ui-assets.js';
import { VISIBILITY_BINDING, VISIBILITY_DATABASE, migrationsVariable } from './visibility-migrations.js';

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
  /**
   * Allow moving a workflow's clock forward (`TestWorkflowEnvironment.advanceTime`, or POST
   * `…/workflows/{id}/time/advance`). Default false; `TestWorkflowEnvironment.createLocal()` turns it on.
   * `'auto'` (`createTimeSkipping()`): also, while a client awaits a run's result and nothing in the
   * run is worked on, its time jumps to what it waits for next.
   */
  timeSkipping?: boolean | 'auto';
  /**
   * Called with each line the Worker logs and its level (`debug`, `log`, `info`, `warn`,
   * `error`); without it, the Worker's output goes to this process's stdout and stderr.
   */
  log?: (line: string, level: string) => void;
  /** Directory of the web UI's built assets; defaults to dist/ui beside the Worker bundle; `false` serves no UI. */
  uiDir?: string | false;
  /**
   * Port of workerd's V8 inspector (Chrome DevTools protocol), for profiling the service
   * (`bench/profile-service.ts`); default none.
   */
  inspectorPort?: number;
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

/**
 * Shards per namespace of a new local service (a deployment sets its own in wrangler.toml: 16).
 * Locally every object runs on workerd's one thread, so more shards add no parallelism; fewer make
 * more changes share a commit (a shard's group commit, src/workflow-object/commit-group.ts, and the
 * worker's batches, docs/scale.md). With the shard's group commit one shard made 1.26x the W1
 * throughput of two at 50 in flight, 0.79x the workerd CPU per W1 and 0.58x the W3 lateness p99
 * (bench/RESULTS.md, "One shard in a local service"). The multi-shard paths (lists merged across
 * shards, calls forwarded to another shard) are tested by the workerd suites, which run with shards.
 */
export const DEFAULT_WORKFLOW_SHARDS = 1;

export async function startLocalService(options: LocalServiceOptions = {}): Promise<LocalService> {
  const ip = options.ip ?? '127.0.0.1';
  const scriptPath = path.resolve(options.scriptPath ?? defaultWorkerScript());
  if (process.platform === 'linux') process.env.MINIFLARE_WORKERD_PATH ??= workerdDyingWithParent();
  const uiDir = options.uiDir === false ? undefined : (options.uiDir ?? defaultUiAssets(scriptPath));
  const memoryDir = options.dataDir ? undefined : memoryBackedDir();
  const stateDir = options.dataDir ?? memoryDir?.path;
  const mf = new miniflare.Miniflare(withUiAssets({
    // The bundle is one self-contained module, so it is handed over as such: given only a
    // `scriptPath`, miniflare parses all of it (~850 KB) with acorn to look for imports,
    // which costs ~400 ms of every start.
    modules: [{ type: 'ESModule', path: scriptPath, contents: readFileSync(scriptPath, 'utf8') }],
    // Module names are paths relative to this root; the default (the working directory) would
    // name a bundle outside it with '..', which workerd refuses.
    modulesRoot: path.dirname(scriptPath),
    compatibilityDate: '2026-04-01',
    // node:zlib, the row codec's deflate (src/storage/row-codec.ts).
    compatibilityFlags: ['nodejs_compat'],
    // Keel never reads `request.cf`; without this, every start first tries to download
    // Cloudflare's cf.json (with a 3 s timeout when the network is slow or absent).
    cf: false,
    // Miniflare's own entry listens on a throwaway port; clients talk to the Worker through a
    // direct socket, which skips miniflare's proxying entry worker (about 1 ms a request).
    host: '127.0.0.1',
    port: 0,
    unsafeDirectSockets: [{ host: ip, port: options.port ?? 0 }],
    ...(options.inspectorPort !== undefined ? { inspectorPort: options.inspectorPort } : {}),
    durableObjects: {
      WORKFLOWS: { className: 'WorkflowObject', useSQLite: true },
      TASK_QUEUES: { className: 'TaskQueueObject', useSQLite: true },
      SCHEDULES: { className: 'ScheduleObject', useSQLite: true },
    },
    // The visibility store (list and count), persisted with the rest under the data directory.
    d1Databases: { [VISIBILITY_BINDING]: VISIBILITY_DATABASE },
    ...(stateDir ? { defaultPersistRoot: stateDir, durableObjectsPersist: true, d1Persist: true } : {}),
    // The Worker applies the visibility store's migrations before its first use of it.
    bindings: {
      KEEL_VISIBILITY_MIGRATIONS: migrationsVariable(),
      // A secret of its own for each service (`keel dev` passes one it keeps), never the
      // development constant in the source: task tokens cannot be forged by reading the code.
      KEEL_TOKEN_SECRET: randomBytes(32).toString('base64url'),
      ...(options.timeSkipping ? { KEEL_TIME_SKIPPING: options.timeSkipping === 'auto' ? 'auto' : '1' } : {}),
      // Any namespace name works, created on first use (bindings may turn it off with '0').
      KEEL_NAMESPACE_AUTO_CREATE: '1',
      // Workflows kept in DEFAULT_WORKFLOW_SHARDS shards per namespace (src/workflow-shards.ts); `keel dev` keeps the
      // count its data directory was made with.
      KEEL_WORKFLOW_SHARDS: String(DEFAULT_WORKFLOW_SHARDS),
      // Requests for other host names (DNS rebinding) or from other sites' pages are refused
      // (src/host-check.ts). Listening on every address, the names it is reached by are unknown.
      ...(ip === '0.0.0.0' || ip === '::' ? {} : { KEEL_ALLOWED_HOSTS: ['localhost', '127.0.0.1', '::1', ip].join(',') }),
      ...options.bindings,
    },
    ...(options.log ? { handleStructuredLogs: ({ level, message }: { level: string; message: string }) => options.log!(message, level) } : {}),
  }, uiDir));
  let url: URL;
  try {
    await mf.ready;
    url = await mf.unsafeGetDirectURL();
  } catch (err) {
    // A failed start (port in use, a bad bundle) still holds miniflare's own server open.
    await mf.dispose().catch(() => undefined);
    memoryDir?.remove();
    throw err;
  }
  const base = `http://${ip}:${url.port}`;
  return {
    url: base,
    address: `${ip}:${url.port}`,
    stop: async () => {
      try {
        await mf.dispose();
      } finally {
        memoryDir?.remove();
      }
    },
  };
}

/** tmpfs holds the state only when this much of it is free. */
const MIN_FREE_SHM_BYTES = 1024 ** 3;

/**
 * Where a service without a data directory keeps its state: a fresh directory on tmpfs
 * (/dev/shm), removed when it stops. miniflare's own default is a directory on disk, where
 * every transaction's commit waits for the disk: measured on this project's 2-core machine
 * under load, a signal took 14 ms there and 1 ms on tmpfs (bench/RESULTS.md). Elsewhere
 * (no /dev/shm, or a small one such as a container's default 64 MB), miniflare's default.
 */
function memoryBackedDir(): { path: string; remove(): void } | undefined {
  if (process.platform !== 'linux' || !existsSync('/dev/shm')) return undefined;
  let dir: string;
  try {
    const { bavail, bsize } = statfsSync('/dev/shm');
    if (bavail * bsize < MIN_FREE_SHM_BYTES) return undefined;
    dir = mkdtempSync('/dev/shm/keel-state-');
  } catch {
    return undefined;
  }
  // tmpfs is memory: a process that ends without stop() must not leave its state behind.
  const remove = () => {
    process.removeListener('exit', remove);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', remove);
  return { path: dir, remove };
}

/**
 * miniflare stops workerd only from `dispose()`, so a Node process killed with SIGKILL leaves
 * workerd running, holding the port and the data directory. On Linux the wrapper this returns
 * runs workerd through util-linux's `setpriv --pdeathsig KILL`, so that the kernel kills it
 * with the process (strictly: the thread) that started it. Without setpriv, workerd as it is.
 */
function workerdDyingWithParent(): string | undefined {
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  if (!setpriv) return undefined;
  const requireFromMiniflare = createRequire(createRequire(import.meta.url).resolve('miniflare'));
  const workerd = (requireFromMiniflare('workerd') as { default: string }).default;
  const script = `#!/bin/sh\nexec ${setpriv} --pdeathsig KILL -- '${workerd.replace(/'/g, `'\\''`)}' "$@"\n`;
  // A fresh directory only this user can enter (mkdtemp makes it 0700), never a predictable
  // path in a shared /tmp: another user could plant a script there and have it run as us.
  const dir = mkdtempSync(path.join(tmpdir(), 'keel-workerd-'));
  const file = path.join(dir, 'workerd.sh');
  writeFileSync(file, script, { mode: 0o700, flag: 'wx' });
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return file;
}
