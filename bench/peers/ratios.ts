// The ratio rows under the peers table: each the first engine's number over the second's, the
// throughput inverted so that > 1 reads "slower or costlier" in every column. Keel's floor is
// KEELS_FLOOR (engine.ts): the floor of the design Keel has now, not of the one it had.
import { KEELS_FLOOR } from './engine';
import type { Row } from './run';

/** Each ratio row: its name, and the two engines it divides. Printed when both ran. */
export const RATIOS: Array<[name: string, a: string, b: string]> = [
  ['Keel ÷ Keel before (`keel-before`: another build, KEEL_BENCH_BEFORE_SCRIPT)', 'keel', 'keel-before'],
  ['Keel ÷ its floor', 'keel', KEELS_FLOOR],
  ['floor ÷ Restate', KEELS_FLOOR, 'restate'],
  ['floor over shard channels ÷ lean floor over HTTP', 'floor-lean-ws', 'floor-lean'],
  ['floor of 2026-12-05 over one WebSocket ÷ its HTTP', 'floor-ws', 'floor'],
  ['Keel ÷ Restate', 'keel', 'restate'],
  ['Keel ÷ Cloudflare Workflows', 'keel', 'cf-workflows'],
];

type RatioRow = Pick<Row, 'engine' | 'w1P50' | 'w1PerSecond' | 'w2MsPerStep' | 'w3P99_50' | 'cpuMsPerWorkflow'>;

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—');

/** The ratio table (Markdown lines, with its caption), or nothing when no ratio's two engines both ran. */
export function ratioTable(rows: RatioRow[]): string[] {
  const by = new Map(rows.map((r) => [r.engine, r]));
  const lines = RATIOS.filter(([, a, b]) => by.has(a) && by.has(b)).map(([name, a, b]) => {
    const ra = by.get(a)!;
    const rb = by.get(b)!;
    const over = (f: (r: RatioRow) => number, x: RatioRow, y: RatioRow) => fmt(f(x) / f(y));
    return `| ${name} | ${over((r) => r.w1P50, ra, rb)} | ${over((r) => r.w1PerSecond, rb, ra)} | ${over((r) => r.w2MsPerStep, ra, rb)} | ${over((r) => r.w3P99_50, ra, rb)} | ${over((r) => r.cpuMsPerWorkflow, ra, rb)} |`;
  });
  if (!lines.length) return [];
  return ['', 'Ratios (> 1 means the first is slower or costlier; the throughput ratio is inverted to read the same way):', '', '| | W1 p50 | W1 throughput (inverse) | W2 ms/step | W3 p99 (50) | CPU/workflow |', '| --- | --- | --- | --- | --- | --- |', ...lines];
}
