// The client's CPU per W1 workflow (a start that waits for the result, `client.workflow.execute`),
// side by side for several builds of the SDK client: one local service (this checkout's
// dist/worker, state on disk) and one worker process (this checkout's bench/peers/keel-worker.ts)
// serve every build; each build's Client (loaded from that build's dist/sdk) runs in this process,
// and the W1 window (50 in flight) is cut into slices that alternate between the builds, this
// process's CPU (process.cpuUsage) counted over each build's own slices. A load that comes and goes
// on the machine thus falls on every build alike.
//
//   flock /tmp/keel-bench.lock npx tsx bench/client-cpu.ts [--total 3000] [--slices 10] [--in-flight 50] [--threads] [name=<checkout> …]
//
// With no name=<checkout>, it measures this checkout alone ("this"). A checkout is a directory
// with the repository's files and a built dist/ (`node scripts/build.mjs` there). Run under
// `node --cpu-prof --import tsx bench/client-cpu.ts` to see where this process's time goes.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalService } from 'keel/testing';
import { pool, repoRoot, round } from './lib';
import { spawnReady, stopChild } from './peers/spawn';

const args = process.argv.slice(2);
const value = (n: string) => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
const total = Number(value('--total') ?? 3000);
const slices = Number(value('--slices') ?? 10);
const inFlight = Number(value('--in-flight') ?? 50);
const builds = args.filter((a) => a.includes('=') && !a.startsWith('--')).map((a) => ({ name: a.slice(0, a.indexOf('=')), root: path.resolve(a.slice(a.indexOf('=') + 1)) }));
if (builds.length === 0) builds.push({ name: 'this', root: repoRoot });

console.log(`client CPU per W1 — ${new Date().toISOString()}; ${total} workflows per build in ${slices} alternating slices, ${inFlight} in flight; load ${loadavg().map((x) => round(x)).join(' ')}`);
const dataDir = mkdtempSync(path.join(tmpdir(), 'keel-client-cpu-'));
const service = await startLocalService({ dataDir });
const worker = await spawnReady('keel worker', process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bench', 'peers', 'keel-worker.ts'), service.address], { cwd: repoRoot });

interface Side {
  name: string;
  w1(): Promise<void>;
  close(): Promise<void>;
  cpuMs: number;
  sysMs: number;
  elapsedMs: number;
  perSlice: number[];
}
const sides: Side[] = [];
for (const build of builds) {
  const { Client, Connection } = await import(path.join(build.root, 'dist/sdk/client/index.js'));
  const connection = await Connection.connect({ address: service.address });
  const client = new Client({ connection });
  let seq = 0;
  sides.push({
    name: build.name,
    cpuMs: 0,
    sysMs: 0,
    elapsedMs: 0,
    perSlice: [],
    async w1() {
      const v = `v${++seq}`;
      const got = await client.workflow.execute('oneActivity', { taskQueue: 'bench', workflowId: `ccpu-${build.name}-${seq}`, args: [v] });
      if (got !== v) throw new Error(`W1 returned ${JSON.stringify(got)}`);
    },
    close: () => connection.close(),
  });
}
for (const side of sides) await pool(inFlight * 2, inFlight, () => side.w1());

// --threads: this process's CPU by thread over the whole window (the main thread's JS against V8's
// helper threads, which mostly collect garbage), from /proc.
const threads = () => {
  const m = new Map<string, number>();
  for (const t of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    m.set(t === String(process.pid) ? 'main' : `thread ${t}`, (Number(f[11]) + Number(f[12])) * 10);
  }
  return m;
};
const th0 = args.includes('--threads') ? threads() : undefined;
const perSlice = Math.ceil(total / slices);
for (let s = 0; s < slices; s++) {
  for (const side of sides.map((_, i) => sides[(i + s) % sides.length]!)) {
    const u0 = process.cpuUsage();
    const t0 = performance.now();
    await pool(perSlice, inFlight, () => side.w1());
    side.elapsedMs += performance.now() - t0;
    const u = process.cpuUsage(u0);
    const c = (u.user + u.system) / 1000;
    side.sysMs += u.system / 1000;
    side.cpuMs += c;
    side.perSlice.push(c / perSlice);
  }
}
const runs = perSlice * slices;
if (th0) {
  for (const [name, ms] of threads()) if (ms > (th0.get(name) ?? 0)) console.log(`${name}: ${ms - (th0.get(name) ?? 0)} ms CPU in the window (all builds)`);
}
for (const side of sides) await side.close();
await stopChild(worker);
await service.stop();
rmSync(dataDir, { recursive: true, force: true });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const first = sides[0]!;
console.log(`\n${runs} workflows per build | client ms/W1 (all slices) | ÷ ${first.name} | median of slice ratios | of which system ms/W1 | wf/s`);
for (const side of sides) {
  const ratios = side.perSlice.map((x, i) => x / first.perSlice[i]!);
  console.log(`${side.name} | ${round(side.cpuMs / runs)} | ${round(side.cpuMs / first.cpuMs)} | ${round(median(ratios))} | ${round(side.sysMs / runs)} | ${round((runs / side.elapsedMs) * 1000, 1)}`);
}
console.log(`load at the end ${loadavg().map((x) => round(x)).join(' ')}`);
process.exit(0);
