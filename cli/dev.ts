// Owns `keel dev`: the Keel service on this machine — the same Worker bundle `wrangler deploy`
// ships, in workerd through miniflare — with all state under a data directory, until Ctrl-C.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { DEFAULT_WORKFLOW_SHARDS, startLocalService, type LocalService } from '../sdk/testing/local-service.js';
import { parsePartitionConfig } from '../src/task-queue-partitions.js';
import { CliError } from './errors.js';
import type { Io } from './output.js';
import { cliStartedAt } from './startup.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'none', 'never'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface DevFlags {
  dbDir: string;
  /**
   * A file holding API key grants (as the KEEL_API_KEYS secret: `keel api-key create` prints one);
   * with it, or with KEEL_API_KEYS set, the local service checks keys as a deployed one does.
   */
  apiKeyFile?: string;
  port: number;
  ip: string;
  /** Namespaces created at start; `default` always exists. */
  namespace: string[];
  /** Namespaces not created are created on first use (default); false: NAMESPACE_NOT_FOUND, as deployed. */
  autoCreateNamespaces?: boolean;
  /** KEEL_TASK_QUEUE_PARTITIONS for the service: a count, or JSON with a default and per-queue counts. */
  taskQueuePartitions?: string;
  logLevel: LogLevel;
}

/** Severity of the levels the Worker logs with (console.debug/log/info/warn/error). */
const SEVERITY: Record<string, number> = { debug: 10, trace: 10, log: 20, info: 20, warn: 30, error: 40, none: 100, never: 100 };

/** The file in the data directory that says which process serves it. */
export const PID_FILE = 'keel-dev.pid';

/**
 * Runs the service until SIGINT or SIGTERM, then stops it and resolves. Everything lives in
 * SQLite files under `--db-dir` (one per workflow execution and task queue, plus workerd's
 * alarm index), so a restart on the same directory finds every execution, and workerd fires the
 * alarms that came due while it was down as soon as it is up.
 */
export async function dev(flags: DevFlags, io: Io, signals: NodeJS.EventEmitter = process): Promise<void> {
  // Everything up to here (the CLI, commander, miniflare) is loaded: the start-up timeline's middle mark.
  const loadedAt = performance.now();
  const partitions = taskQueuePartitions(flags.taskQueuePartitions ?? process.env.KEEL_TASK_QUEUE_PARTITIONS);
  const dataDir = path.resolve(flags.dbDir);
  mkdirSync(dataDir, { recursive: true });
  claimDataDir(dataDir);
  const threshold = SEVERITY[flags.logLevel] ?? SEVERITY.warn!;
  const apiKeys = readApiKeys(flags.apiKeyFile);
  const workflowShards = dataDirWorkflowShards(dataDir);
  const tokenSecret = process.env.KEEL_TOKEN_SECRET || devTokenSecret(dataDir);
  let service: LocalService;
  try {
    service = await startLocalService({
      port: flags.port,
      ip: flags.ip,
      dataDir,
      bindings: {
        KEEL_TOKEN_SECRET: tokenSecret,
        KEEL_NAMESPACES: JSON.stringify(flags.namespace),
        KEEL_NAMESPACE_AUTO_CREATE: flags.autoCreateNamespaces === false ? '0' : '1',
        ...(apiKeys ? { KEEL_API_KEYS: apiKeys } : {}),
        ...(partitions ? { KEEL_TASK_QUEUE_PARTITIONS: partitions } : {}),
        KEEL_WORKFLOW_SHARDS: String(workflowShards),
        // How long a client's execute may keep its run in memory only (src/workflow-object/provisional.ts).
        ...(process.env.KEEL_PROVISIONAL_MS ? { KEEL_PROVISIONAL_MS: process.env.KEEL_PROVISIONAL_MS } : {}),
      },
      log: (line, level) => {
        if ((SEVERITY[level] ?? SEVERITY.log!) >= threshold) io.err(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${line}\n`);
      },
    });
  } catch (err) {
    releaseDataDir(dataDir);
    if ((err as { code?: unknown }).code === 'ERR_ADDRESS_IN_USE') {
      throw new CliError(`${flags.ip}:${flags.port} is already in use (is another keel dev running?); pass --port to use another port`);
    }
    throw err;
  }
  writePidFile(dataDir, service.address);
  if (signals === process) takeOverStopSignals();
  const readyMs = Math.round(performance.now());
  if (threshold <= SEVERITY.debug!) {
    io.err(`startup: Node ${Math.round(cliStartedAt)} ms, Keel CLI and miniflare loaded ${Math.round(loadedAt - cliStartedAt)} ms, workerd up and serving ${Math.round(readyMs - loadedAt)} ms\n`);
  }
  io.out(
    [
      `Keel dev server ready in ${readyMs} ms`,
      `  Address:    ${service.address}   (KEEL_ADDRESS for the SDK and the CLI)`,
      `  API:        ${service.url}/api/v1   (OpenAPI: ${service.url}/api/v1/openapi.json)`,
      `  Web UI:     ${service.url}/`,
      `  Data:       ${dataDir}`,
      `  Namespaces: ${flags.namespace.join(', ')}   ${flags.autoCreateNamespaces === false ? '(others: NAMESPACE_NOT_FOUND until created)' : '(any other name works too: created on first use)'}`,
      apiKeys
        ? `  API keys:   required, as in production (${flags.apiKeyFile ? flags.apiKeyFile : 'KEEL_API_KEYS'})`
        : '  API keys:   none (open to anything that reaches the address; pass --api-key-file to require keys)',
      process.env.KEEL_TOKEN_SECRET
        ? '  Tokens:     signed with KEEL_TOKEN_SECRET'
        : `  Tokens:     signed with a development secret (${path.join(dataDir, TOKEN_SECRET_FILE)}); set KEEL_TOKEN_SECRET in production`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      signals.off('SIGINT', onInt);
      signals.off('SIGTERM', onTerm);
      // A second Ctrl-C while stopping leaves at once; state is safe either way (every change
      // is one SQLite transaction).
      signals.once('SIGINT', () => process.exit(130));
      io.out(`\nStopping (${signal})…\n`);
      resolve();
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    signals.on('SIGINT', onInt);
    signals.on('SIGTERM', onTerm);
  });
  await service.stop();
  releaseDataDir(dataDir);
  io.out('Stopped. Every execution is kept in the data directory; run keel dev again to go on.\n');
}

/** The partitions setting, checked here so that a mistake stops `keel dev` with the reason instead of failing every add. */
function taskQueuePartitions(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  try {
    parsePartitionConfig(value);
  } catch (err) {
    throw new CliError((err as Error).message.replace('KEEL_TASK_QUEUE_PARTITIONS', '--task-queue-partitions (KEEL_TASK_QUEUE_PARTITIONS)'));
  }
  return value;
}

/**
 * miniflare's exit hook answers SIGINT and SIGTERM with `process.exit(130)` before any other
 * listener could finish stopping, so `keel dev` takes those two signals over and stops the
 * service itself. miniflare's `exit` hook stays: whatever ends the process still kills workerd.
 */
function takeOverStopSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) for (const listener of process.listeners(signal)) process.removeListener(signal, listener);
}

/**
 * Refuses a data directory another live `keel dev` is serving: two services on the same SQLite
 * files would each think it owns every execution. A pid file left by one that was killed is
 * taken over.
 */
function claimDataDir(dataDir: string): void {
  const file = path.join(dataDir, PID_FILE);
  if (!existsSync(file)) return;
  let owner: { pid?: unknown; address?: unknown } = {};
  try {
    owner = JSON.parse(readFileSync(file, 'utf8')) as typeof owner;
  } catch {
    return;
  }
  if (typeof owner.pid === 'number' && owner.pid !== process.pid && isKeelProcess(owner.pid)) {
    throw new CliError(`another keel dev (pid ${owner.pid}, at ${String(owner.address)}) is using ${dataDir}; stop it first, or pass another --db-dir`);
  }
}

function isKeelProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A pid is reused once its process is gone; on Linux, check it is still a keel process.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('keel');
  } catch {
    return process.platform !== 'linux';
  }
}

function writePidFile(dataDir: string, address: string): void {
  writeFileSync(path.join(dataDir, PID_FILE), JSON.stringify({ pid: process.pid, address, startedAt: new Date().toISOString() }) + '\n');
}

function releaseDataDir(dataDir: string): void {
  const file = path.join(dataDir, PID_FILE);
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown };
    if (owner.pid === process.pid) rmSync(file, { force: true });
  } catch {
    // Nothing to release.
  }
}

/** The file in the data directory holding the development secret that signs task tokens. */
export const TOKEN_SECRET_FILE = 'token-secret';

/** The file in the data directory that says how many shards keep each namespace's workflows. */
export const WORKFLOW_SHARDS_FILE = 'workflow-shards';

/**
 * The shard count a data directory was made with (src/workflow-shards.ts), recorded on its first
 * start: a different count would look for its workflows in other objects. A directory from before
 * shards (workflow objects stored, no record) keeps an object per workflow (0).
 */
function dataDirWorkflowShards(dataDir: string): number {
  const file = path.join(dataDir, WORKFLOW_SHARDS_FILE);
  if (!existsSync(file)) {
    const objects = path.join(dataDir, 'do', 'keel-WorkflowObject');
    const count = existsSync(objects) && readdirSync(objects).length > 0 ? 0 : DEFAULT_WORKFLOW_SHARDS;
    writeFileSync(file, `${count}\n`, { flag: 'wx' });
    return count;
  }
  const count = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(count) || count < 0) throw new CliError(`${file} must hold the data directory's shard count, a whole number (it holds '${readFileSync(file, 'utf8').trim().slice(0, 40)}')`);
  return count;
}

/**
 * The development secret: random, made on the first start and kept (readable by this user only)
 * in the data directory, so that tokens held by workers stay valid across restarts.
 */
function devTokenSecret(dataDir: string): string {
  const file = path.join(dataDir, TOKEN_SECRET_FILE);
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}

/** The grants of --api-key-file, or of KEEL_API_KEYS; checked here so a typo fails at start, not on every call. */
function readApiKeys(file: string | undefined): string | undefined {
  let raw: string | undefined;
  try {
    raw = file ? readFileSync(file, 'utf8') : process.env.KEEL_API_KEYS;
  } catch (err) {
    throw new CliError(`cannot read --api-key-file ${file}: ${(err as Error).message}`);
  }
  if (raw === undefined || raw.trim() === '') return undefined;
  let grants: unknown;
  try {
    grants = JSON.parse(raw);
  } catch {
    throw new CliError(`${file ?? 'KEEL_API_KEYS'} is not JSON; it holds grants as \`keel api-key create\` prints them: [{"name":"ci","sha256":"<hex>","namespaces":["default"]}]`);
  }
  if (grants !== null && typeof grants === 'object' && !Array.isArray(grants)) grants = [grants];
  if (!Array.isArray(grants) || grants.length === 0) throw new CliError(`${file ?? 'KEEL_API_KEYS'} must be a non-empty JSON list of grants, as \`keel api-key create\` prints them`);
  return JSON.stringify(grants);
}
