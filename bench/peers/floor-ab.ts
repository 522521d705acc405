// The floor's variants, interleaved finely so that a shared machine's load falls on all of them
// alike: every variant runs at once (each its own workerd and null worker, idle between its
// turns), and in each of R rounds each variant in turn runs a batch of N W1 workflows, 50 in
// flight, measuring the CPU of its own processes only. The median of the rounds, per variant,
// and what each component costs per W1 (bench/peers/floor-parts.ts reads them the same way).
//
//   flock /tmp/keel-bench.lock npx tsx bench/peers/floor-ab.ts [--rounds 5] [--n 150] [--engines a,b]
//
// Prints a Markdown table; writes every batch to bench/results/floor-ab-<date>.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pool, repoRoot, round } from '../lib';
import { loadEngine, type EngineName } from './engine';
import type { Engine } from './engine';
import { COMPONENTS } from './floor-parts';
import { closeHttp } from './http';
import { descendants, machineBusyMs } from './proc';

const args = process.argv.slice(2);
const value = (n: string) => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
const rounds = Number(value('--rounds') ?? 5);
const n = Number(value('--n') ?? 150);
const names = (value('--engines')?.split(',') ?? ['floor', 'floor-noalarm', 'floor-nod1', 'floor-nosql', 'floor-xrpc', 'floor-xhttp', 'floor-shard', 'floor-shard-gc', 'floor-lean', 'floor-lean-ws']) as EngineName[];
const started = new Date();

interface Running {
  name: EngineName;
  engine: Engine;
  pids: Set<number>;
  stateDir: string;
}
const running: Running[] = [];
for (const name of names) {
  const before = new Set(descendants().map((p) => p.pid));
  const stateDir = mkdtempSync(path.join(tmpdir(), `floor-ab-${name}-`));
  const engine = await (await loadEngine(name))({ stateDir });
  const pids = new Set(descendants().filter((p) => !before.has(p.pid) && p.comm !== 'esbuild').map((p) => p.pid));
  running.push({ name, engine, pids, stateDir });
  console.log(`${name}: started (processes ${[...pids].join(', ')})`);
}

/** CPU ms so far of the given processes, by name. */
const cpuOf = (pids: Set<number>) => {
  const by: Record<string, number> = {};
  for (const p of descendants()) if (pids.has(p.pid)) by[p.comm] = (by[p.comm] ?? 0) + p.cpuMs;
  return by;
};

let seq = 0;
const w1 = async (r: Running) => {
  const v = `v${++seq}`;
  if ((await r.engine.w1(`ab-${process.pid}-${seq}`, v)) !== v) throw new Error(`${r.name}: wrong W1 result`);
};

interface Batch {
  round: number;
  engine: string;
  cpuMsPerW1: number;
  byProcess: Record<string, number>;
  perSecond: number;
  otherCores: number;
}
const batches: Batch[] = [];
// Warm-up: each variant's objects, connections and JIT.
for (const r of running) await pool(n, 50, () => w1(r));
for (let round_ = 0; round_ < rounds; round_++) {
  const order = running.map((_, i) => running[(i + round_) % running.length]!);
  for (const r of order) {
    const c0 = cpuOf(r.pids);
    const m0 = machineBusyMs();
    const all0 = descendants().reduce((a, p) => a + p.cpuMs, 0) + (process.cpuUsage().user + process.cpuUsage().system) / 1000;
    const t0 = performance.now();
    await pool(n, 50, () => w1(r));
    const wall = performance.now() - t0;
    const c1 = cpuOf(r.pids);
    const all1 = descendants().reduce((a, p) => a + p.cpuMs, 0) + (process.cpuUsage().user + process.cpuUsage().system) / 1000;
    const byProcess = Object.fromEntries(Object.keys(c1).map((k) => [k, round((c1[k]! - (c0[k] ?? 0)) / n)]));
    const total = Object.values(byProcess).reduce((a, b) => a + b, 0);
    const otherCores = Math.max(0, machineBusyMs() - m0 - (all1 - all0)) / wall;
    batches.push({ round: round_ + 1, engine: r.name, cpuMsPerW1: round(total), byProcess, perSecond: round((n / wall) * 1000, 1), otherCores: round(otherCores) });
    console.log(`round ${round_ + 1} ${r.name}: ${round(total)} ms/W1 ${JSON.stringify(byProcess)}, ${round((n / wall) * 1000, 1)} wf/s, others ${round(otherCores)} cores`);
  }
}
for (const r of running) {
  await r.engine.stop();
  rmSync(r.stateDir, { recursive: true, force: true });
}
closeHttp();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const med = (e: string, f: (b: Batch) => number) => median(batches.filter((b) => b.engine === e).map(f));
const cpu = (e: string) => med(e, (b) => b.cpuMsPerW1);
const workerd = (e: string) => med(e, (b) => b.byProcess.workerd ?? 0);
const node = (e: string) => med(e, (b) => b.byProcess.node ?? 0);
const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const s = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}` : '—');
const lines = [
  `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC: \`flock /tmp/keel-bench.lock npx tsx bench/peers/floor-ab.ts ${args.join(' ')}\` (${rounds} rounds × ${n} W1 per variant, 50 in flight, variants interleaved; medians of the rounds). Load average at the end ${loadavg().map((x) => round(x)).join(' / ')}.`,
  '',
  '| engine | CPU ms per W1 (workerd + node) | min–max of the rounds | W1 wf/s | others\' cores while measured (median) |',
  '| --- | --- | --- | --- | --- |',
  ...names.map((e) => {
    const xs = batches.filter((b) => b.engine === e).map((b) => b.cpuMsPerW1);
    return `| \`${e}\` | ${f(cpu(e))} (${f(workerd(e))} + ${f(node(e))}) | ${f(Math.min(...xs))}–${f(Math.max(...xs))} | ${f(med(e, (b) => b.perSecond), 1)} | ${f(med(e, (b) => b.otherCores))} |`;
  }),
  '',
  '| component | CPU ms per unit (workerd / node) | read as |',
  '| --- | --- | --- |',
  ...COMPONENTS.filter((c) => names.includes(c.a as EngineName) && names.includes(c.b as EngineName)).map(
    (c) => `| ${c.what} | ${s((cpu(c.a) - cpu(c.b)) / c.units)} (${s((workerd(c.a) - workerd(c.b)) / c.units)} / ${s((node(c.a) - node(c.b)) / c.units)}) | ${c.note} |`,
  ),
];
console.log('\n' + lines.join('\n'));
const out = path.join(repoRoot, 'bench', 'results', `floor-ab-${started.toISOString().slice(0, 16).replace(':', '')}.json`);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date: started.toISOString(), args, batches, table: lines }, null, 2) + '\n');
console.log(`wrote ${path.relative(process.cwd(), out)}`);
process.exit(0);
