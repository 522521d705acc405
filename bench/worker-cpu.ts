// The worker process's CPU per W1 workflow, side by side for several builds of the SDK: one local
// service (this checkout's dist/worker, state on disk), and for each round and each build a fresh
// worker process (that build's bench/peers/keel-worker.ts, which loads that build's dist/sdk and
// bundles its bench/workflows.ts), driven through the same W1 throughput window (50 in flight).
// Reports the worker's CPU (from /proc) per workflow, workerd's beside it, and the ratio of each
// build to the first.
//
//   flock /tmp/keel-bench.lock npx tsx bench/worker-cpu.ts [--total 600] [--rounds 2] [--in-flight 50] [--prof <dir>] [name=<checkout> …]
//
// With no name=<checkout>, it measures this checkout alone ("this"). A checkout is a directory
// with the repository's files and a built dist/ (e.g. `git archive <commit> | tar -x -C <dir>`,
// node_modules linked, `node scripts/build.mjs`). --prof runs each worker under `node --cpu-prof`
// and writes <dir>/<name>-<round>.cpuprofile plus a window file for bench/profile-summary.ts.
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from 'keel/client';
import { startLocalService } from 'keel/testing';
import { pool, repoRoot, round } from './lib';
import { descendants } from './peers/proc';
import { spawnReady, stopChild } from './peers/spawn';

const args = process.argv.slice(2);
const value = (n: string) => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
const total = Number(value('--total') ?? 600);
const rounds = Number(value('--rounds') ?? 2);
const inFlight = Number(value('--in-flight') ?? 50);
const profDir = value('--prof') ? path.resolve(value('--prof')!) : undefined;
const builds = args.filter((a) => a.includes('=') && !a.startsWith('--')).map((a) => ({ name: a.slice(0, a.indexOf('=')), root: path.resolve(a.slice(a.indexOf('=') + 1)) }));
if (builds.length === 0) builds.push({ name: 'this', root: repoRoot });

function cpuMs(pid: number): number {
  return descendants().find((p) => p.pid === pid)?.cpuMs ?? NaN;
}

interface Sample {
  build: string;
  round: number;
  workerMsPerWf: number;
  workerdMsPerWf: number;
  perSecond: number;
  load: number[];
}

const samples: Sample[] = [];
console.log(`worker CPU per W1 — ${new Date().toISOString()}; ${total} workflows, ${inFlight} in flight, ${rounds} round(s); load ${loadavg().map((x) => round(x)).join(' ')}`);
for (let r = 0; r < rounds; r++) {
  // Interleaved, each round in a rotated order, so that a load that comes and goes spreads over all builds.
  for (const build of builds.map((_, i) => builds[(i + r) % builds.length]!)) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'keel-worker-cpu-'));
    const service = await startLocalService({ dataDir });
    const prof = profDir ? mkdtempSync(path.join(tmpdir(), 'keel-worker-prof-')) : undefined;
    const worker = await spawnReady('keel worker', process.execPath, [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), '--import', 'tsx', path.join(build.root, 'bench', 'peers', 'keel-worker.ts'), service.address], { cwd: build.root });
    const connection = await Connection.connect({ address: service.address });
    const client = new Client({ connection });
    let seq = 0;
    const w1 = async () => {
      const v = `v${++seq}`;
      const got = await client.workflow.execute('oneActivity', { taskQueue: 'bench', workflowId: `wcpu-${r}-${build.name}-${seq}`, args: [v] });
      if (got !== v) throw new Error(`W1 returned ${JSON.stringify(got)}`);
    };
    await pool(inFlight * 2, inFlight, w1);
    const workerd = descendants().filter((p) => p.comm === 'workerd');
    const wd0 = workerd.reduce((a, p) => a + p.cpuMs, 0);
    const w0 = cpuMs(worker.pid!);
    const startUs = Number(process.hrtime.bigint() / 1000n);
    const t0 = performance.now();
    await pool(total, inFlight, w1);
    const elapsed = performance.now() - t0;
    const endUs = Number(process.hrtime.bigint() / 1000n);
    const workerMs = cpuMs(worker.pid!) - w0;
    const workerdMs = descendants().filter((p) => p.comm === 'workerd').reduce((a, p) => a + p.cpuMs, 0) - wd0;
    const s: Sample = { build: build.name, round: r + 1, workerMsPerWf: round(workerMs / total), workerdMsPerWf: round(workerdMs / total), perSecond: round((total / elapsed) * 1000, 1), load: loadavg().map((x) => round(x)) };
    samples.push(s);
    console.log(`round ${r + 1} ${build.name}: worker ${s.workerMsPerWf} ms/W1, workerd ${s.workerdMsPerWf} ms/W1, ${s.perSecond} wf/s (load ${s.load.join(' ')})`);
    await stopChild(worker);
    await connection.close();
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (prof && profDir) {
      mkdirSync(profDir, { recursive: true });
      const file = readdirSync(prof).find((f) => f.endsWith('.cpuprofile'));
      if (file) {
        renameSync(path.join(prof, file), path.join(profDir, `${build.name}-${r + 1}.cpuprofile`));
        writeFileSync(path.join(profDir, `${build.name}-${r + 1}.window.json`), JSON.stringify({ startUs, endUs, runs: total }) + '\n');
      }
      rmSync(prof, { recursive: true, force: true });
    }
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const first = builds[0]!.name;
const med = (b: string, f: (s: Sample) => number) => median(samples.filter((s) => s.build === b).map(f));
console.log(`\nmedian of ${rounds} round(s) | worker ms/W1 | ÷ ${first} | workerd ms/W1 | wf/s`);
for (const b of builds) {
  const w = med(b.name, (s) => s.workerMsPerWf);
  console.log(`${b.name} | ${round(w)} | ${round(w / med(first, (s) => s.workerMsPerWf))} | ${round(med(b.name, (s) => s.workerdMsPerWf))} | ${round(med(b.name, (s) => s.perSecond), 1)}`);
}
console.log(`load at the end ${loadavg().map((x) => round(x)).join(' ')}`);
