/**
 * A list's rows as a store answers them, and what the router does with several stores' answers: a
 * namespace kept in workflow shards is listed by asking every shard for its first rows after the
 * page token, in the list's order, and merging them (k-way, by the sort keys) into one page. Pure:
 * the router and the shards share it, and it is unit-tested in Node.
 */
import type { WorkflowExecutionStatus } from '../../protocol/index.js';
import type { SortKey, SqlValue } from './filter-sql.js';

/** A run as a list reads it (the columns of LIST_COLUMNS), with its sort-key values as k0, k1, …. */
export interface ExecutionRow {
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

/** The columns a list answer needs, the same in D1's `executions` and a shard's `visibility`. */
export const LIST_COLUMNS = 'e.workflow_id, e.run_id, e.workflow_type, e.task_queue, e.status, e.start_time, e.execution_time, e.close_time, e.history_length, e.first_run_id, e.memo, e.search_attributes';

/** One store's rows of a page: in the list's order; `more` when the store has rows after them. */
export interface StorePage {
  rows: ExecutionRow[];
  more: boolean;
}

/**
 * The first rows whose memos and search attributes fit in one answer (always at least one): a page
 * of executions with big memos ends early, and its token goes on from there.
 */
export function withinBytes(rows: ExecutionRow[], maxBytes: number): ExecutionRow[] {
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    bytes += 512 + r.workflow_id.length + (r.memo?.length ?? 0) + (r.search_attributes?.length ?? 0);
    if (bytes > maxBytes && i > 0) return rows.slice(0, i);
  }
  return rows;
}

/** A store's page from the rows its SELECT gave (at most `pageSize` + 1: one more says that more follow). */
export function storePage(rows: ExecutionRow[], pageSize: number, maxBytes: number): StorePage {
  const page = withinBytes(rows.slice(0, pageSize), maxBytes);
  return { rows: page, more: rows.length > page.length };
}

/**
 * SQLite's order of two values (BINARY collation): NULL, then numbers, then text by its UTF-8 bytes
 * — which is the order of code points, not JavaScript's order of UTF-16 units (they differ past
 * U+FFFF), so a page merged here is in the order each store's ORDER BY gave.
 */
export function compareSqlValues(a: SqlValue, b: SqlValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'number') return typeof b === 'number' ? (a < b ? -1 : a > b ? 1 : 0) : -1;
  if (typeof b === 'number') return 1;
  const x = a;
  const y = b;
  for (let i = 0, j = 0; i < x.length && j < y.length; ) {
    const cx = x.codePointAt(i)!;
    const cy = y.codePointAt(j)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
    i += cx > 0xffff ? 2 : 1;
    j += cy > 0xffff ? 2 : 1;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

/** The order of two rows by the list's sort keys (each key ascending or descending). */
export function compareRows(keys: readonly SortKey[], a: ExecutionRow, b: ExecutionRow): number {
  for (const k of keys) {
    const c = compareSqlValues(a[k.alias as `k${number}`] ?? null, b[k.alias as `k${number}`] ?? null);
    if (c !== 0) return k.direction === 'DESC' ? -c : c;
  }
  return 0;
}

/**
 * One page from several stores' pages (each in the list's order, each the first rows of its store
 * after the same token): the first `pageSize` rows of all, in order. It never goes past the last row
 * of a store that has more, since that store's next rows could come before any row after it; so the
 * page is exactly the first rows of the union, and `more` says whether any row is left anywhere.
 */
export function mergePages(keys: readonly SortKey[], pages: readonly StorePage[], pageSize: number): StorePage {
  const at = pages.map(() => 0);
  const rows: ExecutionRow[] = [];
  while (rows.length < pageSize) {
    let best = -1;
    let stop = false;
    for (let i = 0; i < pages.length; i++) {
      const page = pages[i]!;
      if (at[i]! >= page.rows.length) {
        // A store read to the end of what it sent, with more behind it: nothing after this point is sure.
        if (page.more) stop = true;
        continue;
      }
      if (best < 0 || compareRows(keys, page.rows[at[i]!]!, pages[best]!.rows[at[best]!]!) < 0) best = i;
    }
    if (stop || best < 0) break;
    rows.push(pages[best]!.rows[at[best]!]!);
    at[best] = at[best]! + 1;
  }
  return { rows, more: pages.some((p, i) => p.more || at[i]! < p.rows.length) };
}
