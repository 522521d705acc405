/**
 * List and count over the visibility store — D1, or the namespace's workflow shards, each asked in
 * parallel and their answers merged (shard-store.ts, list-rows.ts): parse the filter, translate it
 * to parameterised SQL (filter-sql.ts), run it, and answer in the wire's terms. Page tokens are
 * opaque: the sort-key values of a page's last row, tied to the filter they came from; the same
 * token serves every shard, since the order is total (run id last) and each shard goes on after it.
 */
import { Limits, type ParsedRequestOf, type ResponseOf, type WorkflowExecutionStatus } from '../../protocol/index.js';
import type { Env } from '../env.js';
import { ServiceError } from '../service-error.js';
import { D1_LAYOUT, FilterTooComplexError, countSql, listSql, sortKeys, whereSql, type SortKey, type SqlValue } from './filter-sql.js';
import { STATUS_FILTER_NAMES } from '../../protocol/enums.js';
import { ListFilterError, caretExcerpt, parseListFilter, workflowIdsOf, type ListFilter } from './list-filter.js';
import { visibilityDb } from './migrations.js';
import { isoTime } from '../engine/iso-time.js';
import { mergePages, storePage, withinBytes, type ExecutionRow, type StorePage } from './list-rows.js';
import { askShards } from './shard-reads.js';
import type { ShardAnswers } from './shard-store.js';

export const DEFAULT_PAGE_SIZE = 100;

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
  const maxBytes = Limits.maxListPageBytes;

  let found: StorePage;
  const shards = await askShards(env, namespace, { kind: 'list', query, pageSize, maxBytes, ...(after ? { after } : {}) }, workflowIdsOf(filter));
  if (shards) found = mergePages(keys, shards, pageSize);
  else {
    // One more row than the page says whether another page follows, so the last page has no token.
    const q = listSql(D1_LAYOUT, namespace, keys, where, after, pageSize + 1);
    found = storePage((await run(env, (d) => d.prepare(q.sql).bind(...q.params).all<ExecutionRow>())).results, pageSize, maxBytes);
  }
  // Each store kept its own rows within the bytes; the merged page is cut again.
  const page = withinBytes(found.rows, maxBytes);
  const last = page.at(-1);
  return {
    executions: page.map(toInfo),
    ...((found.more || page.length < found.rows.length) && last ? { nextPageToken: pageToken(query, keys, last) } : {}),
  };
}

/** How many of the namespace's executions match `query`, in total or per status. */
export async function countExecutions(env: Env, namespace: string, req: ParsedRequestOf<'countWorkflows'>): Promise<CountAnswer> {
  const query = req.query ?? '';
  const filter = parse(query);
  if (filter.orderBy.length > 0) throw filterError(query, filter.orderByOffset ?? 0, 'count takes no ORDER BY');
  const where = checked(query, () => whereSql(filter));
  const byStatus = Boolean(filter.groupBy || req.groupBy);
  const shards = await askShards(env, namespace, { kind: 'count', query, byStatus }, workflowIdsOf(filter));
  let rows: ShardAnswers['count'];
  if (shards) rows = shards.flat();
  else {
    const q = countSql(D1_LAYOUT, namespace, where, byStatus);
    rows = (await run(env, (d) => d.prepare(q.sql).bind(...q.params).all<ShardAnswers['count'][number]>())).results;
  }
  const count = rows.reduce((n, r) => n + r.count, 0);
  if (!byStatus) return { count };
  // Each store's counts per status, summed; most first.
  const byName = new Map<WorkflowExecutionStatus, number>();
  for (const r of rows) if (r.status) byName.set(r.status, (byName.get(r.status) ?? 0) + r.count);
  const groups = [...byName].sort(([s1, n1], [s2, n2]) => n2 - n1 || (s1 < s2 ? -1 : s1 > s2 ? 1 : 0));
  return { count, groups: groups.map(([status, n]) => ({ groupValues: [STATUS_FILTER_NAMES[status] ?? status], count: n })) };
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
