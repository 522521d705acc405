// Side by side: two built Keel checkouts (A and B, e.g. before and after a change), each with its
// own local service (state on disk, as keel dev) and its own worker + client in this process, and
// the workloads alternating between them one workflow (or one burst) at a time. Whatever else the
// machine does meanwhile falls on both alike, so the B/A ratios hold even on a busy machine, where
// two runs of bench/run.ts minutes apart do not compare.
//
//   node scripts/build.mjs   # in each checkout
//   npx tsx bench/ab.ts <checkout A> <checkout B> [--runs 100] [--no-eager-start] [--only w1,w2,throughput,w3] [--bursts 4] [--w3-rounds 3] [--w3-sleeps 50]
//       [--bindings-a JSON] [--bindings-b JSON]   # Worker bindings for one side's service, e.g. '{"KEEL_WORKFLOW_SHARDS":"4"}'
//
// Each side loads its own SDK (dist/sdk), service (dist/worker) and bench workflows/activities.
// Both sides start workflows with `requestEagerStart` on the worker's connection (a side whose SDK
// predates it just ignores the option); with --no-eager-start, from a client on a connection of its
// own, so every first workflow task goes through the task queue (as a client in another process). Prints p50/p99 per side and B/A, and workerd CPU per workflow.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { checkoutModules, newWorkflowId, pool, stats, workerdPids } from './lib';

const args = process.argv.slice(2);
const valued = ['--runs', '--only', '--bursts', '--w3-rounds', '--w3-sleeps', '--bindings-a', '--bindings-b'];
const dirs = args.filter((a, i) => !a.startsWith('--') && !valued.includes(args[i - 1]!)).map((d) => path.resolve(d));
const only = args.includes('--only') ? new Set(args[args.indexOf('--only') + 1]!.split(',')) : undefined;
const runsOf = (w: string) => !only || only.has(w);
const w3Rounds = Number(args[args.indexOf('--w3-rounds') + 1] ?? 0) || 3;
// Throughput bursts per side: 4 by default; on a busy machine one burst in four can halve, so more give a steadier median.
const bursts = args.includes('--bursts') ? Number(args[args.indexOf('--bursts') + 1]) : 4;
const w3Sleeps = Number(args[args.indexOf('--w3-sleeps') + 1] ?? 0) || 50;
const runs = Number(args[args.indexOf('--runs') + 1] ?? 0) || 100;
const eager = !args.includes('--no-eager-start');
// One checkout against itself with other settings (shards, partitions) is a side by side too.
const bindingsOf = (name: string): Record<string, string> | undefined => (args.includes(`--bindings-${name}`) ? (JSON.parse(args[args.indexOf(`--bindings-${name}`) + 1]!) as Record<string, string>) : undefined);
if (dirs.length !== 2) {
  console.error('usage: npx tsx bench/ab.ts <checkout A> <checkout B> [--runs N]');
  process.exit(2);
}

const cpuOf = (pids: number[]) =>
  pids.reduce((sum, pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return sum + ((Number(f[11]) + Number(f[12])) * 1000) / 100;
    } catch {
      return sum;
    }
  }, 0);

interface Side {
  name: string;
  run(workflowType: string, arg: unknown): Promise<unknown>;
  pids: number[];
  /** Runs' first workflow tasks the worker got, by the exchange that brought them. */
  firstTasks: FirstTasks;
  /** The client's starts on shard channels (protocol 8), when its SDK has them. */
  clientChannels(): { sent: number; answered: number } | undefined;
  stop(): Promise<void>;
}

/** First workflow tasks by how they came: a poll of the queue, a poll at a shard (protocol 6), a start's answer (eager). */
type FirstTasks = Record<'queue' | 'shard' | 'eager', number>;

/** Counts the first workflow tasks (no task of the run completed before) the exchanges on `connection` bring. */
function countFirstTasks(connection: { call: (...args: never[]) => Promise<unknown> }): FirstTasks {
  const counts: FirstTasks = { queue: 0, shard: 0, eager: 0 };
  const via: Record<string, keyof FirstTasks> = { pollWorkflowTask: 'queue', pollShardWorkflowTask: 'shard', startWorkflow: 'eager' };
  const call = connection.call.bind(connection) as (endpoint: string, ...rest: unknown[]) => Promise<unknown>;
  connection.call = (async (endpoint: string, ...rest: unknown[]) => {
    const res = (await call(endpoint, ...rest)) as { task?: Task; moreTasks?: Task[]; eagerWorkflowTask?: Task };
    const how = via[endpoint];
    if (how) for (const t of [res.task, ...(res.moreTasks ?? []), res.eagerWorkflowTask]) if (t && t.previousStartedEventId === 0 && !t.query && !t.update) counts[how]++;
    return res;
  }) as never;
  return counts;
}
interface Task {
  previousStartedEventId: number;
  query?: unknown;
  update?: unknown;
}

async function side(name: string, dir: string): Promise<Side> {
  const [{ Client, Connection }, { NativeConnection, Worker, bundleWorkflowCode }, { startLocalService }, activities] = await checkoutModules(dir);
  const before = new Set(workerdPids());
  const dataDir = mkdtempSync(path.join(tmpdir(), `keel-ab-${name}-`));
  const bindings = bindingsOf(name.toLowerCase());
  const service = await startLocalService({ dataDir, ...(bindings ? { bindings } : {}) });
  const pids = workerdPids().filter((p) => !before.has(p));
  const connection = await NativeConnection.connect({ address: service.address });
  const firstTasks = countFirstTasks(connection);
  const worker = await Worker.create({ connection, taskQueue: 'ab', workflowBundle: await bundleWorkflowCode({ workflowsPath: path.join(dir, 'bench/workflows.ts') }), activities, shutdownSignals: [] });
  const running = worker.run();
  const clientConnection = eager ? connection : await Connection.connect({ address: service.address });
  const client = new Client({ connection: clientConnection });
  return {
    name,
    pids,
    run: (workflowType, arg) => client.workflow.execute(workflowType, { taskQueue: 'ab', workflowId: newWorkflowId(`ab-${name}`), args: [arg], requestEagerStart: eager }),
    firstTasks,
    clientChannels: () => (clientConnection as { clientChannels?: { stats: { sent: number; answered: number } } }).clientChannels?.stats,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      await service.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const sides = [await side('A', dirs[0]!), await side('B', dirs[1]!)];
const report: string[] = [`A = ${dirs[0]}`, `B = ${dirs[1]}`, eager ? 'eager workflow start' : 'no eager start: first workflow tasks through the queue', `load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`];

/** Runs `one` on each side in turn, `n` times; returns each side's samples and workerd CPU per call. */
async function alternate(label: string, n: number, one: (s: Side) => Promise<number>, perCall = 1, warmup = 5) {
  for (const s of sides) for (let i = 0; i < warmup; i++) await one(s);
  const samples = sides.map(() => [] as number[]);
  const cpu = sides.map(() => 0);
  for (let i = 0; i < n; i++) {
    // Alternate which side goes first, so neither always follows the other.
    const order = i % 2 === 0 ? [0, 1] : [1, 0];
    for (const k of order) {
      const c0 = cpuOf(sides[k]!.pids);
      samples[k]!.push(await one(sides[k]!));
      cpu[k]! += cpuOf(sides[k]!.pids) - c0;
    }
  }
  const [a, b] = samples.map((s) => stats(s));
  const line = (name: string, s: typeof a, c: number) => `  ${name}: p50 ${s!.p50} · p99 ${s!.p99} (n=${s!.n}) · workerd CPU ${(c / (n * perCall)).toFixed(2)} ms per workflow`;
  report.push(`${label}`, line('A', a, cpu[0]!), line('B', b, cpu[1]!), `  B/A: p50 ${(b!.p50 / a!.p50).toFixed(2)} · p99 ${(b!.p99 / a!.p99).toFixed(2)} · workerd CPU ${(cpu[1]! / cpu[0]!).toFixed(2)}`);
  console.log(report.slice(-4).join('\n'));
}

const timed = async (f: () => Promise<unknown>) => {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
};

if (runsOf('w1')) await alternate(`W1 one activity, sequential start → result (ms), ${runs} per side`, runs, (s) => timed(() => s.run('oneActivity', 'x')));
if (runsOf('w2')) await alternate(`W2 ten sequential activities (ms per workflow), ${Math.ceil(runs / 4)} per side`, Math.ceil(runs / 4), (s) => timed(() => s.run('sequentialActivities', 10)));
// Throughput: bursts of 100 workflows, 50 in flight; the sample is workflows per second.
if (runsOf('throughput')) await alternate(`W1 throughput (workflows/s per burst of 100, 50 in flight), ${bursts} bursts per side`, bursts, async (s) => 100_000 / (await timed(() => pool(100, 50, () => s.run('oneActivity', 'x')))), 100, 1);
// W3: 50 durable sleeps of 1 s started together; the sample is one round's p99 lateness inside the
// workflow (resumed − slept − 1 s), as bench/run.ts's w3 measures it.
if (runsOf('w3')) await alternate(
  `W3 lateness p99 of ${w3Sleeps} concurrent 1 s sleeps (ms, one sample per round), ${w3Rounds} rounds per side`,
  w3Rounds,
  async (s) => {
    const r = (await Promise.all(Array.from({ length: w3Sleeps }, () => s.run('durableSleep', 1000)))) as Array<{ before: number; after: number }>;
    return stats(r.map((x) => x.after - x.before - 1000)).p99;
  },
  w3Sleeps,
  1,
);
report.push('first workflow tasks, by how they reached the worker:');
for (const { name, firstTasks: n } of sides) {
  const all = n.queue + n.shard + n.eager;
  const share = (k: keyof FirstTasks) => `${n[k]} (${((100 * n[k]) / Math.max(1, all)).toFixed(1)}%)`;
  report.push(`  ${name}: ${all} · queue poll ${share('queue')} · shard poll ${share('shard')} · start's answer ${share('eager')}`);
}
report.push('client starts on shard channels (protocol 8):');
for (const s of sides) {
  const c = s.clientChannels();
  report.push(`  ${s.name}: ${c ? `${c.sent} sent, ${c.answered} answered` : 'none (its SDK has no client channels)'}`);
}
for (const s of sides) await s.stop();
report.push(`load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`\n${report.join('\n')}`);
