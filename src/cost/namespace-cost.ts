/**
 * A namespace's cost for a calendar month (UTC) so far: the units of every run that closed in
 * the month or is still running, summed from the visibility store (each summary carries its
 * run's units as of that summary: a run's close, or for a running one its start or last upsert),
 * priced with protocol/prices.ts. One D1 query, or one read per shard of the namespace when its
 * workflows are kept in shards (src/visibility/shard-store.ts); no extra write anywhere.
 */
import { executionCost, type ExecutionUnits } from '../../protocol/prices.js';
import type { ParsedRequestOf, ResponseOf } from '../../protocol/index.js';
import type { Env } from '../env.js';
import { ServiceError } from '../service-error.js';
import { visibilityDb } from '../visibility/migrations.js';
import { ofNamespace, type Sql, type VisibilityLayout, D1_LAYOUT } from '../visibility/filter-sql.js';
import { askShards } from '../visibility/shard-reads.js';
import { wallClock } from '../clock.js';

const UNIT_KEYS = ['workerRequests', 'durableObjectRequests', 'alarms', 'channelMessages', 'sqliteRowsRead', 'sqliteRowsWritten', 'd1RowsRead', 'd1RowsWritten', 'storedBytes'] as const satisfies ReadonlyArray<keyof ExecutionUnits>;

const SUMS = UNIT_KEYS.map((k) => `COALESCE(SUM(json_extract(e.units, '$.${k}')), 0) AS ${k}`).join(', ');

/** The run count and units summed of the namespace's runs billed in [start, end): closed in it, or open and started before its end (still running). */
export function unitsSql(layout: VisibilityLayout, namespace: string, start: number, end: number): Sql {
  const scope = ofNamespace(layout, namespace);
  return {
    sql: `SELECT COUNT(*) AS runs, ${SUMS} FROM ${layout.runs} e WHERE ${scope.sql} AND ((e.close_time >= ? AND e.close_time < ?) OR (e.close_time IS NULL AND e.start_time < ?))`,
    params: [...scope.params, start, end, end],
  };
}

/** The month 'YYYY-MM' as [start, end) in ms (UTC). */
export function monthRange(month: string): [number, number] {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw new ServiceError('INVALID_ARGUMENT', `month '${month.slice(0, 20)}' is not a month; write it as YYYY-MM, e.g. 2026-12.`, { issues: [{ path: 'month', message: 'expected YYYY-MM' }] });
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  return [Date.UTC(y, mo, 1), Date.UTC(y, mo + 1, 1)];
}

export const currentMonth = (now: number) => new Date(now).toISOString().slice(0, 7);

export async function namespaceCost(env: Env, namespace: string, req: ParsedRequestOf<'describeNamespaceCost'>, now = wallClock()): Promise<ResponseOf<'describeNamespaceCost'>> {
  const month = req.month ?? currentMonth(now);
  const [start, end] = monthRange(month);
  const rows = await unitRows(env, namespace, start, end);
  // Summed here (addUnits keeps one run's stored bytes; a namespace keeps the bytes of all its runs).
  const sum = (k: string) => rows.reduce((n, row) => n + Number(row?.[k] ?? 0), 0);
  const units = Object.fromEntries(UNIT_KEYS.map((k) => [k, sum(k)])) as unknown as ExecutionUnits;
  return { namespace, month, runs: sum('runs'), ...executionCost(units) };
}

/** The sums of each store that keeps the namespace's summaries: each of its shards, or D1. */
async function unitRows(env: Env, namespace: string, start: number, end: number): Promise<Array<Record<string, number> | null>> {
  const shards = await askShards(env, namespace, { kind: 'units', start, end });
  if (shards) return shards;
  const db = await visibilityDb(env);
  if (!db) throw new ServiceError('INTERNAL', "This Keel service has no VISIBILITY D1 binding, so it keeps no summaries to sum; add the [[d1_databases]] binding from the repository's wrangler.toml and deploy again.");
  const q = unitsSql(D1_LAYOUT, namespace, start, end);
  return [await db.prepare(q.sql).bind(...q.params).first<Record<string, number>>()];
}
