// The size of a SQLite database as SQLite counts it (page_count × page_size, what a Durable
// Object's `sql.databaseSize` reports and Cloudflare bills as stored), read from its file and its
// write-ahead log without SQLite (Node 20 has no node:sqlite). Needed because workerd, stopped by
// miniflare's dispose, leaves each object's last transactions in its `-wal` file, uncheckpointed:
// the main file alone shows the database as of its last checkpoint (often one page).
//
// Formats: https://www.sqlite.org/fileformat2.html ("The Database Header", "WAL File Format").
import { existsSync, readFileSync } from 'node:fs';

export interface SqliteSize {
  pageSize: number;
  pageCount: number;
  /** pageCount × pageSize. */
  bytes: number;
  /** Commit frames of the WAL that count (0 when the size is the main file's header's). */
  walCommits: number;
}

export class SqliteSizeError extends Error {
  readonly code = 'SQLITE_SIZE_UNREADABLE';
}

const WAL_HEADER = 32;
const FRAME_HEADER = 24;

/** The main file's header: page size, and its page count when the header's count is valid. */
function mainHeader(db: Uint8Array): { pageSize: number; pageCount: number } | undefined {
  if (db.length < 100) return undefined;
  const v = new DataView(db.buffer, db.byteOffset, db.byteLength);
  const raw = v.getUint16(16);
  const pageSize = raw === 1 ? 65536 : raw;
  // The in-header size is valid when the version-valid-for number equals the change counter;
  // otherwise SQLite computes it from the file's size.
  const valid = v.getUint32(28) > 0 && v.getUint32(24) === v.getUint32(92);
  return { pageSize, pageCount: valid ? v.getUint32(28) : Math.floor(db.length / pageSize) };
}

/** SQLite's WAL checksum over `data` (a multiple of 8 bytes), continuing from `s`. */
export function walChecksum(data: Uint8Array, s: [number, number], bigEndian: boolean): [number, number] {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let [s0, s1] = s;
  for (let i = 0; i < data.length; i += 8) {
    s0 = (s0 + v.getUint32(i, !bigEndian) + s1) >>> 0;
    s1 = (s1 + v.getUint32(i + 4, !bigEndian) + s0) >>> 0;
  }
  return [s0, s1];
}

/**
 * The database's page count as of the WAL's last valid commit: frames count while their salts
 * match the header's and their cumulative checksums hold (a WAL reused after a checkpoint keeps
 * older frames behind the current ones; those have other salts). Undefined when the WAL holds no
 * valid commit.
 */
function walCommit(wal: Uint8Array): { pageSize: number; pageCount: number; commits: number } | undefined {
  if (wal.length < WAL_HEADER) return undefined;
  const v = new DataView(wal.buffer, wal.byteOffset, wal.byteLength);
  const magic = v.getUint32(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return undefined;
  const bigEndian = (magic & 1) === 1;
  const pageSize = v.getUint32(8);
  let sum = walChecksum(wal.subarray(0, 24), [0, 0], bigEndian);
  if (sum[0] !== v.getUint32(24) || sum[1] !== v.getUint32(28)) return undefined;
  const salt1 = v.getUint32(16);
  const salt2 = v.getUint32(20);
  let pageCount: number | undefined;
  let commits = 0;
  for (let at = WAL_HEADER; at + FRAME_HEADER + pageSize <= wal.length; at += FRAME_HEADER + pageSize) {
    if (v.getUint32(at + 8) !== salt1 || v.getUint32(at + 12) !== salt2) break;
    sum = walChecksum(wal.subarray(at, at + 8), sum, bigEndian);
    sum = walChecksum(wal.subarray(at + FRAME_HEADER, at + FRAME_HEADER + pageSize), sum, bigEndian);
    if (sum[0] !== v.getUint32(at + 16) || sum[1] !== v.getUint32(at + 20)) break;
    const committedSize = v.getUint32(at + 4);
    if (committedSize > 0) {
      pageCount = committedSize;
      commits++;
    }
  }
  return pageCount === undefined ? undefined : { pageSize, pageCount, commits };
}

/** The size of a database from its main file's bytes and its WAL's (empty when there is none). */
export function sqliteSize(db: Uint8Array, wal: Uint8Array = new Uint8Array()): SqliteSize {
  const committed = walCommit(wal);
  if (committed) return { pageSize: committed.pageSize, pageCount: committed.pageCount, bytes: committed.pageSize * committed.pageCount, walCommits: committed.commits };
  const header = mainHeader(db);
  if (!header) throw new SqliteSizeError('neither the database header nor its WAL can be read');
  return { ...header, bytes: header.pageSize * header.pageCount, walCommits: 0 };
}

/** The size of the database at `file` (with `file-wal` beside it, when there is one). */
export function sqliteFileSize(file: string): SqliteSize {
  const wal = `${file}-wal`;
  return sqliteSize(readFileSync(file), existsSync(wal) ? readFileSync(wal) : undefined);
}
