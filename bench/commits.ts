// Every durable commit a W1 makes, by object: one built checkout's local service (state on disk, as
// keel dev), its workerd traced with strace while W1 workflows run, each fsync and pwrite64 counted by
// the file it went to — which object's SQLite database (the file name is the object's id, derived
// from its name as workerd does), its WAL or its main file (a checkpoint), workerd's alarm index
// (metadata.sqlite), D1. Every commit of a SQLite database in WAL mode is one fsync of its WAL.
//
//   node scripts/build.mjs   # in the checkout
//   npx tsx bench/commits.ts [checkout] [--workflows 200] [--in-flight 1] [--eager-start] [--timeline] [--sleep <ms>] [--w2]
//
// The client starts without eager start (a connection of its own), as `bench/ab.ts --no-eager-start`.
// After the workflows the trace goes on for --settle ms (7000 by default: a shard's alarm is set up to 5 s ahead, NEAR_MS), so that what a W1 leaves
// for later (an alarm a second after its start or close) is counted too. --timeline prints each
// syscall of the last workflow, labelled, with its time from that workflow's start. --sleep runs W3's
// workflow (one durable sleep of that many ms) instead of W1's. --keep-trace keeps strace's output.
import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { checkoutModules, newWorkflowId, pool, workerdPids } from './lib';

const args = process.argv.slice(2);
const valued = ['--workflows', '--in-flight', '--settle', '--sleep'];
const opt = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const dir = path.resolve(args.find((a, i) => !a.startsWith('--') && !valued.includes(args[i - 1]!)) ?? '.');
const workflows = opt('--workflows', 200);
const inFlight = opt('--in-flight', 1);
const settleMs = opt('--settle', 7000);
const eager = args.includes('--eager-start');
const timeline = args.includes('--timeline');
const sleepMs = args.includes('--sleep') ? opt('--sleep', 1000) : undefined;
// --w2: W2's workflow (ten sequential activities) instead of W1's, for the commits of one step.
const w2 = args.includes('--w2');
const NAMESPACE = 'default';
const QUEUE = 'commits';

/** A Durable Object's id from its name, as workerd derives it (src/workerd/server/actor-id-impl.c++), miniflare's unique key `keel-<class>` (the Worker is named keel). */
function objectId(className: string, name: string): string {
  const key = createHash('sha256').update(`keel-${className}`).digest();
  const base = createHmac('sha256', key).update(name).digest().subarray(0, 16);
  return Buffer.concat([base, createHmac('sha256', key).update(base).digest().subarray(0, 16)]).toString('hex');
}

/** Names of the objects a W1 touches, by the file name of their database. */
function knownObjects(): Map<string, string> {
  const known = new Map<string, string>();
  for (let shard = 0; shard < 16; shard++) known.set(objectId('WorkflowObject', JSON.stringify([NAMESPACE, shard])), `workflow shard ${shard}`);
  for (const kind of ['workflow', 'activity'] as const) {
    known.set(objectId('TaskQueueObject', JSON.stringify([NAMESPACE, QUEUE, kind])), `${kind} queue root`);
    for (let p = 1; p < 16; p++) known.set(objectId('TaskQueueObject', JSON.stringify([NAMESPACE, QUEUE, kind, p])), `${kind} queue partition ${p}`);
  }
  return known;
}

/** What a file under the data directory is. */
function label(file: string, known: Map<string, string>): { object: string; part: string } {
  const base = path.basename(file);
  const part = base.endsWith('-wal') ? 'WAL' : base.endsWith('-shm') ? 'shm' : base.endsWith('-journal') ? 'journal' : 'main file';
  const id = base.replace(/\.sqlite(-wal|-shm|-journal)?$/, '');
  if (base.startsWith('metadata.sqlite')) return { object: `alarm index (${path.basename(path.dirname(file))})`, part };
  if (file.includes('/d1/')) return { object: 'D1 (VISIBILITY)', part };
  const name = known.get(id);
  if (name) return { object: name, part };
  if (file.includes('TaskQueueObject')) return { object: 'other task queue (sticky)', part };
  return { object: path.relative(dataDir, path.dirname(file)) + '/' + id.slice(0, 8), part };
}

const [{ Client, Connection }, { NativeConnection, Worker, bundleWorkflowCode }, { startLocalService }, activities] = await checkoutModules(dir);
const before = new Set(workerdPids());
const dataDir = mkdtempSync(path.join(tmpdir(), 'keel-commits-'));
const service = await startLocalService({ dataDir });
const pids = workerdPids().filter((p) => !before.has(p));
const connection = await NativeConnection.connect({ address: service.address });
const worker = await Worker.create({ connection, taskQueue: QUEUE, workflowBundle: await bundleWorkflowCode({ workflowsPath: path.join(dir, 'bench/workflows.ts') }), activities, shutdownSignals: [] });
const running = worker.run();
const client = new Client({ connection: eager ? connection : await Connection.connect({ address: service.address }) });
const [workflowType, arg] = w2 ? ['sequentialActivities', 10] : sleepMs === undefined ? ['oneActivity', 'x'] : ['durableSleep', sleepMs];
const run = () => client.workflow.execute(workflowType, { taskQueue: QUEUE, workflowId: newWorkflowId('commits'), args: [arg], requestEagerStart: eager });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Warm up: every shard and queue object exists and has its schema, the worker's sticky queue too.
await pool(64, 8, run);
await sleep(settleMs);

const traceFile = path.join(dataDir, '..', `${path.basename(dataDir)}.strace`);
const strace = spawn('strace', ['-f', '-y', '-ttt', '-e', 'trace=fsync,fdatasync,pwrite64,pwritev,pwritev2', '-o', traceFile, ...pids.flatMap((p) => ['-p', String(p)])], { stdio: ['ignore', 'ignore', 'pipe'] });
// strace says "Process N attached" for each thread once it traces it.
await new Promise<void>((resolve, reject) => {
  let seen = '';
  strace.stderr.on('data', (d: Buffer) => {
    seen += d.toString();
    if (/attached/.test(seen)) resolve();
  });
  strace.on('exit', (code) => reject(new Error(`strace exited (${code}): ${seen}`)));
});
await sleep(200);
const t0 = Date.now() / 1000;
let lastStart = 0;
await pool(workflows, inFlight, async () => {
  lastStart = Date.now() / 1000;
  await run();
});
const lastEnd = Date.now() / 1000;
await sleep(settleMs);
strace.kill('SIGINT');
await new Promise((r) => strace.once('exit', r));

const known = knownObjects();
const counts = new Map<string, { fsync: number; pwrite: number }>();
const lines: string[] = [];
for (const line of readFileSync(traceFile, 'utf8').split('\n')) {
  const m = /^\d+\s+([\d.]+)\s+(\w+)\(\d+<([^>]+)>/.exec(line);
  if (!m || !m[3]!.startsWith(dataDir)) continue;
  const [, at, call, file] = m;
  const { object, part } = label(file!, known);
  const key = `${object.replace(/^workflow shard \d+$/, 'workflow shards')}\t${part}`;
  const c = counts.get(key) ?? { fsync: 0, pwrite: 0 };
  if (call === 'fsync' || call === 'fdatasync') c.fsync++;
  else c.pwrite++;
  counts.set(key, c);
  if (timeline && Number(at) >= lastStart - 0.001) lines.push(`${((Number(at) - lastStart) * 1000).toFixed(1).padStart(8)} ms  ${call!.padEnd(9)} ${object} · ${part}`);
}

console.log(`checkout ${dir}: ${workflows} ${w2 ? 'W2' : sleepMs === undefined ? 'W1' : `W3 (a ${sleepMs} ms sleep)`}, ${inFlight} in flight, ${eager ? 'eager start' : 'no eager start'}; traced ${(lastEnd - t0).toFixed(1)} s of workflows + ${settleMs} ms after; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('| object | file | fsync per workflow | pwrite64 per workflow |\n| --- | --- | --- | --- |');
let fsyncs = 0;
let pwrites = 0;
for (const [key, c] of [...counts].sort((a, b) => b[1].fsync - a[1].fsync || b[1].pwrite - a[1].pwrite)) {
  const [object, part] = key.split('\t');
  fsyncs += c.fsync;
  pwrites += c.pwrite;
  console.log(`| ${object} | ${part} | ${(c.fsync / workflows).toFixed(2)} | ${(c.pwrite / workflows).toFixed(2)} |`);
}
console.log(`| **all** | | **${(fsyncs / workflows).toFixed(2)}** | **${(pwrites / workflows).toFixed(2)}** |`);
if (timeline) console.log(`\nThe last workflow (0 = its start was sent):\n${lines.join('\n')}`);

worker.shutdown();
await running;
await connection.close();
await service.stop();
if (args.includes('--keep-trace')) console.log(`\nthe trace: ${traceFile} (data directory ${dataDir}, removed)`);
else rmSync(traceFile, { force: true });
rmSync(dataDir, { recursive: true, force: true });
