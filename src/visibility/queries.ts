/**
 * List and count over the D1 visibility store: parse the filter, translate it to
 * parameterised SQL (filter-sql.ts), run it, and answer in the wire's terms. Page tokens
 * are opaque: the sort-key values of a page's last row, tied to the filter they came from.
 */
import { Limits, type ParsedRequestOf, type ResponseOf, type WorkflowExecutionStatus } from '../../protocol/index.js';
import type { Env } from '../env.js';
import { ServiceError } from '../service-error.js';
import { FilterTooComplexError, keysetSql, orderBySql, sortKeys, whereSql, type SortKey, type SqlValue } from './filter-sql.js';
import { STATUS_FILTER_NAMES } from '../../protocol/enums.js';
import { ListFilterError, caretExcerpt, parseListFilter, type ListFilter } from './list-filter.js';
import { visibilityDb } from './migrations.js';
import { isoTime } from '../engine/iso-time.js';

export const DEFAULT_PAGE_SIZE = 100;

interface ExecutionRow {
  workflow_id: string;
  run_id: string;
  workflow_type: string;
  task_queue: string;
  status: WorkflowExecutionStatus;
  start_time: number;
  execution_time: number;
  close_time: number | null;
  history_length: number;
  first_run_id: string;
  memo: string | null;
  search_attributes: string | null;
  [key: `k${number}`]: SqlValue;
}

type ListAnswer = ResponseOf<'listWorkflows'>;
type CountAnswer = ResponseOf<'countWorkflows'>;

/** A page of the namespace's executions that match `query`. */
export async function listExecutions(env: Env, namespace: string, req: ParsedRequestOf<'listWorkflows'>): Promise<ListAnswer> {
  const query = req.query ?? '';
  const filter = parse(query);
  if (filter.groupBy) throw filterError(query, filter.groupByOffset ?? 0, 'GROUP BY is for count only; list takes ORDER BY');
  const keys = sortKeys(filter);
  const where = checked(query, () => whereSql(filter));
  const pageSize = req.pageSize ?? DEFAULT_PAGE_SIZE;
  const after = req.nextPageToken ? readPageToken(req.nextPageToken, query, keys.length) : undefined;
  const keyset = after ? keysetSql(keys, after) : undefined;

  const select = keys.map((k) => `${k.sql} AS ${k.alias}`).join(', ');
  const sql =
    `SELECT e.*, ${select} FROM executions e WHERE e.namespace = ? AND (${where.sql})` +
    (keyset ? ` AND ${keyset.sql}` : '') +
    ` ORDER BY ${orderBySql(keys)} LIMIT ?`;
  // One more row than the page says whether another page follows, so the last page has no token.
  const params = [...keys.flatMap((k) => k.params), namespace, ...where.params, ...(keyset?.params ?? []), pageSize + 1];
  const rows = await run(env, (d) => d.prepare(sql).bind(...params).all<ExecutionRow>());
  const page = withinBytes(rows.results.slice(0, pageSize), Limits.maxListPageBytes);
  const last = page.at(-1);
  return {
    executions: page.map(toInfo),
    ...(rows.results.length > page.length && last ? { nextPageToken: pageToken(query, keys, last) } : {}),
  };
}

/**
 * The first rows whose memos and search attributes fit in one answer (always at least one): a page
 * of executions with big memos ends early, and its token goes on from there.
 */
function withinBytes(rows: ExecutionRow[], maxBytes: number): ExecutionRow[] {
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    bytes += 512 + r.workflow_id.length + (r.memo?.length ?? 0) + (r.search_attributes?.length ?? 0);
    if (bytes > maxBytes && i > 0) return rows.slice(0, i);
  }
  return rows;
}

/** How many of the namespace's executions match `query`, in total or per status. */
export async function countExecutions(env: Env, namespace: string, req: ParsedRequestOf<'countWorkflows'>): Promise<CountAnswer> {
  const query = req.query ?? '';
  const filter = parse(query);
  if (filter.orderBy.length > 0) throw filterError(query, filter.orderByOffset ?? 0, 'count takes no ORDER BY');
  const where = checked(query, () => whereSql(filter));
  const base = `FROM executions e WHERE e.namespace = ? AND (${where.sql})`;
  if (!filter.groupBy && !req.groupBy) {
    const row = await run(env, (d) => d.prepare(`SELECT COUNT(*) AS count ${base}`).bind(namespace, ...where.params).first<{ count: number }>());
    return { count: row?.count ?? 0 };
  }
  const rows = await run(env, (d) =>
    d.prepare(`SELECT e.status AS status, COUNT(*) AS count ${base} GROUP BY e.status ORDER BY count DESC, status`).bind(namespace, ...where.params).all<{ status: WorkflowExecutionStatus; count: number }>(),
  );
  return {
    count: rows.results.reduce((n, r) => n + r.count, 0),
    groups: rows.results.map((r) => ({ groupValues: [STATUS_FILTER_NAMES[r.status] ?? r.status], count: r.count })),
  };
}

function parse(query: string): ListFilter {
  try {
    return parseListFilter(query);
  } catch (err) {
    if (err instanceof ListFilterError) throw filterError(query, err.offset, err.reason);
    throw err;
  }
}

function checked<T>(query: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FilterTooComplexError) throw filterError(query, 0, err.message);
    throw err;
  }
}

/** INVALID_ARGUMENT pointing at `offset` of the filter (message, `details.offset` and a caret excerpt). */
function filterError(query: string, offset: number, reason: string): ServiceError {
  const excerpt = caretExcerpt(query, offset);
  return new ServiceError('INVALID_ARGUMENT', `Invalid list filter at offset ${offset}: ${reason}\n${excerpt}`, {
    issues: [{ path: 'query', message: reason }],
    offset,
    excerpt,
  });
}

function toInfo(r: ExecutionRow): ListAnswer['executions'][number] {
  return {
    execution: { workflowId: r.workflow_id, runId: r.run_id },
    workflowType: r.workflow_type,
    taskQueue: r.task_queue,
    status: r.status,
    startTime: isoTime(r.start_time),
    executionTime: isoTime(r.execution_time),
    ...(r.close_time !== null ? { closeTime: isoTime(r.close_time) } : {}),
    historyLength: r.history_length,
    firstRunId: r.first_run_id,
    ...(r.memo ? { memo: parseStored(r.memo) as ListAnswer['executions'][number]['memo'] } : {}),
    ...(r.search_attributes ? { searchAttributes: parseStored(r.search_attributes) as Record<string, unknown> } : {}),
  };
}

/** A stored JSON column; one unreadable row shows without it rather than failing the whole page. */
function parseStored(text: string): unknown {
  try {
    return JSON.parse(text) ?? undefined;
  } catch {
    return undefined;
  }
}

// ---- Page tokens ------------------------------------------------------------------------

interface PageToken {
  /** Fingerprint of the filter the token belongs to. */
  f: string;
  /** The sort-key values of the previous page's last row. */
  k: SqlValue[];
}

function pageToken(query: string, keys: SortKey[], last: ExecutionRow): string {
  const token: PageToken = { f: fingerprint(query), k: keys.map((k) => last[k.alias as `k${number}`] ?? null) };
  return base64url(JSON.stringify(token));
}

function readPageToken(text: string, query: string, keyCount: number): SqlValue[] {
  let token: PageToken | undefined;
  try {
    token = JSON.parse(fromBase64url(text)) as PageToken;
  } catch {
    token = undefined;
  }
  const valid = token && typeof token.f === 'string' && Array.isArray(token.k) && token.k.length === keyCount && token.k.every((v) => v === null || typeof v === 'string' || typeof v === 'number');
  if (!valid) throw new ServiceError('INVALID_ARGUMENT', `nextPageToken is not one this service issued; pass back the token from the previous page.`, { issues: [{ path: 'nextPageToken', message: 'not a page token' }] });
  if (token!.f !== fingerprint(query)) {
    throw new ServiceError('INVALID_ARGUMENT', 'nextPageToken belongs to a list with another query; pass the same query with the token, or leave the token out to start from the first page.', {
      issues: [{ path: 'nextPageToken', message: 'from a list with another query' }],
    });
  }
  return token!.k;
}

/** FNV-1a of the filter, enough to tell one filter's tokens from another's. */
function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

const base64url = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const fromBase64url = (text: string) => new TextDecoder().decode(Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)));

// ---- D1 -------------------------------------------------------------------------------

/**
 * Runs a read on the store, turning a missing binding or missing tables — a deployment
 * step left out — into an answer that says which step.
 */
async function run<T>(env: Env, fn: (db: D1Database) => Promise<T>): Promise<T> {
  const db = await visibilityDb(env);
  if (!db) throw new ServiceError('INTERNAL', 'This Keel service has no VISIBILITY D1 binding, so it cannot list or count executions; add the [[d1_databases]] binding from the repository\'s wrangler.toml and deploy again.');
  try {
    return await fn(db);
  } catch (err) {
    if (/no such table/i.test(String((err as Error)?.message ?? err))) {
      throw new ServiceError('INTERNAL', 'The visibility database has no tables yet; apply its migrations with `npx wrangler d1 migrations apply VISIBILITY --remote` (executions started meanwhile are listed once they are applied: their summaries wait in their outboxes).');
    }
    throw err;
  }
}
