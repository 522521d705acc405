// "Where the floor's time goes": the table of the floor's variants (bench/floor/worker.js),
// side by side with Keel and Restate, and what each component of Keel's protocol costs per
// W1, as the difference between the floor and the variant that removes (or adds) it. Written
// by `bench/peers/run.ts --engines floor-parts` into bench/RESULTS.md.
import type { MachineInfo } from '../lib';
import type { EngineResult } from './driver';
import type { Row } from './run';

interface Load {
  round: number;
  engine: string;
  loadBefore: number[];
}

interface Input {
  rows: Row[];
  loads: Load[];
  results: Record<string, EngineResult[]>;
  command: string;
  started: Date;
  machine: MachineInfo & { loadavgAtEnd: number[] };
  json: string;
}

/** A component and how its cost per unit is read from two variants: (a − b) ÷ units. */
export const COMPONENTS: Array<{ what: string; a: string; b: string; units: number; note: string }> = [
  { what: 'new object + its SQLite file (and its schema transaction)', a: 'floor', b: 'floor-shard', units: 1, note: 'floor − floor-shard' },
  { what: 'a Durable Object request', a: 'floor-xrpc', b: 'floor', units: 8, note: '(floor-xrpc − floor) ÷ 8' },
  { what: 'a SQLite transaction (one row, summary row when it changes)', a: 'floor', b: 'floor-nosql', units: 6, note: '(floor − floor-nosql) ÷ 6' },
  { what: 'a setAlarm', a: 'floor', b: 'floor-noalarm', units: 6, note: '(floor − floor-noalarm) ÷ 6' },
  { what: 'a D1 write (and the summary-row delete after it)', a: 'floor', b: 'floor-nod1', units: 2, note: '(floor − floor-nod1) ÷ 2' },
  { what: 'an HTTP exchange, worker → Worker', a: 'floor-xhttp', b: 'floor', units: 4, note: '(floor-xhttp − floor) ÷ 4' },
  { what: 'group commit, per W1 (5 transactions in a shard → shared)', a: 'floor-shard', b: 'floor-shard-gc', units: 1, note: 'floor-shard − floor-shard-gc' },
  { what: "the lean design's exchanges over HTTP instead of shard channels (a WebSocket per shard), per W1", a: 'floor-lean', b: 'floor-lean-ws', units: 1, note: 'floor-lean − floor-lean-ws' },
];

const fmt = (x: number | undefined, d = 1) => (x !== undefined && Number.isFinite(x) ? x.toFixed(d) : '—');
const signed = (x: number, d = 2) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(d)}` : '—');

export function floorPartsSection({ rows, loads, results, command, started, machine, json }: Input): string {
  const by = new Map(rows.map((r) => [r.engine, r]));
  // The server (workerd, restate-server) and the worker (node), per W1.
  const server = (r: Row) => r.cpuMsPerWorkflow - node(r);
  const node = (r: Row) => r.cpuByProcess.node ?? 0;
  const load = (e: string) =>
    loads
      .filter((l) => l.engine === e)
      .map((l) => l.loadBefore[0])
      .join(', ');
  // Other people's CPU during the throughput window, in cores (of 2): what inflates CPU per W1.
  const others = (e: string) => (results[e] ?? []).map((r) => fmt(r.w1Throughput.cpu.otherMs / r.w1Throughput.cpu.wallMs, 2)).join(', ');
  const floor = by.get('floor');
  const variants = [
    '| engine | W1 wf/s (300, 50 in flight) | W1 p50 | W2 ms/step | engine CPU ms per W1 (server + worker) | CPU vs floor | load at its start; others\' cores while measured |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| \`${r.engine}\`: ${r.label} | ${fmt(r.w1PerSecond)} | ${fmt(r.w1P50)} ms | ${fmt(r.w2MsPerStep, 2)} | ${fmt(r.cpuMsPerWorkflow)} (${fmt(server(r))} + ${fmt(node(r))}) | ${floor && r.engine !== 'floor' ? signed(r.cpuMsPerWorkflow - floor.cpuMsPerWorkflow, 1) : ''} | ${load(r.engine)}; ${others(r.engine)} |`,
    ),
  ];
  const parts = [
    '| component | CPU ms per unit (workerd / node) | wf/s of the two variants | read as |',
    '| --- | --- | --- | --- |',
    ...COMPONENTS.filter((c) => by.has(c.a) && by.has(c.b)).map((c) => {
      const a = by.get(c.a)!;
      const b = by.get(c.b)!;
      const per = (f: (r: Row) => number) => (f(a) - f(b)) / c.units;
      return `| ${c.what} | ${signed(per((r) => r.cpuMsPerWorkflow))} (${signed(per(server))} / ${signed(per(node))}) | ${fmt(a.w1PerSecond)} vs ${fmt(b.w1PerSecond)} | ${c.note} |`;
    }),
  ];
  return [
    `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC: \`${command}\` (one child process per engine, state on disk; quick: 300 W1 for throughput, 50 in flight; CPU = every process of the engine over that window ÷ 300).`,
    `Machine: \`nproc\` = ${machine.nproc}, ${machine.cpuModel}, Node ${machine.node}. Load average ${machine.loadavgAtStart.join(' / ')} at the start, ${machine.loadavgAtEnd.join(' / ')} at the end. All numbers: \`${json}\`.`,
    '',
    ...variants,
    '',
    'What each component costs, per unit, from the two variants that differ by it (engine CPU per W1; > 0 = it costs):',
    '',
    ...parts,
  ].join('\n');
}
