// The ratio rows under the peers table (bench/peers/ratios.ts): Keel's floor is the lean design
// over shard channels (floor-lean-ws), and a row is printed only when both its engines ran.
import { describe, expect, it } from 'vitest';
import { KEELS_FLOOR } from './peers/engine';
import { ratioTable } from './peers/ratios';

const row = (engine: string, w1P50: number, w1PerSecond: number, cpuMsPerWorkflow: number) => ({ engine, w1P50, w1PerSecond, w2MsPerStep: 2, w3P99_50: 40, cpuMsPerWorkflow });

describe('ratioTable', () => {
  it("divides Keel and Restate by Keel's floor of protocol 7, the lean design over shard channels", () => {
    expect(KEELS_FLOOR).toBe('floor-lean-ws');
    const text = ratioTable([row('keel', 10, 300, 3.5), row('floor', 20, 60, 13), row('floor-lean-ws', 5, 900, 0.7), row('restate', 9, 450, 3.5)]).join('\n');
    // W1 p50 10 ÷ 5; throughput inverted, 900 ÷ 300; CPU 3.5 ÷ 0.7.
    expect(text).toContain('| Keel ÷ its floor | 2.00 | 3.00 | 1.00 | 1.00 | 5.00 |');
    expect(text).toContain('| floor ÷ Restate | 0.56 | 0.50 | 1.00 | 1.00 | 0.20 |');
    // The floor of the old protocol (`floor`) ran too, but no row divides by it.
    expect(text.match(/Keel ÷ its floor/g)).toHaveLength(1);
    expect(text.match(/floor ÷ Restate/g)).toHaveLength(1);
  });

  it('prints the shard channels against the lean floor over HTTP when both ran, and nothing when no pair ran', () => {
    expect(ratioTable([row('floor-lean', 6, 800, 1), row('floor-lean-ws', 5, 1000, 0.8)]).join('\n')).toContain('| floor over shard channels ÷ lean floor over HTTP | 0.83 | 0.80 | 1.00 | 1.00 | 0.80 |');
    expect(ratioTable([row('keel', 10, 300, 3.5), row('cf-workflows', 12, 100, 6)]).filter((l) => l.startsWith('| Keel'))).toEqual(['| Keel ÷ Cloudflare Workflows | 0.83 | 0.33 | 1.00 | 1.00 | 0.58 |']);
    expect(ratioTable([row('keel', 10, 300, 3.5)])).toEqual([]);
  });
});
