// Shared machinery of the benchmark: a local service + worker + client per workload,
// statistics, request counting (a `fetch` wrapper given to both connections), CPU accounting
// of this process, the workerd process and the whole machine, and machine facts.
import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Client, Connection } from 'keel/client';
import { startLocalService, type LocalService } from 'keel/testing';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions, type WorkflowBundle } from 'keel/worker';
import * as activities from './activities';

export const benchDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.dirname(benchDir);

/**
 * Another built checkout's SDK (client, worker, testing) and bench activities, loaded from its own
 * dist/ — what bench/ab.ts and bench/commits.ts run a checkout with (`node scripts/build.mjs` there first).
 */
export function checkoutModules(dir: string) {
  const load = (p: string) => import(path.join(dir, p));
  return Promise.all([load('dist/sdk/client/index.js'), load('dist/sdk/worker/index.js'), load('dist/sdk/testing/index.js'), load('bench/activities.ts')]);
}

// ---- statistics ---------------------------------------------------------------------

export interface Stats {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function stats(values: readonly number[]): Stats {
  const s = [...values].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    n: s.length,
    min: r(s[0] ?? NaN),
    p50: r(percentile(s, 50)),
    p90: r(percentile(s, 90)),
    p99: r(percentile(s, 99)),
    max: r(s.at(-1) ?? NaN),
    mean: r(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
  };
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * A bench script's command line: `value(flag)` is the word after a flag, `builds` its `name=checkout`
 * arguments (the builds a side-by-side script measures, each a checkout path resolved).
 */
export function commandLine(args = process.argv.slice(2)) {
  const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const builds = args.filter((a) => a.includes('=') && !a.startsWith('--')).map((a) => ({ name: a.slice(0, a.indexOf('=')), root: path.resolve(a.slice(a.indexOf('=') + 1)) }));
  return { args, value, builds };
}

// ---- request counting -----------------------------------------------------------------

export interface EndpointCount {
  /** Requests that got an answer. */
  requests: number;
  /** …of which long polls that answered empty (nothing came); counted only while observed. */
  emptyPolls: number;
  requestBytes: number;
  /** Decoded answer bytes (JSON text); counted only while observed. */
  responseBytes: number;
  /** Sum of the time from sending to the full answer, ms. */
  totalMs: number;
}

/** Names a request by its endpoint: method and path with the parameters as `{name}`. */
export function endpointOf(method: string, url: string): string {
  const p = new URL(url).pathname;
  const m = /^\/api\/v1\/namespaces\/[^/]+(\/.*)$/.exec(p);
  if (!m) return `${method} ${p}`;
  const rest = m[1]!.replace(/^\/workflows\/[^/]+/, '/workflows/{workflowId}').replace(/^\/task-queues\/[^/]+/, '/task-queues/{taskQueue}');
  return `${method} ${rest}`;
}

/** Observes each exchange: the endpoint, the request body, the answer text and timing. */
export type ExchangeObserver = (e: { endpoint: string; requestBody: string | undefined; responseText: string; sentAt: number; answeredAt: number }) => void;

/**
 * Wraps `fetch` for the SDK's `fetch` connection option: counts requests by endpoint with the
 * bytes each way and the round-trip time (to the headers, or to the body when observed). Reads
 * the answer from a clone only when asked (`observe`), so counting alone costs next to nothing.
 */
export class RequestCounter {
  readonly byEndpoint = new Map<string, EndpointCount>();
  enabled = true;
  observe: ExchangeObserver | undefined;

  readonly fetch: typeof globalThis.fetch = async (input, init) => {
    if (!this.enabled && experiments().size === 0) return globalThis.fetch(input, init);
    const method = init?.method ?? 'GET';
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const endpoint = endpointOf(method, url);
    const body = typeof init?.body === 'string' ? init.body : undefined;
    if (experiments().has('identity-encoding')) init = { ...init, headers: { ...(init?.headers as Record<string, string>), 'accept-encoding': 'identity' } };
    const sentAt = performance.now();
    const response = await globalThis.fetch(input, init);
    const observe = this.observe;
    if (observe) {
      // Responses come gzip-encoded without a content-length (workerd compresses them), so
      // the size is only known by reading a clone: done only when someone observes.
      const text = await response.clone().text();
      const answeredAt = performance.now();
      observe({ endpoint, requestBody: body, responseText: text, sentAt, answeredAt });
      this.record(endpoint, body?.length ?? 0, text.length, answeredAt - sentAt, text.trim() === '{}' || text.trim() === '');
    } else {
      this.record(endpoint, body?.length ?? 0, NaN, performance.now() - sentAt, false);
    }
    return response;
  };

  private record(endpoint: string, reqBytes: number, resBytes: number, ms: number, empty: boolean): void {
    let c = this.byEndpoint.get(endpoint);
    if (!c) this.byEndpoint.set(endpoint, (c = { requests: 0, emptyPolls: 0, requestBytes: 0, responseBytes: 0, totalMs: 0 }));
    c.requests++;
    if (empty && endpoint.endsWith('/poll')) c.emptyPolls++;
    c.requestBytes += reqBytes;
    if (Number.isFinite(resBytes)) c.responseBytes += resBytes;
    c.totalMs += ms;
  }

  reset(): void {
    this.byEndpoint.clear();
  }

  total(): number {
    let n = 0;
    for (const c of this.byEndpoint.values()) n += c.requests;
    return n;
  }
}

// ---- CPU accounting -------------------------------------------------------------------

const TICK_MS = 1000 / Number(execSync('getconf CLK_TCK').toString().trim() || 100);

/** CPU ms (user + system) a process has used, from /proc/<pid>/stat; 0 if it is gone. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** Busy CPU ms of the whole machine (all cores), from /proc/stat. */
function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return (total - idle) * TICK_MS;
}

/** The workerd processes started by this process (miniflare's children). */
export function workerdPids(): number[] {
  const pids: number[] = [];
  const mine = new Set([process.pid]);
  // Two levels are enough: miniflare spawns workerd directly.
  for (let depth = 0; depth < 3; depth++) {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (mine.has(ppid) && !mine.has(Number(d))) {
          mine.add(Number(d));
          if (comm === 'workerd') pids.push(Number(d));
        }
      } catch {
        /* gone */
      }
    }
  }
  return pids;
}

export interface CpuReport {
  wallMs: number;
  /** This process: client + worker (+ the benchmark's own bookkeeping). */
  nodeCpuMs: number;
  /** The service: workerd. */
  workerdCpuMs: number;
  /** Everything else on the machine in the same interval: other processes, noise. */
  otherCpuMs: number;
  /** Cores the machine has. */
  cores: number;
}

/** Measures CPU use between `start()` and the report's function. */
export function cpuMeter(workerd: number[]): () => CpuReport {
  const t0 = performance.now();
  const node0 = process.cpuUsage();
  const wd0 = workerd.reduce((a, p) => a + processCpuMs(p), 0);
  const m0 = machineBusyMs();
  return () => {
    const wallMs = performance.now() - t0;
    const nodeUse = process.cpuUsage(node0);
    const nodeCpuMs = (nodeUse.user + nodeUse.system) / 1000;
    const workerdCpuMs = workerd.reduce((a, p) => a + processCpuMs(p), 0) - wd0;
    const busy = machineBusyMs() - m0;
    return {
      wallMs: round(wallMs),
      nodeCpuMs: round(nodeCpuMs),
      workerdCpuMs: round(workerdCpuMs),
      otherCpuMs: round(Math.max(0, busy - nodeCpuMs - workerdCpuMs)),
      cores: cpus().length,
    };
  };
}

// ---- the setup of one workload --------------------------------------------------------

/**
 * Experiments: bench-only changes that estimate what a candidate fix would buy, without
 * touching the code under test. Chosen with `--experiment a,b` (run.ts passes them on in
 * KEEL_BENCH_EXPERIMENTS).
 *
 * - `no-sandbox-als`: the workflow bundle starts with `delete globalThis.AsyncLocalStorage`, so
 *   cancellation scopes use their fallback (a stack) instead of one AsyncLocalStorage per run.
 * - `identity-encoding`: every request says `accept-encoding: identity`, so answers are not gzipped.
 * - `more-pollers`: the worker keeps 40 workflow-task polls (half on the normal queue) and 40
 *   activity-task polls open instead of the defaults (10, a fifth normal; 10).
 * - `memory-state`: the service keeps its state on tmpfs (as keel/testing does) instead of on
 *   disk (as keel dev does), which shows what waiting for the disk costs.
 * - `no-eager-start`: the client has a connection of its own and starts without
 *   `requestEagerStart`, so every first workflow task goes through the task queue (as before
 *   eager workflow start; Temporal's default too).
 * - `start-then-result`: a W1 is `start` then `handle.result()` instead of `execute`: the handle shows
 *   the start, so the service writes the run before answering it (no provisional start, protocol 9).
 */
export const EXPERIMENTS = ['no-sandbox-als', 'identity-encoding', 'more-pollers', 'memory-state', 'no-eager-start', 'start-then-result'] as const;

/**
 * Whether the workloads start workflows eagerly (Temporal's `requestEagerStart`): the client shares
 * the worker's connection, as Temporal requires, so the first workflow task comes back in the start's answer.
 */
export const eagerStart = () => !experiments().has('no-eager-start');
let experimentsCache: { env: string; set: Set<string> } | undefined;
/** The experiments in force (read from the environment, which run.ts sets after imports). */
export function experiments(): Set<string> {
  const env = process.env.KEEL_BENCH_EXPERIMENTS ?? '';
  if (experimentsCache?.env !== env) {
    const set = new Set(env.split(',').filter(Boolean));
    for (const e of set) if (!(EXPERIMENTS as readonly string[]).includes(e)) throw new Error(`Unknown experiment '${e}'; known: ${EXPERIMENTS.join(', ')}`);
    experimentsCache = { env, set };
  }
  return experimentsCache.set;
}

let bundle: Promise<WorkflowBundle> | undefined;
/** The benchmark workflows, bundled once per process. */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({ workflowsPath: path.join(benchDir, 'workflows.ts') }).then((b) =>
    experiments().has('no-sandbox-als') ? { ...b, code: `delete globalThis.AsyncLocalStorage;\n${b.code}` } : b,
  );
  return bundle;
}

let instrumentedScript: Promise<string> | undefined;
/** Builds bench/instrumented-service.js (the service with counters) into bench/.build/. */
export function instrumentedServiceScript(): Promise<string> {
  instrumentedScript ??= (async () => {
    const outDir = path.join(benchDir, '.build');
    mkdirSync(outDir, { recursive: true });
    const outfile = path.join(outDir, 'instrumented-service.js');
    await build({
      entryPoints: [path.join(benchDir, 'instrumented-service.js')],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['module', 'main'],
      external: ['cloudflare:*', 'node:*'],
      logLevel: 'warning',
    });
    return outfile;
  })();
  return instrumentedScript;
}

export const TASK_QUEUE = 'bench';

export interface Bench {
  service: LocalService;
  client: Client;
  worker: Worker;
  counter: RequestCounter;
  workerdPids: number[];
  /** Stops the worker, then the service. */
  stop(): Promise<void>;
}

export interface BenchOptions {
  /** Run the service with counters (bench/instrumented-service.js). */
  instrumented?: boolean;
  /**
   * Send the client's and worker's requests through the RequestCounter's fetch, to count and
   * observe them. Off, they use the SDK's default HTTP client, as users' workers do. `client`: only
   * the client's, on a connection of its own (no eager start), so that the worker's calls go its
   * default way — its shard channels (protocol 7), which a connection with its own fetch does not open.
   * The client's starts go on its own shard channels (protocol 8) all the same (`shardChannels: true`).
   */
  observeExchanges?: boolean | 'client';
  worker?: Partial<WorkerOptions>;
}

/** Starts a local service, a worker polling it and a client; each workload makes its own. */
export async function startBench(options: BenchOptions = {}): Promise<Bench> {
  const counter = new RequestCounter();
  // The service bundle: run.ts snapshots dist/worker/index.js when it starts (other people rebuild
  // dist/ while a long run goes on), else the default, dist/worker/index.js.
  const snapshot = process.env.KEEL_BENCH_SERVICE_SCRIPT;
  // State on disk, as `keel dev` keeps it (DESIGN.md measures against keel dev); the
  // `memory-state` experiment keeps it on tmpfs instead, as keel/testing does.
  const dataDir = experiments().has('memory-state') ? undefined : mkdtempSync(path.join(tmpdir(), 'keel-bench-state-'));
  const script = options.instrumented ? { scriptPath: await instrumentedServiceScript() } : snapshot ? { scriptPath: snapshot } : {};
  // KEEL_BENCH_BINDINGS (JSON): Worker variables for an experiment, e.g. '{"KEEL_RUNNING_SUMMARY_DELAY_MS":"60000"}'.
  const bindings = process.env.KEEL_BENCH_BINDINGS ? { bindings: JSON.parse(process.env.KEEL_BENCH_BINDINGS) as Record<string, string> } : {};
  const service = await startLocalService({ ...script, ...bindings, ...(dataDir ? { dataDir } : {}) });
  const pids = workerdPids();
  const observed = options.observeExchanges || experiments().has('identity-encoding') ? { fetch: counter.fetch } : {};
  const clientOnly = options.observeExchanges === 'client';
  const workerConnection = await NativeConnection.connect({ address: service.address, ...(clientOnly ? {} : observed) });
  // A client observed alone still sends its starts as a user's client does (on the shard channels, protocol 8):
  // only its HTTP exchanges go through the counter's fetch.
  const clientConnection = eagerStart() && !clientOnly ? workerConnection : await Connection.connect({ address: service.address, ...observed, ...(clientOnly ? { shardChannels: true } : {}) });
  const worker = await Worker.create({
    connection: workerConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities,
    shutdownSignals: [],
    ...(experiments().has('more-pollers') ? { maxConcurrentWorkflowTaskPolls: 40, nonStickyToStickyPollRatio: 0.5, maxConcurrentActivityTaskPolls: 40 } : {}),
    ...options.worker,
  });
  const running = worker.run();
  const client = new Client({ connection: clientConnection });
  return {
    service,
    client,
    worker,
    counter,
    workerdPids: pids,
    async stop() {
      worker.shutdown();
      await running;
      if (clientConnection !== workerConnection) await clientConnection.close();
      await workerConnection.close();
      await service.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fresh workflow id for each run. */
let seq = 0;
export const newWorkflowId = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${++seq}`;

// ---- machine facts ---------------------------------------------------------------------

/** Which build runs: short hashes of the bundles (the repository changes under a long run). */
export function codeFingerprint(): Record<string, string> {
  const files = ['dist/worker/index.js', 'dist/sdk/worker/index.js', 'dist/sdk/client/index.js', 'dist/sdk/workflow/index.js'];
  const out: Record<string, string> = {};
  for (const f of files) {
    try {
      out[f] = createHash('sha256').update(readFileSync(path.join(repoRoot, f))).digest('hex').slice(0, 12);
    } catch {
      out[f] = 'missing';
    }
  }
  const snapshot = process.env.KEEL_BENCH_SERVICE_SCRIPT;
  if (snapshot) out['service snapshot'] = path.basename(snapshot);
  return out;
}

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memory: string;
  freeH: string;
  node: string;
  platform: string;
  loadavgAtStart: number[];
}

export function machineInfo(): MachineInfo {
  const sh = (cmd: string) => {
    try {
      return execSync(cmd).toString().trim();
    } catch {
      return '';
    }
  };
  const model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return {
    nproc: Number(sh('nproc')) || cpus().length,
    cpuModel: model,
    memory: `${round(totalmem() / 2 ** 30, 1)} GiB total, ${round(freemem() / 2 ** 30, 1)} GiB free`,
    freeH: sh('free -h'),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadavgAtStart: loadavg().map((x) => round(x)),
  };
}

/** Runs `fn` for each of `items` with at most `concurrency` at a time. */
export async function pool<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}
