import { describe, expect, it } from 'vitest';
import { CLOUDFLARE_WORKFLOWS_W1_STORED, WHOLE_LIFE_DAYS_KEPT, cloudflareWorkflowsPerMillion, keelDeletionPerMillion, keelLifetimePerMillion, keelPerMillion, PRICES, temporalCloudPerMillion, total } from './cost';

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

  it("prices a W1's deletion at retention on its own lines: each row deleted a row written, each sweep turn an alarm", () => {
    const none = { doRequests: 0, doActiveSeconds: 0, sqliteRowsRead: 0, sqliteRowsWritten: 0 };
    // A deleted row is billed as a row written: a dollar per million W1s for each.
    expect(total(keelDeletionPerMillion({ ...none, sqliteRowsWritten: 3 }))).toBeCloseTo(3);
    expect(total(keelDeletionPerMillion({ ...none, sqliteRowsRead: 1000 }))).toBeCloseTo(1);
    // A page of 100 runs per alarm: a hundredth of a Durable Object request per W1.
    expect(total(keelDeletionPerMillion({ ...none, doRequests: 0.01 }))).toBeCloseTo(0.01 * 0.15);
    expect(total(keelDeletionPerMillion({ ...none, doActiveSeconds: 1 }))).toBeCloseTo(0.128 * 12.5);
    // Every line says it is the deletion's, so the until-closed lines and these read apart.
    for (const l of keelDeletionPerMillion(none)) expect(l.item).toMatch(/^At retention: /);
  });

  it("a W1's whole life is its price until closed plus its deletion's, the until-closed lines unchanged before them", () => {
    const u = { ...zero, workerRequests: 5, sqliteRowsWritten: 5, storedBytes: 7_500 };
    const d = { doRequests: 0.01, doActiveSeconds: 0.0001, sqliteRowsRead: 4, sqliteRowsWritten: 2.5 };
    const lifetime = keelLifetimePerMillion(u, d);
    const untilClosed = keelPerMillion(u, WHOLE_LIFE_DAYS_KEPT);
    expect(lifetime.slice(0, untilClosed.length)).toEqual(untilClosed);
    expect(total(lifetime)).toBeCloseTo(total(untilClosed) + total(keelDeletionPerMillion(d)));
    expect(total(lifetime) - total(untilClosed)).toBeGreaterThan(2.5);
  });

  it('prices bytes by the days they are kept: a whole life keeps them 7 days, a GB-month is 30', () => {
    expect(WHOLE_LIFE_DAYS_KEPT).toBe(7);
    const storage = (daysKept?: number) => total(keelPerMillion({ ...zero, storedBytes: 30_000 }, daysKept));
    // 30 GB for a month; for 7 days, 7/30 of it.
    expect(storage()).toBeCloseTo(30 * PRICES.sqlite.perGbMonth);
    expect(storage(7)).toBeCloseTo(7 * PRICES.sqlite.perGbMonth);
    const workflows = (daysKept?: number) => total(cloudflareWorkflowsPerMillion({ cpuMs: 0, storedBytes: 30_000, daysKept })) - 0.6;
    expect(workflows()).toBeCloseTo(30 * PRICES.workflows.perGbMonth);
    expect(workflows(7)).toBeCloseTo(7 * PRICES.workflows.perGbMonth);
    expect(keelPerMillion({ ...zero, storedBytes: 1 }, 7).at(-1)!.item).toMatch(/7 days/);
  });

  it("Cloudflare Workflows' deletion at retention is a line at $0", () => {
    const deletion = cloudflareWorkflowsPerMillion({ cpuMs: 0, storedBytes: 0 }).filter((l) => l.item.startsWith('At retention: '));
    expect(deletion).toHaveLength(1);
    expect(deletion[0]!.usd).toBe(0);
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
