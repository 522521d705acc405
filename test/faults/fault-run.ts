/**
 * One fault run: `keel dev` (the CLI, a real process on a free port with its own data directory)
 * and several worker processes; workflows are started at a steady rate while a random worker is
 * SIGKILLed (and replaced) every few seconds and the service is SIGKILLed and restarted on the same
 * data directory; then every history is read and checked (history-invariants.ts). Used by the
 * small suite in `npm test` (faults.test.ts) and the large benchmark (`npm run bench:faults`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from 'keel/client';
import type { HistoryEvent } from '../../protocol/index.js';
import { KeelDev } from '../node/fixtures/keel-cli.js';
import { expectedResult, faultWorkflow } from './fault-workflows.js';
import { checkHistories, type Kill, type Violations } from './history-invariants.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const workerScript = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

export interface FaultRunOptions {
  workflows: number;
  startsPerSecond: number;
  workers: number;
  steps: number;
  /** Each workflow's durable sleep, drawn from [min, max] ms. */
  sleepMs: [number, number];
  /** A random worker is killed every [min, max] ms while workflows run. */
  workerKillEveryMs: [number, number];
  /** Service kills, spread evenly over the time the starts take. */
  serviceKills: number;
  /** Gives up waiting for the workflows after this long (the run then reports them lost). */
  deadlineMs: number;
  progress?: (line: string) => void;
}

export interface FaultRunReport {
  violations: Violations;
  workerKills: number;
  serviceKills: number;
  /** Start to close of each workflow, from its history (service time), ms. */
  latenciesMs: number[];
  /** Tasks the service took back from polls of dead workers (its "did not acknowledge" warnings). */
  lostHandOffs: number;
  /** Per worker process that lived to the end: its outage warnings and "reachable again" lines, and the outages it was polling through. */
  survivorOutageLogs: Array<{ identity: string; unreachable: number; back: number; outagesLived: number }>;
  /** Activity attempts beyond the first (a killed worker's activity ran again). */
  activityRetries: number;
  /** Worker processes that exited without being killed (replaced), with the end of their output. */
  workerCrashes: Array<{ exit: string; outputTail: string }>;
  visibilityCompleted: number;
  elapsedMs: number;
}

interface WorkerProc {
  child: ChildProcess;
  identity: Promise<string>;
  output: string;
  /** When it printed its identity, just before it starts polling (bundling the workflows takes a while before that). */
  pollingFrom: number;
  /** Set just before the run SIGKILLs it; any other exit is a crash. */
  killed: boolean;
}

const between = ([min, max]: [number, number]) => min + Math.random() * (max - min);

/** Runs `start` until it goes through or finds the workflow started already, trying again while the service is down (and `more` says so). */
async function untilStarted(start: () => Promise<unknown>, more: () => boolean = () => true): Promise<void> {
  while (more()) {
    try {
      await start();
      return;
    } catch (err) {
      if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') return;
      await delay(200);
    }
  }
}

export async function runFaults(o: FaultRunOptions): Promise<FaultRunReport> {
  const say = o.progress ?? (() => {});
  const began = Date.now();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'keel-faults-'));
  let dev = await KeelDev.start({ dataDir, timeoutMs: 120_000 });
  const port = dev.port;
  let serviceOutput = '';
  const address = dev.address;
  const taskQueue = `faults-${Date.now().toString(36)}`;
  const workers = new Set<WorkerProc>();
  const finished: WorkerProc[] = [];
  const kills: Kill[] = [];
  const outages: Array<{ from: number; to: number }> = [];
  const crashes: FaultRunReport['workerCrashes'] = [];
  let stopping = false;

  const spawnWorker = (): WorkerProc => {
    const child = spawn(process.execPath, ['--import', 'tsx', workerScript, address, taskQueue], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const w: WorkerProc = { child, output: '', pollingFrom: Infinity, killed: false, identity: Promise.resolve('') };
    w.identity = new Promise((resolve) => {
      // A worker that dies before it prints its identity must not hold the run up.
      child.once('exit', () => resolve(''));
      const onData = (d: Buffer) => {
        w.output += d.toString();
        const m = /identity (\S+)/.exec(w.output);
        if (m && w.pollingFrom === Infinity) {
          w.pollingFrom = Date.now();
          resolve(m[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (d: Buffer) => (w.output += d.toString()));
    });
    child.once('exit', (code, signal) => {
      if (w.killed) return;
      // A crash, not one of the run's kills: recorded with the end of its output, and replaced.
      crashes.push({ exit: `${code ?? signal}`, outputTail: w.output.slice(-2000) });
      workers.delete(w);
      if (!stopping && workers.size < o.workers) spawnWorker();
    });
    workers.add(w);
    return w;
  };
  const killWorker = async (w: WorkerProc) => {
    const identity = await w.identity;
    if (w.child.exitCode !== null || w.child.signalCode !== null) return;
    const exited = new Promise((r) => w.child.once('exit', r));
    w.killed = true;
    kills.push({ identity, at: Date.now() });
    process.kill(w.child.pid!, 'SIGKILL');
    await exited;
    workers.delete(w);
  };

  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  /** Set once the run ends: the executes still waiting stop starting again. */
  let closing = false;
  try {
    for (let i = 0; i < o.workers; i++) spawnWorker();
    await Promise.all([...workers].map((w) => w.identity));

    // Starts, at a steady rate; a start refused while the service is down is tried again. Every other
    // workflow is run by `execute`, whose start the service may hold in memory until the run is written
    // (a provisional start, protocol 9): a service kill before then loses the run, and execute starts it again.
    const ids = Array.from({ length: o.workflows }, (_, i) => `${taskQueue}-${i}`);
    const startPhaseMs = (o.workflows / o.startsPerSecond) * 1000;
    const starting = Promise.all(
      ids.map(async (workflowId, i) => {
        await delay((i / o.startsPerSecond) * 1000);
        const options = { taskQueue, workflowId, args: [workflowId, o.steps, Math.round(between(o.sleepMs))] as [string, number, number], workflowIdReusePolicy: 'REJECT_DUPLICATE' as const };
        // An execute is not awaited past its start: its result comes when the workflow completes (or the run ends first).
        if (i % 2 === 1) void untilStarted(() => client.workflow.execute(faultWorkflow, options), () => !closing);
        else await untilStarted(() => client.workflow.start(faultWorkflow, options));
      }),
    );

    let done = false;
    const chaos = (async () => {
      const serviceKillAt = Array.from({ length: o.serviceKills }, (_, k) => began + ((k + 1) / (o.serviceKills + 1)) * startPhaseMs);
      while (!done) {
        await delay(between(o.workerKillEveryMs));
        if (done) break;
        if (serviceKillAt.length > 0 && Date.now() >= serviceKillAt[0]!) {
          serviceKillAt.shift();
          const from = Date.now();
          serviceOutput += dev.output;
          await dev.stop('SIGKILL');
          say(`service killed (${outages.length + 1})`);
          dev = await KeelDev.start({ dataDir, port, timeoutMs: 120_000 });
          outages.push({ from, to: Date.now() });
          continue;
        }
        const live = [...workers];
        const victim = live[Math.floor(Math.random() * live.length)];
        if (!victim) continue;
        await killWorker(victim);
        // Topped up to the run's size, never past it: a victim that had crashed meanwhile was already
        // replaced by the crash handler (replacing it here too grew a 3-worker run to ~35 processes
        // on a loaded machine, 22:03–22:43 UTC).
        while (workers.size < o.workers) spawnWorker();
        say(`worker killed (${kills.length})`);
      }
    })();

    await starting;
    say(`${o.workflows} started`);
    const count = async (status: string) => (await connection.call('countWorkflows', { query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = '${status}'` }, { namespace: 'default' })).count;
    // Waits for every workflow to be listed as completed, not for none to be listed as running: a
    // run's running summary reaches the list up to a second after its start (docs/cli.md), so "none
    // running" can be read while the last ones started are not listed yet.
    const deadline = Date.now() + o.deadlineMs;
    for (;;) {
      const completed = await count('Completed').catch(() => -1);
      if (completed >= o.workflows) break;
      if (Date.now() > deadline) {
        say(`gave up waiting: ${completed < 0 ? 'the list did not answer' : `${o.workflows - completed} not completed`}`);
        break;
      }
      await delay(250);
    }
    done = true;
    await chaos;
    const visibilityCompleted = await count('Completed');

    const histories = await Promise.all(ids.map(async (workflowId) => ({ workflowId, runs: [await readHistory(connection, workflowId)], expected: expectedResult(workflowId, o.steps) })));
    const violations = checkHistories(histories, kills);
    const latenciesMs = histories.flatMap(({ runs: [events] }) => {
      const close = events!.at(-1);
      return close?.eventType === 'WorkflowExecutionCompleted' ? [Date.parse(close.eventTime) - Date.parse(events![0]!.eventTime)] : [];
    });
    const activityRetries = histories.reduce((n, h) => n + h.runs[0]!.filter((e) => e.eventType === 'ActivityTaskStarted' && (e.attributes as { attempt: number }).attempt > 1).length, 0);
    serviceOutput += dev.output;

    // A survivor whose polls were backing off when the last workflow closed says it is back at its
    // next poll, up to the poll loop's longest back-off (10 s) later: wait for that, with a bound.
    const lived = (w: WorkerProc) => outages.some((x) => x.from > w.pollingFrom);
    const saidBack = (w: WorkerProc) => (w.output.match(/Keel service reachable again/g) ?? []).length >= outages.filter((x) => x.from > w.pollingFrom).length;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && [...workers].some((w) => lived(w) && !saidBack(w)); ) await new Promise((r) => setTimeout(r, 100));
    const survivorOutageLogs = await Promise.all(
      [...workers].map(async (w) => ({
        identity: await w.identity,
        unreachable: (w.output.match(/Keel service unreachable/g) ?? []).length,
        back: (w.output.match(/Keel service reachable again/g) ?? []).length,
        outagesLived: outages.filter((x) => x.from > w.pollingFrom).length,
      })),
    );
    finished.push(...workers);
    return {
      violations,
      workerKills: kills.length,
      serviceKills: outages.length,
      latenciesMs,
      lostHandOffs: (serviceOutput.match(/did not acknowledge it/g) ?? []).length,
      survivorOutageLogs,
      activityRetries,
      workerCrashes: crashes,
      visibilityCompleted,
      elapsedMs: Date.now() - began,
    };
  } finally {
    stopping = true;
    closing = true;
    for (const w of workers) w.killed = true;
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) process.kill(w.child.pid!, 'SIGKILL');
    await dev.stop('SIGINT');
    await connection.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function readHistory(connection: Connection, workflowId: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextPageToken: string | undefined;
  do {
    const page = await connection.call('getWorkflowHistory', nextPageToken ? { nextPageToken } : {}, { namespace: 'default', params: { workflowId } });
    events.push(...page.events);
    nextPageToken = page.events.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return events;
}
