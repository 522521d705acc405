// The worker process's CPU per W1 workflow, side by side for several builds of the SDK: for each
// build one local service (this checkout's dist/worker, state on disk) and one worker process (that
// build's bench/peers/keel-worker.ts, which loads that build's dist/sdk and bundles its
// bench/workflows.ts), all started up front; then the W1 throughput window (50 in flight) is cut
// into slices that alternate between the builds, each worker's CPU (from /proc) counted over its
// own slices only. A load that comes and goes on the machine thus falls on every build alike
// (fresh processes per round, minutes apart, did not compare on a busy machine). Reports the
// worker's CPU per workflow, workerd's beside it, and the ratio of each build to the first.
//
//   flock /tmp/keel-bench.lock npx tsx bench/worker-cpu.ts [--total 600] [--slices 10] [--in-flight 50] [--prof <dir>] [name=<checkout> …]
//
// With no name=<checkout>, it measures this checkout alone ("this"). A checkout is a directory
// with the repository's files and a built dist/ (e.g. `git archive <commit> | tar -x -C <dir>`,
// node_modules linked, `node scripts/build.mjs`). --prof runs each worker under `node --cpu-prof`
// and writes <dir>/<name>.cpuprofile plus a window file for bench/profile-summary.ts (the window
// spans all slices; the worker idles in the other builds' slices).
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from 'keel/client';
import { startLocalService } from 'keel/testing';
import { commandLine, pool, repoRoot, round } from './lib';
import { descendants } from './peers/proc';
import { spawnReady, stopChild } from './peers/spawn';

const { args, value, builds } = commandLine();
const total = Number(value('--total') ?? 600);
const slices = Number(value('--slices') ?? 10);
const inFlight = Number(value('--in-flight') ?? 50);
const profDir = value('--prof') ? path.resolve(value('--prof')!) : undefined;
if (builds.length === 0) builds.push({ name: 'this', root: repoRoot });

const cpuMs = (pids: number[]) => descendants().filter((p) => pids.includes(p.pid)).reduce((a, p) => a + p.cpuMs, 0);

interface Side {
  name: string;
  worker: Awaited<ReturnType<typeof spawnReady>>;
  workerd: number[];
  stop(): Promise<void>;
  w1(): Promise<void>;
  prof?: string;
  workerMs: number;
  workerdMs: number;
  elapsedMs: number;
  /** The worker's CPU per workflow in each slice. */
  perSlice: number[];
}

console.log(`worker CPU per W1 — ${new Date().toISOString()}; ${total} workflows per build in ${slices} alternating slices, ${inFlight} in flight; load ${loadavg().map((x) => round(x)).join(' ')}`);
const sides: Side[] = [];
for (const build of builds) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'keel-worker-cpu-'));
  const before = new Set(descendants().map((p) => p.pid));
  const service = await startLocalService({ dataDir });
  const workerd = descendants().filter((p) => p.comm === 'workerd' && !before.has(p.pid)).map((p) => p.pid);
  const prof = profDir ? mkdtempSync(path.join(tmpdir(), 'keel-worker-prof-')) : undefined;
  const worker = await spawnReady('keel worker', process.execPath, [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), '--import', 'tsx', path.join(build.root, 'bench', 'peers', 'keel-worker.ts'), service.address], { cwd: build.root });
  const connection = await Connection.connect({ address: service.address });
  const client = new Client({ connection });
  let seq = 0;
  sides.push({
    name: build.name,
    worker,
    workerd,
    ...(prof ? { prof } : {}),
    workerMs: 0,
    workerdMs: 0,
    elapsedMs: 0,
    perSlice: [],
    async w1() {
      const v = `v${++seq}`;
      const got = await client.workflow.execute('oneActivity', { taskQueue: 'bench', workflowId: `wcpu-${build.name}-${seq}`, args: [v] });
      if (got !== v) throw new Error(`W1 returned ${JSON.stringify(got)}`);
    },
    async stop() {
      await stopChild(worker);
      await connection.close();
      await service.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
for (const side of sides) await pool(inFlight * 2, inFlight, () => side.w1());

const perSlice = Math.ceil(total / slices);
const startUs = Number(process.hrtime.bigint() / 1000n);
for (let s = 0; s < slices; s++) {
  // Each slice in a rotated order, so that no build always follows the same one.
  for (const side of sides.map((_, i) => sides[(i + s) % sides.length]!)) {
    const w0 = cpuMs([side.worker.pid!]);
    const wd0 = cpuMs(side.workerd);
    const t0 = performance.now();
    await pool(perSlice, inFlight, () => side.w1());
    side.elapsedMs += performance.now() - t0;
    const w = cpuMs([side.worker.pid!]) - w0;
    side.workerMs += w;
    side.workerdMs += cpuMs(side.workerd) - wd0;
    side.perSlice.push(w / perSlice);
  }
}
const endUs = Number(process.hrtime.bigint() / 1000n);
const runs = perSlice * slices;
for (const side of sides) {
  await side.stop();
  if (side.prof && profDir) {
    mkdirSync(profDir, { recursive: true });
    const file = readdirSync(side.prof).find((f) => f.endsWith('.cpuprofile'));
    if (file) {
      renameSync(path.join(side.prof, file), path.join(profDir, `${side.name}.cpuprofile`));
      writeFileSync(path.join(profDir, `${side.name}.window.json`), JSON.stringify({ startUs, endUs, runs }) + '\n');
    }
    rmSync(side.prof, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const first = sides[0]!;
console.log(`\n${runs} workflows per build | worker ms/W1 (all slices) | ÷ ${first.name} | median of slice ratios | workerd ms/W1 | wf/s`);
for (const side of sides) {
  const ratios = side.perSlice.map((x, i) => x / first.perSlice[i]!);
  console.log(`${side.name} | ${round(side.workerMs / runs)} | ${round(side.workerMs / first.workerMs)} | ${round(median(ratios))} | ${round(side.workerdMs / runs)} | ${round((runs / side.elapsedMs) * 1000, 1)}`);
}
console.log(`load at the end ${loadavg().map((x) => round(x)).join(' ')}`);
process.exit(0);
