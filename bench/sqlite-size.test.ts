import { describe, expect, it } from 'vitest';
import { sqliteSize, SqliteSizeError, walChecksum } from './peers/sqlite-size';

const PAGE = 512;

/** A main database file of `pages` pages whose header says so (change counter = version-valid-for). */
function mainFile(pages: number): Uint8Array {
  const db = new Uint8Array(PAGE * pages);
  const v = new DataView(db.buffer);
  v.setUint16(16, PAGE);
  v.setUint32(24, 7);
  v.setUint32(28, pages);
  v.setUint32(92, 7);
  return db;
}

interface Frame {
  page: number;
  /** The database's size in pages after this frame's commit; 0 for a frame that commits nothing. */
  commit: number;
  salt?: [number, number];
  corrupt?: boolean;
}

/** A WAL as SQLite writes it (big-endian checksums): its header, then frames chained by checksum. */
function walFile(frames: Frame[], salt: [number, number] = [11, 22]): Uint8Array {
  const wal = new Uint8Array(32 + frames.length * (24 + PAGE));
  const v = new DataView(wal.buffer);
  v.setUint32(0, 0x377f0683);
  v.setUint32(4, 3007000);
  v.setUint32(8, PAGE);
  v.setUint32(16, salt[0]);
  v.setUint32(20, salt[1]);
  let sum = walChecksum(wal.subarray(0, 24), [0, 0], true);
  v.setUint32(24, sum[0]);
  v.setUint32(28, sum[1]);
  for (const [i, f] of frames.entries()) {
    const at = 32 + i * (24 + PAGE);
    v.setUint32(at, f.page);
    v.setUint32(at + 4, f.commit);
    v.setUint32(at + 8, (f.salt ?? salt)[0]);
    v.setUint32(at + 12, (f.salt ?? salt)[1]);
    wal.fill(i + 1, at + 24, at + 24 + PAGE);
    sum = walChecksum(wal.subarray(at, at + 8), sum, true);
    sum = walChecksum(wal.subarray(at + 24, at + 24 + PAGE), sum, true);
    v.setUint32(at + 16, f.corrupt ? sum[0] ^ 1 : sum[0]);
    v.setUint32(at + 20, sum[1]);
  }
  return wal;
}

describe('the size of a SQLite database as SQLite counts it, from its files', () => {
  it("reads the main file's header when there is no WAL", () => {
    expect(sqliteSize(mainFile(3))).toEqual({ pageSize: PAGE, pageCount: 3, bytes: 3 * PAGE, walCommits: 0 });
  });

  it("counts the WAL's last commit, which the main file does not show until a checkpoint", () => {
    const wal = walFile([
      { page: 2, commit: 0 },
      { page: 3, commit: 3 },
      { page: 6, commit: 6 },
    ]);
    expect(sqliteSize(mainFile(1), wal)).toEqual({ pageSize: PAGE, pageCount: 6, bytes: 6 * PAGE, walCommits: 2 });
  });

  it('ignores frames after the last commit (a transaction never committed)', () => {
    const wal = walFile([
      { page: 4, commit: 4 },
      { page: 9, commit: 0 },
    ]);
    expect(sqliteSize(mainFile(1), wal).pageCount).toBe(4);
  });

  it('stops at frames of an older WAL generation (other salts) and at a frame whose checksum fails', () => {
    expect(sqliteSize(mainFile(1), walFile([{ page: 2, commit: 2 }, { page: 8, commit: 8, salt: [1, 2] }])).pageCount).toBe(2);
    expect(sqliteSize(mainFile(1), walFile([{ page: 2, commit: 2 }, { page: 8, commit: 8, corrupt: true }])).pageCount).toBe(2);
  });

  it("falls back to the main file when the WAL holds no commit, and says so when neither can be read", () => {
    expect(sqliteSize(mainFile(5), walFile([{ page: 2, commit: 0 }])).pageCount).toBe(5);
    expect(() => sqliteSize(new Uint8Array(10))).toThrow(SqliteSizeError);
  });
});
