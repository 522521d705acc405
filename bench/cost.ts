// What a workflow costs on Cloudflare's published price list (protocol/prices.ts, the one table;
// bench/prices.md quotes its sources), from the billable units one W1 uses (counted by the
// `requests` workload in the instrumented build) until it closes and when its namespace's retention
// deletes it, and the same work priced on Cloudflare Workflows and Temporal Cloud. Pure: no I/O.
import { DAYS_PER_BILLED_MONTH, keptFor, PRICES, priceUnits, type PriceLine } from '../protocol/prices.js';

export { PRICES, type PriceLine };

/** Billable units of one workflow on Workers + Durable Objects + D1. */
export interface KeelUnits {
  workerRequests: number;
  /** Durable Object requests: RPC calls on stubs (each a request) and alarm invocations. */
  doRequests: number;
  /** Messages workers sent on shard channels (protocol 7): 20 to a Durable Object request. */
  channelMessages: number;
  /** Wall-clock seconds objects had a call in progress (duration is billed while active). */
  doActiveSeconds: number;
  /** Worker and Durable Object CPU ms (Durable Objects are billed by duration, not CPU; Workers by CPU). */
  workerCpuMs: number;
  sqliteRowsRead: number;
  sqliteRowsWritten: number;
  d1RowsRead: number;
  d1RowsWritten: number;
  /** SQLite bytes a finished execution keeps (its object's database). */
  storedBytes: number;
}

const M = 1e6;

/**
 * How long a finished W1 is kept when its whole life is priced, the same for both engines: Cloudflare
 * Workflows' default retention of a completed instance's state on Workers Paid, 7 days (its limits
 * page, read 2026-12-07: "Retention limit for completed Workflow instance state: 3 days [Free];
 * 7 days (default) / configurable up to 30 days [Paid]"). Keel's default is 72 h
 * (DEFAULT_RETENTION_MS, as Temporal's); a namespace set to 7 days keeps a W1 as long. The lines
 * "until closed" price a month kept instead, the same for both too.
 */
export const WHOLE_LIFE_DAYS_KEPT = 7;

/**
 * The price of a million workflows, item by item, at list prices above the included amounts (none
 * subtracted): the per-execution pricing describe uses (protocol/prices.ts) times a million, plus
 * the two units only the bench measures (CPU and duration). Stored bytes are priced for `daysKept`
 * days kept (a month unless told).
 */
export function keelPerMillion(u: KeelUnits, daysKept = DAYS_PER_BILLED_MONTH): PriceLine[] {
  const p = PRICES;
  const perExecution = priceUnits({
    workerRequests: u.workerRequests,
    durableObjectRequests: u.doRequests,
    alarms: 0,
    channelMessages: u.channelMessages,
    sqliteRowsRead: u.sqliteRowsRead,
    sqliteRowsWritten: u.sqliteRowsWritten,
    d1RowsRead: u.d1RowsRead,
    d1RowsWritten: u.d1RowsWritten,
    storedBytes: u.storedBytes,
  }, daysKept);
  return [
    { item: 'Worker CPU ms', units: u.workerCpuMs, usd: u.workerCpuMs * p.workers.perMillionCpuMs },
    { item: 'Durable Object duration (GB-s, 128 MB while active)', units: u.doActiveSeconds * p.durableObjects.memoryGb, usd: u.doActiveSeconds * p.durableObjects.memoryGb * p.durableObjects.perMillionGbS },
    ...perExecution.map((l) => ({ ...l, usd: l.usd * M })),
  ];
}

/**
 * Billable units of one W1's deletion at its namespace's retention: its share of the shard's retention
 * sweep (src/workflow-object/retention-sweep.ts), which deletes a page of up to 100 closed runs per turn,
 * each turn fired by the shard's alarm. Cloudflare bills a deleted row as a row written ("Deletes are
 * counted as rows written", bench/prices.md), so a W1's whole life is its units until it closes and these.
 */
export interface DeletionUnits {
  /** Alarm invocations (Durable Object requests): the sweep's turns over the runs they deleted. */
  doRequests: number;
  /** Wall-clock seconds the shard was active for the sweep (its turns, over the runs they deleted). */
  doActiveSeconds: number;
  sqliteRowsRead: number;
  /** The rows the deletion wrote: each row deleted, and any row written on the way. */
  sqliteRowsWritten: number;
}

/**
 * A W1's deletion at retention per million W1s, item by item, at list prices (no included amount
 * subtracted). Its own lines, so a W1's price until closed and over its whole life read side by side.
 */
export function keelDeletionPerMillion(d: DeletionUnits): PriceLine[] {
  const p = PRICES;
  const gbS = d.doActiveSeconds * p.durableObjects.memoryGb;
  return [
    { item: 'At retention: sweep alarms (Durable Object requests; a page of up to 100 runs each)', units: d.doRequests, usd: d.doRequests * p.durableObjects.perMillionRequests },
    { item: 'At retention: Durable Object duration (GB-s, 128 MB while the sweep runs)', units: gbS, usd: gbS * p.durableObjects.perMillionGbS },
    { item: 'At retention: SQLite rows read', units: d.sqliteRowsRead, usd: d.sqliteRowsRead * p.sqlite.perMillionRowsRead },
    { item: 'At retention: SQLite rows deleted (billed as rows written)', units: d.sqliteRowsWritten, usd: d.sqliteRowsWritten * p.sqlite.perMillionRowsWritten },
  ];
}

/** A W1's whole life per million: until it closes, kept WHOLE_LIFE_DAYS_KEPT days, then its deletion at retention. */
export const keelLifetimePerMillion = (u: KeelUnits, d: DeletionUnits): PriceLine[] => [...keelPerMillion(u, WHOLE_LIFE_DAYS_KEPT), ...keelDeletionPerMillion(d)];

/**
 * What one finished W1 instance of Cloudflare Workflows keeps, measured rather than assumed: each
 * instance is an engine Durable Object of its own, and Workflows storage is billed as Durable
 * Objects SQL storage is (bench/prices.md), so this is the size of that object's SQLite database
 * as SQLite counts it (page_count × page_size; WAL included), in local workerd through miniflare,
 * whose engine is Cloudflare's local implementation of Workflows (production's is not public).
 * Recorded rather than measured on each `requests` run, which stays about Keel; `--check` on the
 * command below measures it again and fails when it no longer matches (a miniflare upgrade).
 * The figure is six 4 KB pages: one per table and index of the engine's schema, each holding a
 * W1's few rows.
 */
export const CLOUDFLARE_WORKFLOWS_W1_STORED = {
  bytesPerInstance: 24_576,
  instances: 200,
  miniflare: '4.20260426.0',
  date: '2026-12-07',
  command: 'flock /tmp/keel-bench.lock npx tsx bench/peers/stored-bytes.ts --count 200 --in-flight 50',
} as const;

/**
 * Cloudflare Workflows for the same work: one Worker request that creates the instance, one
 * Workflows invocation, its CPU ms, its stored state for `daysKept` days (a month unless told;
 * `storedBytes`: the measured CLOUDFLARE_WORKFLOWS_W1_STORED; or Keel's own bytes per W1, the old
 * assumption, kept beside it as the conservative bound while Keel keeps fewer bytes per W1 than
 * Workflows does). (Status reads are subrequests of the Worker, which Workflows does not bill.)
 * Its deletion at the end of its retention is free: Workflows bills no rows, only the bytes kept
 * (bench/prices.md); a line at $0 says so beside Keel's deletion lines.
 */
export function cloudflareWorkflowsPerMillion(o: { cpuMs: number; storedBytes: number; daysKept?: number }): PriceLine[] {
  const p = PRICES;
  const days = o.daysKept ?? DAYS_PER_BILLED_MONTH;
  return [
    { item: 'Worker request (creates the instance)', units: 1, usd: p.workers.perMillionRequests },
    { item: 'Workflows invocation', units: 1, usd: p.workflows.perMillionRequests },
    { item: 'Workflows CPU ms', units: o.cpuMs, usd: o.cpuMs * p.workflows.perMillionCpuMs },
    { item: `Workflows storage, bytes kept (${keptFor(days)})`, units: o.storedBytes, usd: ((o.storedBytes * M) / 1e9) * p.workflows.perGbMonth * (days / DAYS_PER_BILLED_MONTH) },
    { item: 'At retention: the instance deleted (not billed: Workflows has no rows dimension)', units: 1, usd: 0 },
  ];
}

/** Temporal Cloud for the same work: a W1 is two Actions (workflow started, activity started). */
export function temporalCloudPerMillion(actionsPerWorkflow = 2): PriceLine[] {
  return [{ item: 'Actions (workflow started, activity started)', units: actionsPerWorkflow, usd: actionsPerWorkflow * PRICES.temporalCloud.perMillionActions }];
}

export const total = (lines: PriceLine[]) => lines.reduce((a, l) => a + l.usd, 0);
