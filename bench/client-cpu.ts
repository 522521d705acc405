// The client's CPU per W1 workflow (a start that waits for the result, `client.workflow.execute`),
// side by side for several builds of the SDK client: one local service (this checkout's
// dist/worker, state on disk) and one worker process (this checkout's bench/peers/keel-worker.ts)
// serve every build; each build's Client (loaded from that build's dist/sdk) runs in this process,
// and the W1 window (50 in flight) is cut into slices that alternate between the builds, this
// process's CPU (process.cpuUsage) counted over each build's own slices. A load that comes and goes
// on the machine thus falls on every build alike.
//
//   flock /tmp/keel-bench.lock npx tsx bench/client-cpu.ts [--total 3000] [--slices 10] [--in-flight 50] [--threads] [--plain] [name=<checkout> …]
//
// --plain puts a bare node:http server in place of the service and the worker, answering every
// start at once with a completed W1's answer (as the service words it): only the client's own CPU
// is left, without the machine's two cores shared with workerd and the worker.
//
// With no name=<checkout>, it measures this checkout alone ("this"). A checkout is a directory
// with the repository's files and a built dist/ (`node scripts/build.mjs` there). Run under
// `node --cpu-prof --import tsx bench/client-cpu.ts` to see where this process's time goes.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalService } from 'keel/testing';
import { commandLine, pool, repoRoot, round } from './lib';
import { spawnReady, stopChild } from './peers/spawn';

const { args, value, builds } = commandLine();
const total = Number(value('--total') ?? 3000);
const slices = Number(value('--slices') ?? 10);
const inFlight = Number(value('--in-flight') ?? 50);
if (builds.length === 0) builds.push({ name: 'this', root: repoRoot });

console.log(`client CPU per W1 — ${new Date().toISOString()}; ${total} workflows per build in ${slices} alternating slices, ${inFlight} in flight; load ${loadavg().map((x) => round(x)).join(' ')}`);
const plain = args.includes('--plain');
const dataDir = mkdtempSync(path.join(tmpdir(), 'keel-client-cpu-'));
const service = plain ? await startPlainService() : await startLocalService({ dataDir });
const worker = plain ? undefined : await spawnReady('keel worker', process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bench', 'peers', 'keel-worker.ts'), service.address], { cwd: repoRoot });

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
      if (got !== (plain ? 'v1' : v)) throw new Error(`W1 returned ${JSON.stringify(got)}`);
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
if (worker) await stopChild(worker);
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
  console.log(`${side.name} | ${round(side.cpuMs / runs, 3)} | ${round(side.cpuMs / first.cpuMs)} | ${round(median(ratios))} | ${round(side.sysMs / runs, 3)} | ${round((runs / side.elapsedMs) * 1000, 1)}`);
}
console.log(`load at the end ${loadavg().map((x) => round(x)).join(' ')}`);
process.exit(0);

/** A node:http server in another process that answers every request with a completed W1 start (see --plain). */
async function startPlainService(): Promise<{ address: string; stop(): Promise<void> }> {
  const script = `
    const answer = JSON.stringify({ runId: '48ea8dea-0626-426b-b365-324e82a5b902', started: true, closeEvent: { eventId: 11, eventTime: '2026-12-06T22:57:43.173Z', eventType: 'WorkflowExecutionCompleted', attributes: { result: { metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'InYxIg==' }, workflowTaskCompletedEventId: 10 } } });
    const server = require('node:http').createServer({ keepAliveTimeout: 60000 }, (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer));
    });
    server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (d: Buffer) => resolve(String(d).trim().split(' ')[1]!));
  });
  return {
    address: `127.0.0.1:${port}`,
    async stop() {
      child.kill();
    },
  };
}
