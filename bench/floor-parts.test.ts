// The floor's per-component costs (bench/peers/floor-parts.ts): each is the difference of CPU per
// W1 between the two variants that differ by it, divided by how many of it a W1 makes.
import { describe, expect, it } from 'vitest';
import { floorPartsSection } from './peers/floor-parts';
import type { Row } from './peers/run';

const row = (engine: string, workerd: number, node: number, perSecond = 50): Row => ({
  engine,
  label: engine,
  rounds: 1,
  w1P50: 10,
  w1PerSecond: perSecond,
  w2MsPerStep: 3,
  w3P99_20: 20,
  w3P99_50: 50,
  cpuMsPerWorkflow: workerd + node,
  cpuByProcess: { workerd, node },
});

const section = (rows: Row[]) =>
  floorPartsSection({
    rows,
    loads: rows.map((r) => ({ round: 1, engine: r.engine, loadBefore: [0.5, 0.5, 0.5] })),
    results: {},
    command: 'cmd',
    started: new Date('2026-12-06T03:00:00Z'),
    machine: { nproc: 2, cpuModel: 'cpu', node: 'v20', memory: '', loadavgAtStart: [0, 0, 0], loadavgAtEnd: [0, 0, 0] } as never,
    json: 'x.json',
  });

describe('floorPartsSection', () => {
  it('reads a component per unit from the two variants that differ by it', () => {
    const text = section([row('floor', 12, 4), row('floor-xrpc', 14, 4.8), row('floor-noalarm', 9, 4), row('floor-shard', 6, 3)]);
    // (floor-xrpc − floor) ÷ 8 DO requests: (18.8 − 16) ÷ 8 = 0.35 (workerd 0.25, node 0.10).
    expect(text).toContain('| a Durable Object request | +0.35 (+0.25 / +0.10) | 50.0 vs 50.0 |');
    // (floor − floor-noalarm) ÷ 6 setAlarm: 3 ÷ 6 = 0.5.
    expect(text).toContain('| a setAlarm | +0.50 (+0.50 / +0.00) |');
    // floor − floor-shard, one object per W1: 16 − 9 = 7.
    expect(text).toContain('| new object + its SQLite file (and its schema transaction) | +7.00 (+6.00 / +1.00) |');
  });

  it("reads what the lean design's HTTP exchanges cost per W1 against its shard channels", () => {
    const text = section([row('floor-lean', 0.8, 0.3), row('floor-lean-ws', 0.6, 0.2)]);
    // floor-lean − floor-lean-ws: 1.1 − 0.8 = 0.3 (workerd 0.2, node 0.1).
    expect(text).toContain("| the lean design's exchanges over HTTP instead of shard channels (a WebSocket per shard), per W1 | +0.30 (+0.20 / +0.10) | 50.0 vs 50.0 |");
  });

  it('leaves out a component whose two variants were not both run, and marks each variant against the floor', () => {
    const text = section([row('floor', 12, 4), row('floor-nod1', 8, 4)]);
    expect(text).not.toContain('a Durable Object request');
    expect(text).toContain('| a D1 write (and the summary-row delete after it) | +2.00 (+2.00 / +0.00) |');
    expect(text).toMatch(/\| `floor-nod1`: floor-nod1 \| 50\.0 \| 10\.0 ms \| 3\.00 \| 12\.0 \(8\.0 \+ 4\.0\) \| −4\.0 \|/);
  });
});
