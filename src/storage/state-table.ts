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
 */
export const STATE_TABLE = `CREATE TABLE IF NOT EXISTS state (k TEXT PRIMARY KEY, v TEXT NOT NULL, n INTEGER) WITHOUT ROWID`;

export interface StateRow {
  k: string;
  v: string;
  n: number | null;
}

/** The first key after every key that starts with `prefix` (prefixes end with '/', the next code point is '0'). */
export const prefixEnd = (prefix: string) => prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);

export class StateTable {
  constructor(private readonly sql: SqlStorage) {}

  get(k: string): StateRow | undefined {
    return this.sql.exec<StateRow & Record<string, SqlStorageValue>>(`SELECT k, v, n FROM state WHERE k = ?`, k).toArray()[0];
  }

  put(k: string, v: string, n: number | null = null): void {
    this.sql.exec(`INSERT OR REPLACE INTO state (k, v, n) VALUES (?, ?, ?)`, k, v, n);
  }

  delete(k: string): void {
    this.sql.exec(`DELETE FROM state WHERE k = ?`, k);
  }

  /** Rows whose key starts with `prefix`, in key order; with `nAtMost`, only those with n ≤ it. */
  range(prefix: string, options: { nAtMost?: number; limit?: number } = {}): StateRow[] {
    const { nAtMost, limit = -1 } = options;
    return nAtMost === undefined
      ? this.sql.exec<StateRow & Record<string, SqlStorageValue>>(`SELECT k, v, n FROM state WHERE k >= ? AND k < ? ORDER BY k LIMIT ?`, prefix, prefixEnd(prefix), limit).toArray()
      : this.sql.exec<StateRow & Record<string, SqlStorageValue>>(`SELECT k, v, n FROM state WHERE k >= ? AND k < ? AND n <= ? ORDER BY k LIMIT ?`, prefix, prefixEnd(prefix), nAtMost, limit).toArray();
  }

  /** The smallest `n` among the rows of `prefix`, or undefined when there are none. */
  minN(prefix: string): number | undefined {
    return this.sql.exec<{ n: number | null }>(`SELECT MIN(n) AS n FROM state WHERE k >= ? AND k < ?`, prefix, prefixEnd(prefix)).one().n ?? undefined;
  }

  /** The largest `n` among the rows of `prefix`, or undefined when there are none. */
  maxN(prefix: string): number | undefined {
    return this.sql.exec<{ n: number | null }>(`SELECT MAX(n) AS n FROM state WHERE k >= ? AND k < ?`, prefix, prefixEnd(prefix)).one().n ?? undefined;
  }

  /** The last key of `prefix` in key order, or undefined when there are none. */
  lastKey(prefix: string): string | undefined {
    return this.sql.exec<{ k: string }>(`SELECT k FROM state WHERE k >= ? AND k < ? ORDER BY k DESC LIMIT 1`, prefix, prefixEnd(prefix)).toArray()[0]?.k;
  }

  /** Deletes the rows of `prefix` with n < `before`. */
  deleteOlder(prefix: string, before: number): void {
    this.sql.exec(`DELETE FROM state WHERE k >= ? AND k < ? AND n < ?`, prefix, prefixEnd(prefix), before);
  }
}

/** The row of the current run's id and the object's name (workflow-store.ts `currentRow`). */
export const CURRENT = 'm/current';

/** A fixed-width decimal, so that numbers in keys sort as numbers. */
export const pad = (n: number) => String(n).padStart(12, '0');
