/**
 * What Keel's work costs on Cloudflare: the list prices (one table, with its date and sources)
 * and the pricing of an execution's billable units. The service prices `describe`'s units with
 * it, the CLI and the UI show them, and `bench/cost.ts` prices a million workflows with the same
 * table. Zod-free and pure, so every side (the UI included) may import it at run time.
 */

/** List prices, USD, Workers Paid plan, above the included amounts (bench/prices.md has the quotes). */
export const PRICES = {
  /** The name this table is shown under, with its date. */
  name: 'Cloudflare list prices, Workers Paid plan',
  /** When the prices were read from the pages below. */
  date: '2026-12-05',
  sources: [
    'https://developers.cloudflare.com/workers/platform/pricing/',
    'https://developers.cloudflare.com/durable-objects/platform/pricing/',
    'https://developers.cloudflare.com/d1/platform/pricing/',
  ],
  workers: { perMillionRequests: 0.3, perMillionCpuMs: 0.02 },
  durableObjects: { perMillionRequests: 0.15, perMillionGbS: 12.5, memoryGb: 0.128 },
  sqlite: { perMillionRowsRead: 0.001, perMillionRowsWritten: 1.0, perGbMonth: 0.2 },
  d1: { perMillionRowsRead: 0.001, perMillionRowsWritten: 1.0, perGbMonth: 0.75 },
  workflows: { perMillionRequests: 0.3, perMillionCpuMs: 0.02, perGbMonth: 0.2 },
  temporalCloud: { perMillionActions: 25 },
} as const;

/**
 * The billable units one execution used, as its workflow object counts them. Worker CPU and
 * Durable Object duration are not among them: workerd reports neither per request.
 */
export interface ExecutionUnits {
  /** HTTP requests to the Worker that reached this execution (starts, completions, describes, the polls that carried its tasks). */
  workerRequests: number;
  /** Durable Object requests: RPC calls on this execution's object, the calls it made to other objects, alarm invocations. */
  durableObjectRequests: number;
  /** Of the Durable Object requests, how many were alarm invocations. */
  alarms: number;
  /**
   * Messages workers sent on shard channels (protocol 7) about this execution: its shard polls that
   * carried its tasks, and its completions. No Worker request; billed as Durable Object requests, 20
   * messages to the request.
   */
  channelMessages: number;
  sqliteRowsRead: number;
  sqliteRowsWritten: number;
  /** The visibility store's rows (D1): the execution's summary upserts. */
  d1RowsRead: number;
  d1RowsWritten: number;
  /** The bytes its workflow object's database keeps (every run of the workflow id shares it). */
  storedBytes: number;
}

export const NO_UNITS: ExecutionUnits = { workerRequests: 0, durableObjectRequests: 0, alarms: 0, channelMessages: 0, sqliteRowsRead: 0, sqliteRowsWritten: 0, d1RowsRead: 0, d1RowsWritten: 0, storedBytes: 0 };

/** The sum of two counts of units (stored bytes are a level, not a flow: the later one is kept). */
export function addUnits(a: ExecutionUnits, b: Partial<ExecutionUnits>): ExecutionUnits {
  return {
    workerRequests: a.workerRequests + (b.workerRequests ?? 0),
    durableObjectRequests: a.durableObjectRequests + (b.durableObjectRequests ?? 0),
    alarms: a.alarms + (b.alarms ?? 0),
    channelMessages: a.channelMessages + (b.channelMessages ?? 0),
    sqliteRowsRead: a.sqliteRowsRead + (b.sqliteRowsRead ?? 0),
    sqliteRowsWritten: a.sqliteRowsWritten + (b.sqliteRowsWritten ?? 0),
    d1RowsRead: a.d1RowsRead + (b.d1RowsRead ?? 0),
    d1RowsWritten: a.d1RowsWritten + (b.d1RowsWritten ?? 0),
    storedBytes: b.storedBytes ?? a.storedBytes,
  };
}

export interface PriceLine {
  item: string;
  units: number;
  usd: number;
}

const M = 1e6;
/** Incoming WebSocket messages billed as one Durable Object request (Cloudflare's Durable Objects pricing). */
export const WEBSOCKET_MESSAGES_PER_REQUEST = 20;
const GB = 1e9;

/** USD for `n` units at `perMillion` dollars per million. */
const at = (n: number, perMillion: number) => (n * perMillion) / M;

/** Cloudflare's GB-month: the average over a 30-day billing period of each day's peak storage. */
export const DAYS_PER_BILLED_MONTH = 30;

/**
 * An execution's units priced item by item at list price, from the first unit (no included amount
 * subtracted: what a large user pays at the margin). Stored bytes are priced for `daysKept` days
 * kept, a month unless told: bytes kept d days are d/30 of a GB-month.
 */
export function priceUnits(u: ExecutionUnits, daysKept = DAYS_PER_BILLED_MONTH): PriceLine[] {
  const p = PRICES;
  return [
    { item: 'Worker requests', units: u.workerRequests, usd: at(u.workerRequests, p.workers.perMillionRequests) },
    { item: 'Durable Object requests (RPCs, alarms)', units: u.durableObjectRequests, usd: at(u.durableObjectRequests, p.durableObjects.perMillionRequests) },
    { item: 'Shard channel messages (Durable Object requests at 20:1)', units: u.channelMessages, usd: at(u.channelMessages / WEBSOCKET_MESSAGES_PER_REQUEST, p.durableObjects.perMillionRequests) },
    { item: 'SQLite rows read', units: u.sqliteRowsRead, usd: at(u.sqliteRowsRead, p.sqlite.perMillionRowsRead) },
    { item: 'SQLite rows written', units: u.sqliteRowsWritten, usd: at(u.sqliteRowsWritten, p.sqlite.perMillionRowsWritten) },
    { item: 'D1 rows read (visibility)', units: u.d1RowsRead, usd: at(u.d1RowsRead, p.d1.perMillionRowsRead) },
    { item: 'D1 rows written (visibility)', units: u.d1RowsWritten, usd: at(u.d1RowsWritten, p.d1.perMillionRowsWritten) },
    { item: `SQLite storage, bytes kept (${keptFor(daysKept)})`, units: u.storedBytes, usd: (u.storedBytes / GB) * p.sqlite.perGbMonth * (daysKept / DAYS_PER_BILLED_MONTH) },
  ];
}

/** How long bytes were kept, as a price line says it. */
export const keptFor = (days: number) => (days === DAYS_PER_BILLED_MONTH ? 'one month' : `${days} days`);

export const totalUsd = (lines: readonly PriceLine[]) => lines.reduce((a, l) => a + l.usd, 0);

/** What describe answers about an execution's cost: its units, priced, and the table they were priced with. */
export interface ExecutionCost {
  units: ExecutionUnits;
  lines: PriceLine[];
  totalUsd: number;
  priceTable: { name: string; date: string };
  /** What the units leave out. */
  notCounted: string;
}

export const NOT_COUNTED =
  'Worker CPU time and Durable Object duration (workerd reports neither per request); the empty polls of idle workers (a cost of the task queue, not of a run).';

export function executionCost(units: ExecutionUnits): ExecutionCost {
  const lines = priceUnits(units);
  return { units, lines, totalUsd: totalUsd(lines), priceTable: { name: PRICES.name, date: PRICES.date }, notCounted: NOT_COUNTED };
}

/** A dollar amount as the CLI and UI show it: small amounts with enough digits to see them. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd >= 0.01) return `$${usd.toFixed(2)}`;
  // Three significant digits in plain decimals (no exponent), down to a trillionth of a dollar.
  return `$${usd.toFixed(Math.min(12, 2 - Math.floor(Math.log10(usd))))}`;
}
