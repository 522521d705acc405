import { describe, expect, it } from 'vitest';
import { CLOUDFLARE_WORKFLOWS_W1_STORED, cloudflareWorkflowsPerMillion, keelPerMillion, PRICES, temporalCloudPerMillion, total } from './cost';

const zero = { workerRequests: 0, doRequests: 0, channelMessages: 0, doActiveSeconds: 0, workerCpuMs: 0, sqliteRowsRead: 0, sqliteRowsWritten: 0, d1RowsRead: 0, d1RowsWritten: 0, storedBytes: 0 };

describe('cost per million workflows', () => {
  it('prices each unit at its list price', () => {
    expect(total(keelPerMillion({ ...zero, workerRequests: 7 }))).toBeCloseTo(7 * 0.3);
    expect(total(keelPerMillion({ ...zero, doRequests: 11 }))).toBeCloseTo(11 * 0.15);
    // A shard channel's messages: 20 to a Durable Object request.
    expect(total(keelPerMillion({ ...zero, channelMessages: 40 }))).toBeCloseTo(2 * 0.15);
    expect(total(keelPerMillion({ ...zero, sqliteRowsWritten: 40 }))).toBeCloseTo(40);
    // 1 s active at 128 MB = 0.128 GB-s per workflow; a million of them at $12.50 per million GB-s.
    expect(total(keelPerMillion({ ...zero, doActiveSeconds: 1 }))).toBeCloseTo(0.128 * 12.5);
    // 16 KB kept by each of a million executions: 16 GB for a month.
    expect(total(keelPerMillion({ ...zero, storedBytes: 16_000 }))).toBeCloseTo(16 * PRICES.sqlite.perGbMonth);
  });

  it('one more row written per workflow costs a dollar per million', () => {
    const base = { ...zero, sqliteRowsWritten: 30 };
    expect(total(keelPerMillion({ ...base, sqliteRowsWritten: 31 })) - total(keelPerMillion(base))).toBeCloseTo(1);
  });

  it('prices the peers', () => {
    expect(total(temporalCloudPerMillion())).toBe(50);
    expect(total(cloudflareWorkflowsPerMillion({ cpuMs: 10, storedBytes: 0 }))).toBeCloseTo(0.3 + 0.3 + 0.2);
  });

  it("prices Cloudflare Workflows' storage on the bytes its own instances keep, as Durable Object SQL storage", () => {
    const storage = (storedBytes: number) => total(cloudflareWorkflowsPerMillion({ cpuMs: 0, storedBytes })) - total(cloudflareWorkflowsPerMillion({ cpuMs: 0, storedBytes: 0 }));
    // A million instances of 24,576 bytes (six 4 KB pages) each: 24.576 GB kept for a month.
    expect(CLOUDFLARE_WORKFLOWS_W1_STORED.bytesPerInstance % 4096).toBe(0);
    expect(storage(CLOUDFLARE_WORKFLOWS_W1_STORED.bytesPerInstance)).toBeCloseTo((CLOUDFLARE_WORKFLOWS_W1_STORED.bytesPerInstance / 1000) * PRICES.workflows.perGbMonth);
    expect(PRICES.workflows.perGbMonth).toBe(PRICES.sqlite.perGbMonth);
    // The same bytes cost the same on either side: the comparison differs only by what each keeps.
    expect(storage(8_600)).toBeCloseTo(total(keelPerMillion({ ...zero, storedBytes: 8_600 })));
  });
});
