/**
 * A namespace's cost for a calendar month (UTC) so far: the units of every run that closed in
 * the month or is still running, summed from the visibility store (each summary carries its
 * run's units as of that summary: a run's close, or for a running one its start or last upsert),
 * priced with protocol/prices.ts. One D1 query; no extra write anywhere.
 */
import { executionCost, type ExecutionUnits } from '../../protocol/prices.js';
import type { ParsedRequestOf, ResponseOf } from '../../protocol/index.js';
import type { Env } from '../env.js';
import { ServiceError } from '../service-error.js';
import { visibilityDb } from '../visibility/migrations.js';

const UNIT_KEYS = ['workerRequests', 'durableObjectRequests', 'alarms', 'sqliteRowsRead', 'sqliteRowsWritten', 'd1RowsRead', 'd1RowsWritten', 'storedBytes'] as const satisfies ReadonlyArray<keyof ExecutionUnits>;

const SUMS = UNIT_KEYS.map((k) => `COALESCE(SUM(json_extract(units, '$.${k}')), 0) AS ${k}`).join(', ');

// Closed in the month, or open and started before its end (still running, so billed this month).
const QUERY = `SELECT COUNT(*) AS runs, ${SUMS} FROM executions
WHERE namespace = ?1 AND ((close_time >= ?2 AND close_time < ?3) OR (close_time IS NULL AND start_time < ?3))`;

/** The month 'YYYY-MM' as [start, end) in ms (UTC). */
export function monthRange(month: string): [number, number] {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw new ServiceError('INVALID_ARGUMENT', `month '${month.slice(0, 20)}' is not a month; write it as YYYY-MM, e.g. 2026-12.`, { issues: [{ path: 'month', message: 'expected YYYY-MM' }] });
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  return [Date.UTC(y, mo, 1), Date.UTC(y, mo + 1, 1)];
}

export const currentMonth = (now: number) => new Date(now).toISOString().slice(0, 7);

export async function namespaceCost(env: Env, namespace: string, req: ParsedRequestOf<'describeNamespaceCost'>, now = Date.now()): Promise<ResponseOf<'describeNamespaceCost'>> {
  const month = req.month ?? currentMonth(now);
  const [start, end] = monthRange(month);
  const db = await visibilityDb(env);
  if (!db) throw new ServiceError('INTERNAL', "This Keel service has no VISIBILITY D1 binding, so it keeps no summaries to sum; add the [[d1_databases]] binding from the repository's wrangler.toml and deploy again.");
  const row = await db.prepare(QUERY).bind(namespace, start, end).first<Record<string, number>>();
  // Summed here (addUnits keeps one run's stored bytes; a namespace keeps the bytes of all its runs).
  const units = Object.fromEntries(UNIT_KEYS.map((k) => [k, Number(row?.[k] ?? 0)])) as unknown as ExecutionUnits;
  return { namespace, month, runs: Number(row?.runs ?? 0), ...executionCost(units) };
}
