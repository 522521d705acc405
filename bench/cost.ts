// What a workflow costs on Cloudflare's published price list (bench/prices.md), from the
// billable units one W1 uses (counted by the `requests` workload in the instrumented build),
// and the same work priced on Cloudflare Workflows and Temporal Cloud. Pure: no I/O.

/** List prices, USD, Workers Paid plan (bench/prices.md has the sources and the date). */
export const PRICES = {
  date: '2026-12-05',
  workers: { perMillionRequests: 0.3, perMillionCpuMs: 0.02 },
  durableObjects: { perMillionRequests: 0.15, perMillionGbS: 12.5, memoryGb: 0.128 },
  sqlite: { perMillionRowsRead: 0.001, perMillionRowsWritten: 1.0, perGbMonth: 0.2 },
  d1: { perMillionRowsRead: 0.001, perMillionRowsWritten: 1.0, perGbMonth: 0.75 },
  workflows: { perMillionRequests: 0.3, perMillionCpuMs: 0.02, perGbMonth: 0.2 },
  temporalCloud: { perMillionActions: 25 },
} as const;

/** Billable units of one workflow on Workers + Durable Objects + D1. */
export interface KeelUnits {
  workerRequests: number;
  /** Durable Object requests: RPC calls on stubs (each a request) and alarm invocations. */
  doRequests: number;
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

export interface PriceLine {
  item: string;
  units: number;
  usd: number;
}

const GB = 1e9;
const M = 1e6;

/** The price of a million workflows, item by item, at list prices above the included amounts (none subtracted). */
export function keelPerMillion(u: KeelUnits): PriceLine[] {
  const p = PRICES;
  return [
    { item: 'Worker requests', units: u.workerRequests, usd: u.workerRequests * p.workers.perMillionRequests },
    { item: 'Worker CPU ms', units: u.workerCpuMs, usd: u.workerCpuMs * p.workers.perMillionCpuMs },
    { item: 'Durable Object requests (RPCs, alarms)', units: u.doRequests, usd: u.doRequests * p.durableObjects.perMillionRequests },
    { item: 'Durable Object duration (GB-s, 128 MB while active)', units: u.doActiveSeconds * p.durableObjects.memoryGb, usd: u.doActiveSeconds * p.durableObjects.memoryGb * p.durableObjects.perMillionGbS },
    { item: 'SQLite rows read', units: u.sqliteRowsRead, usd: u.sqliteRowsRead * p.sqlite.perMillionRowsRead },
    { item: 'SQLite rows written', units: u.sqliteRowsWritten, usd: u.sqliteRowsWritten * p.sqlite.perMillionRowsWritten },
    { item: 'D1 rows read (visibility)', units: u.d1RowsRead, usd: u.d1RowsRead * p.d1.perMillionRowsRead },
    { item: 'D1 rows written (visibility)', units: u.d1RowsWritten, usd: u.d1RowsWritten * p.d1.perMillionRowsWritten },
    { item: 'SQLite storage, bytes kept (priced per month kept)', units: u.storedBytes, usd: ((u.storedBytes * M) / GB) * p.sqlite.perGbMonth },
  ];
}

/**
 * Cloudflare Workflows for the same work: one Worker request that creates the instance, one
 * Workflows invocation, its CPU ms, its stored state per month kept. (Status reads are
 * subrequests of the Worker, which Workflows does not bill.)
 */
export function cloudflareWorkflowsPerMillion(o: { cpuMs: number; storedBytes: number }): PriceLine[] {
  const p = PRICES;
  return [
    { item: 'Worker request (creates the instance)', units: 1, usd: p.workers.perMillionRequests },
    { item: 'Workflows invocation', units: 1, usd: p.workflows.perMillionRequests },
    { item: 'Workflows CPU ms', units: o.cpuMs, usd: o.cpuMs * p.workflows.perMillionCpuMs },
    { item: 'Workflows storage, bytes kept (priced per month kept)', units: o.storedBytes, usd: ((o.storedBytes * M) / GB) * p.workflows.perGbMonth },
  ];
}

/** Temporal Cloud for the same work: a W1 is two Actions (workflow started, activity started). */
export function temporalCloudPerMillion(actionsPerWorkflow = 2): PriceLine[] {
  return [{ item: 'Actions (workflow started, activity started)', units: actionsPerWorkflow, usd: actionsPerWorkflow * PRICES.temporalCloud.perMillionActions }];
}

export const total = (lines: PriceLine[]) => lines.reduce((a, l) => a + l.usd, 0);
