// The peers bench: the standard workloads on Keel, Keel's floor (bench/floor, engine floor-lean-ws), Restate and
// Cloudflare Workflows (local workerd), one engine at a time, in interleaved rounds, with one
// client driver and one set of statistics (driver.ts). Writes the side-by-side table into
// bench/RESULTS.md (between the peers markers) and every number into bench/results/.
//
//   npm run bench:peers                               # 3 rounds, all engines, full workloads
//   npm run bench:peers -- --quick --rounds 1         # a few minutes: fewer runs and workflows
//   npm run bench:peers -- --engines keel,restate     # some engines
//   npm run bench:peers -- --quick --rounds 1 --engines floor-parts   # Keel, Restate and the floor's
//                                                     # variants; writes "Where the floor's time goes"
//   options: --rounds N, --quick, --engines a,b, --no-write (print only), --out <json>
//
// Each engine and round runs in its own process (child.ts) with its own fresh state
// directory on disk; the engines' CPU is that of the processes the child started. Runs under
// `flock /tmp/keel-bench.lock` (the package script takes it), since the machine is shared.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo, repoRoot, round } from '../lib';
import type { EngineResult } from './driver';
import { DEFAULT_ENGINES, ENGINES, FLOOR_PARTS, type EngineName } from './engine';
import { floorPartsSection } from './floor-parts';
import { ratioTable } from './ratios';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const value = (n: string) => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
const quick = args.includes('--quick');
const rounds = Math.max(1, Number(value('--rounds') ?? 3));
const floorParts = value('--engines') === 'floor-parts';
const engines = (floorParts ? FLOOR_PARTS : (value('--engines')?.split(',') ?? DEFAULT_ENGINES)) as EngineName[];
for (const e of engines) if (!ENGINES.includes(e)) throw new Error(`unknown engine ${e}; choose from ${ENGINES.join(', ')}`);
const started = new Date();
const out = path.resolve(value('--out') ?? path.join(repoRoot, 'bench', 'results', `peers-${started.toISOString().slice(0, 16).replace(':', '')}.json`));

// The peers' own dependencies (Restate), installed from their lockfile when missing.
if (engines.includes('restate') && !existsSync(path.join(here, 'node_modules', '@restatedev', 'restate-server'))) {
  console.log('installing bench/peers dependencies (npm ci --prefix bench/peers) …');
  const r = spawnSync('npm', ['ci', '--prefix', here, '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
if (engines.includes('keel') && !existsSync(path.join(repoRoot, 'dist', 'worker', 'index.js'))) {
  console.error('dist/ is missing: run `node scripts/build.mjs` first (npm run bench:peers does)');
  process.exit(1);
}

const machine = machineInfo();
const command = `npm run bench:peers --${args.length ? ' ' + args.join(' ') : ''}`;
console.log(`peers bench — ${started.toISOString()}; ${rounds} round(s)${quick ? ', quick' : ''}; engines: ${engines.join(', ')}`);
console.log(`machine: ${machine.nproc} cores, ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadavgAtStart.join(' ')}`);

const results: Record<string, EngineResult[]> = {};
const loads: Array<{ round: number; engine: string; loadBefore: number[]; loadAfter: number[]; seconds: number }> = [];
for (let r = 0; r < rounds; r++) {
  // Interleaved: every round runs every engine once, each round in a rotated order, so that a
  // load that comes and goes spreads over all of them.
  const order = engines.map((_, i) => engines[(i + r) % engines.length]!);
  for (const engine of order) {
    const tmp = path.join(tmpdir(), `peers-${process.pid}-${engine}-${r}.json`);
    const loadBefore = loadavg().map((x) => round(x));
    const t0 = performance.now();
    console.log(`round ${r + 1}/${rounds}: ${engine} (load ${loadBefore.join(' ')})`);
    const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'child.ts'), '--engine', engine, '--out', tmp, ...(quick ? ['--quick'] : [])], { stdio: ['ignore', 'inherit', 'inherit'], cwd: repoRoot });
    const seconds = round((performance.now() - t0) / 1000, 1);
    loads.push({ round: r + 1, engine, loadBefore, loadAfter: loadavg().map((x) => round(x)), seconds });
    if (res.status !== 0 || !existsSync(tmp)) {
      console.error(`  ${engine} failed in round ${r + 1} (exit ${res.status ?? res.signal}); left out of this round`);
      continue;
    }
    (results[engine] ??= []).push(JSON.parse(readFileSync(tmp, 'utf8')) as EngineResult);
    rmSync(tmp, { force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const med = (e: string, f: (r: EngineResult) => number) => round(median((results[e] ?? []).map(f)), 2);

export interface Row {
  engine: string;
  label: string;
  rounds: number;
  w1P50: number;
  w1PerSecond: number;
  w2MsPerStep: number;
  w3P99_20: number;
  w3P99_50: number;
  cpuMsPerWorkflow: number;
  cpuByProcess: Record<string, number>;
}
const rows: Row[] = engines
  .filter((e) => results[e]?.length)
  .map((e) => {
    const procs = new Set(results[e]!.flatMap((r) => Object.keys(r.w1Throughput.byProcessMsPerWorkflow)));
    return {
      engine: e,
      label: results[e]![0]!.engine,
      rounds: results[e]!.length,
      w1P50: med(e, (r) => r.w1.p50),
      w1PerSecond: med(e, (r) => r.w1Throughput.perSecond),
      w2MsPerStep: med(e, (r) => r.w2.msPerStep),
      w3P99_20: med(e, (r) => r.w3['20']!.p99),
      w3P99_50: med(e, (r) => r.w3['50']!.p99),
      cpuMsPerWorkflow: med(e, (r) => r.w1Throughput.cpuMsPerWorkflow),
      cpuByProcess: Object.fromEntries([...procs].map((p) => [p, med(e, (r) => r.w1Throughput.byProcessMsPerWorkflow[p] ?? 0)])),
    };
  });

const loadEnd = loadavg().map((x) => round(x));
const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const cpuCell = (r: Row) =>
  `${fmt(r.cpuMsPerWorkflow)} (${Object.entries(r.cpuByProcess)
    .filter(([, v]) => v >= 0.05)
    .sort(([, a], [, b]) => b - a)
    .map(([k, v]) => `${fmt(v)} ${k}`)
    .join(' + ')})`;
const table = [
  '| engine | W1 p50 | W1 wf/s (' + (quick ? '300' : '1,000') + ', 50 in flight) | W2 ms/step | W3 lateness p99 (20 / 50 sleeps) | engine CPU ms/workflow (by process) | rounds |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.engine === 'keel' ? `**${r.label}**` : r.label} | ${fmt(r.w1P50)} ms | ${fmt(r.w1PerSecond)} | ${fmt(r.w2MsPerStep, 2)} | ${fmt(r.w3P99_20, 0)} / ${fmt(r.w3P99_50, 0)} ms | ${cpuCell(r)} | ${r.rounds} |`),
];
const section = [
  `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC: \`${command}\` (${rounds} interleaved round(s)${quick ? ', quick: 50 W1 runs, 300 workflows for throughput, 15 W2 runs, 1 round of sleeps' : ''}; the median of the rounds).`,
  `Machine: \`nproc\` = ${machine.nproc}, ${machine.cpuModel}, Node ${machine.node}. Load average ${machine.loadavgAtStart.join(' / ')} at the start, ${loadEnd.join(' / ')} at the end` +
    ` (per engine and round in the JSON); other engineers were working on the machine, so absolute numbers are inflated and only same-run ratios mean anything. All numbers: \`${path.relative(repoRoot, out)}\`.`,
  '',
  ...table,
  ...ratioTable(rows),
].join('\n');
console.log('\n' + section + '\n');

mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date: started.toISOString(), command, quick, rounds, machine: { ...machine, loadavgAtEnd: loadEnd }, loads, rows, results }, null, 2) + '\n');
console.log(`wrote ${path.relative(process.cwd(), out)}`);

// The floor's variants have their own section (the peers table stays the peers').
const [begin, end, body] = floorParts
  ? ['<!-- floor-parts:begin (written by bench/peers/run.ts --engines floor-parts) -->', '<!-- floor-parts:end -->', floorPartsSection({ rows, loads, results, command: `flock /tmp/keel-bench.lock npx tsx bench/peers/run.ts ${args.join(' ')}`, started, machine: { ...machine, loadavgAtEnd: loadEnd }, json: path.relative(repoRoot, out) })]
  : ['<!-- peers:begin (written by npm run bench:peers) -->', '<!-- peers:end -->', section];
if (floorParts) console.log('\n' + body + '\n');
if (!args.includes('--no-write')) {
  const file = path.join(repoRoot, 'bench', 'RESULTS.md');
  const text = readFileSync(file, 'utf8');
  if (!text.includes(begin) || !text.includes(end)) {
    console.error(`bench/RESULTS.md has no ${begin} markers; the section is printed above`);
  } else {
    writeFileSync(file, text.slice(0, text.indexOf(begin) + begin.length) + '\n' + body + '\n' + text.slice(text.indexOf(end)));
    console.log(`updated bench/RESULTS.md (${floorParts ? 'floor-parts' : 'peers'} section)`);
  }
}
process.exit(rows.length === engines.length ? 0 : 1);
