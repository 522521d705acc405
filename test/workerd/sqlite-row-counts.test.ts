/**
 * What workerd's SQLite row counter (`cursor.rowsWritten`, the unit Cloudflare bills: "Deletes are
 * counted as rows written") reports for the ways to delete a whole table: a `DELETE` row by row, a
 * `DELETE FROM t` with no WHERE (SQLite's truncate optimisation: it reads no row, and is counted as if it
 * deleted each), `DROP TABLE` (counted as nothing). A fact of the platform,
 * not of Keel, kept as a test because a design that keeps closed runs in tables dropped whole (a table per
 * day of closes) would be priced on it (bench/RESULTS.md, "What a W1's deletion costs"): the test fails
 * when a workerd upgrade counts otherwise. Each figure is printed, to be read from the run's output.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { workflowObjectStub } from '../../src/stubs.js';
import { testEnv, unique } from './helpers.js';

/** Rows in the table each case deletes. */
const N = 200;

/** The rows a statement read and wrote, as its cursor reports them once consumed. */
function counted(sql: SqlStorage, query: string): { rowsRead: number; rowsWritten: number } {
  const cursor = sql.exec(query);
  cursor.toArray();
  return { rowsRead: cursor.rowsRead, rowsWritten: cursor.rowsWritten };
}

/**
 * A scratch table of N rows (a rowid table, or one WITHOUT ROWID with a secondary index, as Keel's
 * tables are), in a fresh object; `fn` is given the rows its creation wrote.
 */
async function withTable<T>(kind: 'rowid' | 'without rowid', fn: (sql: SqlStorage, created: number) => T): Promise<T> {
  return runInDurableObject(workflowObjectStub(testEnv, unique('ns'), unique('scratch')), (_o, state) => {
    const sql = state.storage.sql;
    let created: number;
    if (kind === 'rowid') created = counted(sql, `CREATE TABLE scratch (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`).rowsWritten;
    else created = counted(sql, `CREATE TABLE scratch (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID`).rowsWritten + counted(sql, `CREATE INDEX scratch_by_v ON scratch (v)`).rowsWritten;
    for (let i = 0; i < N; i++) sql.exec(`INSERT INTO scratch VALUES (?, ?)`, kind === 'rowid' ? i : `k${String(i).padStart(4, '0')}`, `value ${i} `.repeat(8));
    return fn(sql, created);
  });
}

describe("workerd's row counter when a whole table goes", () => {
  for (const kind of ['rowid', 'without rowid'] as const) {
    it(`a ${kind} table of ${N} rows: a DELETE, with a WHERE or none, counts ${N} rows written; DROP TABLE counts none`, async () => {
      const byRow = await withTable(kind, (sql, created) => ({ created, ...counted(sql, `DELETE FROM scratch WHERE ${kind === 'rowid' ? 'id' : 'k'} >= ${kind === 'rowid' ? 0 : "''"}`) }));
      const truncate = await withTable(kind, (sql) => {
        const c = counted(sql, `DELETE FROM scratch`);
        return { ...c, left: sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM scratch`).one().n };
      });
      const drop = await withTable(kind, (sql) => {
        const c = counted(sql, `DROP TABLE scratch`);
        return { ...c, left: sql.exec(`SELECT name FROM sqlite_schema WHERE name LIKE 'scratch%'`).toArray().length };
      });
      console.log(`workerd row counts, ${kind} table of ${N} rows:`, JSON.stringify({ deleteByRow: byRow, deleteNoWhere: truncate, dropTable: drop }));
      expect(byRow.rowsWritten).toBe(N);
      expect(truncate.left).toBe(0);
      expect(drop.left).toBe(0);
      // The truncate optimisation reads no row, and is billed a row written for each row it removed.
      expect(truncate.rowsRead).toBe(0);
      expect(truncate.rowsWritten).toBe(N);
      // DROP TABLE reads the schema's rows and is billed nothing, its N rows and its schema rows included.
      expect(drop.rowsWritten).toBe(0);
      // Creating the table is billed (its schema rows): what a table dropped whole costs instead.
      expect(byRow.created).toBeGreaterThan(0);
    });
  }
});
