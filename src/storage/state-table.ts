/**
 * The `state` table: every row of a workflow object, history included (schema version 3), keyed
 * by a string whose prefix says what it is (see the key functions in workflow-store.ts,
 * history-rows.ts, visibility/outbox.ts and workflow-calls.ts). One table on purpose: in SQLite
 * each table or index is a B-tree of at least one 4 KB page (and creating one writes two billed
 * rows), and all of a finished one-activity workflow fits in one page, so a table per kind of row
 * (runs, outbox, request ids, summaries, calls) multiplied the file five-fold and wrote every row
 * twice (its table and its primary-key index).
 *
 * `n` is a number whose meaning the row's kind gives: a due time for outbox rows, a run's
 * sequence number for run rows, a creation time for request records, the first event id of a
 * history row.
 *
 * `v` is JSON text, but for a closed run's row: a BLOB (row-codec.ts), which a column of TEXT affinity
 * keeps as it is. SQL that reads values with `json_extract` must leave BLOBs out (it fails on one).
 */
import type { StoredValue } from './row-codec.js';
import { STATE_ONLY, type TableBinding } from './day-tables.js';
import { LIST_ENTRY_PLACEHOLDERS, LIST_ENTRY_SQL } from '../visibility/list-entry.js';
import type { SqlValue } from '../visibility/filter-sql.js';

export const STATE_TABLE = `CREATE TABLE IF NOT EXISTS state (k TEXT PRIMARY KEY, v TEXT NOT NULL, n INTEGER) WITHOUT ROWID`;

export interface StateRow {
  k: string;
  v: string;
  n: number | null;
}

/**
 * A row as SQLite gives it back, its value TEXT or a BLOB: what a run row may be (row-codec.ts deflates
 * a closed run's). Every other kind of row is text, written and read as `StateRow`.
 */
export interface StoredRow {
  k: string;
  v: StoredValue;
  n: number | null;
}

/** The first key after every key that starts with `prefix` (prefixes end with '/', the next code point is '0'). */
export const prefixEnd = (prefix: string) => prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);

/**
 * Rows of mirrored prefixes in memory, by prefix then key: every row of the prefix, as on disk. One
 * per workflow's store, shared by every StateTable it makes (its own, its outboxes'): they each own
 * their prefixes, but a rollback undoes all of them at once (`forget`).
 */
export class TableMirror {
  readonly prefixes = new Map<string, Map<string, StateRow>>();
  /**
   * The scope held no row when it was last looked at, and every write since was made through the
   * tables that share this mirror (`knownEmpty`): a mirrored prefix not loaded yet has no row, and
   * loads with no statement.
   */
  complete = false;
  /**
   * The workflow is provisional (WorkflowStore `provisional`): its rows are not on disk but here, by
   * stored key (scope included), each as it would be written, with its list entry if it has one. Only
   * a workflow that had no row (`complete`) is made provisional, so these are all of its rows and
   * every read of them is answered from here; `writePending` puts them on disk, one statement a row.
   */
  pending: Map<string, PendingRow> | undefined;
  /** Told of each row newly held (1) and each held row dropped before it was written (-1): the rows the holding will write. */
  onHeld: ((rows: number) => void) | undefined;
}

/** A row of a provisional workflow, as it will be written. */
export interface PendingRow {
  v: StoredValue;
  n: number | null;
  listing?: SqlValue[] | undefined;
}

/**
 * The state table's rows, read and written by key. Rows under a `mirrored` prefix are also kept
 * in memory: the first read of the prefix loads all of its rows, later reads are answered from
 * memory and writes go to both. A workflow object is single-threaded and its memory lasts until
 * eviction, so memory stays what storage holds, except after a transaction that rolled back:
 * whoever catches that calls `forget`, and the next read loads the prefix again. So only small,
 * hot prefixes are mirrored (the task outbox, pending summaries and calls, the object's own keys),
 * asked for on every change (the alarm's next due time) and every hand-off: a prefix that grows
 * with the run (request records) would be reloaded whole after every rolled-back change.
 */
export class StateTable {
  /**
   * @param scope what every key of this table starts with on disk, unseen by its users: '' for an
   *   object that holds one workflow, the workflow's `keyScope` in a shard that holds many.
   * @param mirror the rows in memory, shared by the tables over the same rows (WorkflowStore.table).
   * @param binding which table holds the rows: `state`, or in a shard the workflow's day table
   *   (day-tables.ts), shared by every table of the workflow so that a move rebinds them all.
   */
  constructor(
    readonly sql: SqlStorage,
    private readonly mirrored: readonly string[] = [],
    readonly scope = '',
    private readonly mirror = new TableMirror(),
    readonly binding: TableBinding = STATE_ONLY,
  ) {}

  /** The name of the table that holds the rows (`state`, or `state_d<N>`). */
  get table(): string {
    return this.binding.state;
  }

  /** A key as stored: the table's scope, then the key. */
  key(k: string): string {
    return this.scope + k;
  }

  /** A row as read from disk, its key without the scope. */
  private unscoped<R extends { k: string }>(row: R): R {
    if (this.scope !== '') row.k = row.k.slice(this.scope.length);
    return row;
  }

  /** Storage rolled back or was emptied: memory drops what it holds of every mirrored prefix. */
  forget(): void {
    this.mirror.prefixes.clear();
    this.mirror.complete = false;
  }

  /** Whether the table's scope holds no row at all (a workflow new to its shard). */
  scopeIsEmpty(): boolean {
    if (this.mirror.pending) return this.mirror.pending.size === 0;
    const end = this.scope === '' ? undefined : prefixEnd(this.scope);
    return (end === undefined ? this.sql.exec(`SELECT 1 FROM ${this.table} LIMIT 1`) : this.sql.exec(`SELECT 1 FROM ${this.table} WHERE k >= ? AND k < ? LIMIT 1`, this.scope, end)).toArray().length === 0;
  }

  /**
   * The scope holds no row (`scopeIsEmpty`): until `forget`, a mirrored prefix is loaded as empty, with
   * no statement. Holds only while every row of a mirrored prefix is written through a table that
   * mirrors it (as the store's, the outboxes' and the calls' tables do): a row put there by other SQL
   * would go unseen.
   */
  knownEmpty(): void {
    this.mirror.complete = true;
  }

  /** The mirrored prefix `k` is under, or undefined. */
  private prefixOf(k: string): string | undefined {
    for (const p of this.mirrored) if (k.startsWith(p)) return p;
    return undefined;
  }

  /** The rows of a mirrored prefix, loaded on first use. */
  private rowsOf(prefix: string): Map<string, StateRow> {
    let rows = this.mirror.prefixes.get(prefix);
    if (!rows) {
      rows = new Map(this.mirror.complete ? [] : this.select(prefix).map((r) => [r.k, r]));
      this.mirror.prefixes.set(prefix, rows);
    }
    return rows;
  }

  /** The rows of a mirrored prefix if memory holds them (loaded, or known to be none), else undefined. */
  private held(prefix: string): Map<string, StateRow> | undefined {
    return this.mirror.prefixes.get(prefix) ?? (this.mirror.complete ? this.rowsOf(prefix) : undefined);
  }

  private select(prefix: string): StateRow[] {
    if (this.mirror.pending) return this.pendingRows(prefix, prefixEnd(prefix), true) as StateRow[];
    const p = this.key(prefix);
    return this.sql.exec<StateRow & Record<string, SqlStorageValue>>(`SELECT k, v, n FROM ${this.table} WHERE k >= ? AND k < ? ORDER BY k`, p, prefixEnd(p)).toArray().map((r) => this.unscoped(r));
  }

  get(k: string): StateRow | undefined {
    const p = this.prefixOf(k);
    if (p !== undefined) return this.rowsOf(p).get(k);
    return this.getStored(k) as StateRow | undefined;
  }

  /** A row of an unmirrored prefix whose value may be a BLOB (a run row). */
  getStored(k: string): StoredRow | undefined {
    if (this.mirror.pending) return this.pendingRows(k, k)[0];
    const row = this.sql.exec<StoredRow & Record<string, SqlStorageValue>>(`SELECT k, v, n FROM ${this.table} WHERE k = ?`, this.key(k)).toArray()[0];
    return row && this.unscoped(row);
  }

  /** Writes a row; a BLOB value only under an unmirrored prefix (the mirror keeps text). */
  put(k: string, v: StoredValue, n: number | null = null): void {
    const pending = this.mirror.pending;
    if (pending) this.hold(k, { v, n });
    else this.sql.exec(`INSERT OR REPLACE INTO ${this.table} (k, v, n) VALUES (?, ?, ?)`, this.key(k), v, n);
    const p = this.prefixOf(k);
    // A prefix not loaded yet is read from storage, this row included, when it is first used.
    if (p !== undefined) this.held(p)?.set(k, { k, v: v as string, n });
  }

  /**
   * Writes a run's row (an unmirrored prefix), in a day table with the run's list entry (`listing`,
   * list-entry.ts) in the same statement: one row written. Without one it keeps the entry the row has
   * (a change that left the run's summary as it was): an upsert of `k, v, n` alone, still one row.
   */
  putRun(k: string, v: StoredValue, n: number, listing: SqlValue[] | undefined): void {
    if (!this.binding.listsInRunRows) return this.put(k, v, n);
    const pending = this.mirror.pending;
    if (pending) this.hold(k, { v, n, listing: listing ?? pending.get(this.key(k))?.listing });
    else if (listing) this.sql.exec(`INSERT OR REPLACE INTO ${this.table} (k, v, n, ${LIST_ENTRY_SQL}) VALUES (?, ?, ?, ${LIST_ENTRY_PLACEHOLDERS})`, this.key(k), v, n, ...listing);
    else this.sql.exec(`INSERT INTO ${this.table} (k, v, n) VALUES (?, ?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v, n = excluded.n`, this.key(k), v, n);
  }

  /** Sets the list entry of a run whose row this change does not otherwise write (a day table's). */
  listRun(k: string, listing: SqlValue[]): void {
    const row = this.mirror.pending?.get(this.key(k));
    if (row) row.listing = listing;
    else if (!this.mirror.pending) this.sql.exec(`UPDATE ${this.table} SET (${LIST_ENTRY_SQL}) = (${LIST_ENTRY_PLACEHOLDERS}) WHERE k = ?`, ...listing, this.key(k));
  }

  delete(k: string): void {
    const pending = this.mirror.pending;
    if (pending) this.unhold(this.key(k));
    else this.sql.exec(`DELETE FROM ${this.table} WHERE k = ?`, this.key(k));
    const p = this.prefixOf(k);
    if (p !== undefined) this.held(p)?.delete(k);
  }

  /** `range` of an unmirrored prefix whose values may be BLOBs (the run rows). */
  rangeStored(prefix: string, options: { limit?: number } = {}): StoredRow[] {
    return this.range(prefix, options) as StoredRow[];
  }

  /** Rows whose key starts with `prefix`, in key order; with `nAtMost`, only those with n ≤ it. */
  range(prefix: string, options: { nAtMost?: number; limit?: number } = {}): StateRow[] {
    const { nAtMost, limit = -1 } = options;
    if (this.mirrored.includes(prefix)) {
      const rows = [...this.rowsOf(prefix).values()].filter((r) => nAtMost === undefined || (r.n !== null && r.n <= nAtMost));
      rows.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
      return limit >= 0 ? rows.slice(0, limit) : rows;
    }
    if (this.mirror.pending) {
      const rows = this.pendingRows(prefix, prefixEnd(prefix), true).filter((r) => nAtMost === undefined || (r.n !== null && r.n <= nAtMost)) as StateRow[];
      return limit >= 0 ? rows.slice(0, limit) : rows;
    }
    const p = this.key(prefix);
    return (
      nAtMost === undefined
        ? this.sql.exec<StateRow & Record<string, SqlStorageValue>>(`SELECT k, v, n FROM ${this.table} WHERE k >= ? AND k < ? ORDER BY k LIMIT ?`, p, prefixEnd(p), limit).toArray()
        : this.sql.exec<StateRow & Record<string, SqlStorageValue>>(`SELECT k, v, n FROM ${this.table} WHERE k >= ? AND k < ? AND n <= ? ORDER BY k LIMIT ?`, p, prefixEnd(p), nAtMost, limit).toArray()
    ).map((r) => this.unscoped(r));
  }

  /** The smallest `n` among the rows of `prefix`, or undefined when there are none. */
  minN(prefix: string): number | undefined {
    if (this.mirrored.includes(prefix)) return this.fold(prefix, Math.min);
    if (this.mirror.pending) return foldN(this.pendingRows(prefix, prefixEnd(prefix), true), Math.min);
    const p = this.key(prefix);
    return this.sql.exec<{ n: number | null }>(`SELECT MIN(n) AS n FROM ${this.table} WHERE k >= ? AND k < ?`, p, prefixEnd(p)).one().n ?? undefined;
  }

  /** The largest `n` among the rows of `prefix`, or undefined when there are none. */
  maxN(prefix: string): number | undefined {
    if (this.mirrored.includes(prefix)) return this.fold(prefix, Math.max);
    if (this.mirror.pending) return foldN(this.pendingRows(prefix, prefixEnd(prefix), true), Math.max);
    const p = this.key(prefix);
    return this.sql.exec<{ n: number | null }>(`SELECT MAX(n) AS n FROM ${this.table} WHERE k >= ? AND k < ?`, p, prefixEnd(p)).one().n ?? undefined;
  }

  /** MIN or MAX of the non-null `n` of a mirrored prefix, as SQL's aggregates do. */
  private fold(prefix: string, pick: (a: number, b: number) => number): number | undefined {
    return foldN(this.rowsOf(prefix).values(), pick);
  }

  /**
   * A provisional workflow's rows with keys from `from` (included) to `to` (included, or excluded with
   * `toExcluded`), in key order, their keys without the scope: what SQL would give once they are written.
   */
  private pendingRows(from: string, to: string, toExcluded = false): StoredRow[] {
    const rows: StoredRow[] = [];
    const [lo, hi] = [this.key(from), this.key(to)];
    for (const [k, r] of this.mirror.pending!) if (k >= lo && (toExcluded ? k < hi : k <= hi)) rows.push({ k: k.slice(this.scope.length), v: r.v, n: r.n });
    return rows.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  }

  /** Holds a provisional workflow's row (`k` without the scope); a key not held before is a row its writing will write. */
  private hold(k: string, row: PendingRow): void {
    const pending = this.mirror.pending!;
    const key = this.key(k);
    if (!pending.has(key)) this.mirror.onHeld?.(1);
    pending.set(key, row);
  }

  /** Drops a held row (its stored key) before it was written. */
  private unhold(key: string): void {
    if (this.mirror.pending!.delete(key)) this.mirror.onHeld?.(-1);
  }

  /**
   * Makes the workflow provisional (its scope has no row: `knownEmpty`): from now on its rows are written
   * to memory only (`TableMirror.pending`), until `writePending`.
   */
  holdPending(onHeld?: (rows: number) => void): void {
    this.mirror.pending ??= new Map();
    this.mirror.onHeld = onHeld;
  }

  /** Whether the workflow's rows are held in memory, not yet written (`holdPending`). */
  get holdsPending(): boolean {
    return this.mirror.pending !== undefined;
  }

  /**
   * Writes a provisional workflow's rows, each with its list entry if it has one; from now on rows are
   * written as they change. Returns the rows written, for `holdAgain` if the transaction rolls back.
   */
  writePending(): Map<string, PendingRow> | undefined {
    const pending = this.mirror.pending;
    if (!pending) return undefined;
    this.mirror.pending = undefined;
    for (const [k, { v, n, listing }] of pending) {
      if (listing && this.binding.listsInRunRows) this.sql.exec(`INSERT OR REPLACE INTO ${this.table} (k, v, n, ${LIST_ENTRY_SQL}) VALUES (?, ?, ?, ${LIST_ENTRY_PLACEHOLDERS})`, k, v, n, ...listing);
      else this.sql.exec(`INSERT OR REPLACE INTO ${this.table} (k, v, n) VALUES (?, ?, ?)`, k, v, n);
    }
    return pending;
  }

  /** The transaction that wrote a provisional workflow's rows (`writePending`) rolled back: they are held again, as they were. */
  holdAgain(rows: Map<string, PendingRow>): void {
    this.mirror.pending = rows;
  }

  /** A provisional workflow's rows are dropped unwritten (a change of it failed part-way: it is lost as in a crash). */
  dropPending(): void {
    this.mirror.pending = undefined;
  }

  /** The last key of `prefix` in key order, or undefined when there are none. */
  lastKey(prefix: string): string | undefined {
    if (this.mirrored.includes(prefix)) {
      let last: string | undefined;
      for (const k of this.rowsOf(prefix).keys()) if (last === undefined || k > last) last = k;
      return last;
    }
    if (this.mirror.pending) return this.pendingRows(prefix, prefixEnd(prefix), true).at(-1)?.k;
    const p = this.key(prefix);
    const k = this.sql.exec<{ k: string }>(`SELECT k FROM ${this.table} WHERE k >= ? AND k < ? ORDER BY k DESC LIMIT 1`, p, prefixEnd(p)).toArray()[0]?.k;
    return k === undefined ? undefined : k.slice(this.scope.length);
  }

  /** Deletes the rows of `prefix` with n < `before`. */
  deleteOlder(prefix: string, before: number): void {
    const p = this.key(prefix);
    const pending = this.mirror.pending;
    if (pending) {
      for (const r of this.pendingRows(prefix, prefixEnd(prefix), true)) if (r.n !== null && r.n < before) this.unhold(this.key(r.k));
    } else this.sql.exec(`DELETE FROM ${this.table} WHERE k >= ? AND k < ? AND n < ?`, p, prefixEnd(p), before);
    const rows = this.mirrored.includes(prefix) ? this.held(prefix) : undefined;
    if (rows) for (const [k, r] of rows) if (r.n !== null && r.n < before) rows.delete(k);
  }

  /**
   * The bytes of the scope's keys and values, and 8 a row for `n` (a workflow's share of a shard's
   * file; its scope is not ''): SQLite's `length`, i.e. characters. `rowBytes` counts one row alike.
   */
  bytes(): number {
    if (this.mirror.pending) {
      let bytes = 0;
      for (const [k, r] of this.mirror.pending) bytes += rowBytes('', k, r.v);
      return bytes;
    }
    return this.sql.exec<{ b: number }>(`SELECT COALESCE(SUM(length(k) + length(v) + 8), 0) AS b FROM ${this.table} WHERE k >= ? AND k < ?`, this.scope, prefixEnd(this.scope)).one().b;
  }

  /** What `bytes` counts of the rows of the mirrored prefixes, from memory; true to `bytes` only while the mirror is complete (`knownEmpty`). */
  mirroredBytes(): number {
    let bytes = 0;
    for (const rows of this.mirror.prefixes.values()) for (const r of rows.values()) bytes += rowBytes(this.scope, r.k, r.v);
    return bytes;
  }

  /** Deletes every row of the table's scope (a workflow's rows in a shard; its scope is not ''). */
  deleteScope(): void {
    if (this.mirror.pending) for (const k of [...this.mirror.pending.keys()]) this.unhold(k);
    else this.sql.exec(`DELETE FROM ${this.table} WHERE k >= ? AND k < ?`, this.scope, prefixEnd(this.scope));
    this.mirror.prefixes.clear();
  }
}

/**
 * What SQLite's `length` gives for a text bound from this string: its characters (code points) before
 * the first NUL; a lone surrogate, as workerd binds it, is one (test/workerd/stored-bytes.test.ts). Keys
 * and JSON texts are nearly always ASCII: one test of the string, then its length.
 */
export function sqlTextLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  if (!/[\0\ud800-\udfff]/.test(s)) return s.length;
  let n = 0;
  for (let i = 0; i < s.length; i++, n++) {
    const c = s.charCodeAt(i);
    if (c === 0) break;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) i++;
    }
  }
  return n;
}

/** What SQLite's `length` counts of a value as stored: a text's characters, a BLOB's bytes. */
export const storedLength = (v: StoredValue) => (typeof v === 'string' ? sqlTextLength(v) : v.byteLength);

/** What `StateTable.bytes` counts of one row of the table (`k` without the scope); `v` its value, or what `storedLength` counts of it. */
export const rowBytes = (scope: string, k: string, v: StoredValue | number) => sqlTextLength(scope) + sqlTextLength(k) + (typeof v === 'number' ? v : storedLength(v)) + 8;

/** The row that records the database's schema version, when it is recorded (schema.ts). */
export const VERSION_KEY = 'm/schemaVersion';

/** The row of the current run's id and the object's name (workflow-store.ts `currentRow`). */
export const CURRENT = 'm/current';

/** A fixed-width decimal, so that numbers in keys sort as numbers. */
export const pad = (n: number) => String(n).padStart(12, '0');

/** MIN or MAX of the non-null `n` of rows, as SQL's aggregates do. */
function foldN(rows: Iterable<{ n: number | null }>, pick: (a: number, b: number) => number): number | undefined {
  let out: number | undefined;
  for (const r of rows) if (r.n !== null) out = out === undefined ? r.n : pick(out, r.n);
  return out;
}
