/**
 * A shard's alarm slots as stored (shard-alarms.ts keeps them in memory and fires them): the backstop
 * for after an eviction or a restart, in rows shared by the slots due in one second — `alarm_buckets`,
 * keyed by the second rounded up (a due-time bucket), each row the scopes due by it. Cloudflare bills
 * every row written, an index entry included; a row per slot, found by an index on its due time, cost
 * a short workflow three. A row here costs one write per scope added, and one deletion for all (or none: below).
 *
 * A passed row whose scopes are done with is not deleted but kept as a spare (`retire`), and the next
 * row made is written over it (`append`: its key and scopes changed, one row written, where an insert
 * and the deletion were two). A shard that sees a workflow every few seconds made and deleted a row for
 * each. A spare is only a row of few scopes: after a restart it is a passed row like any, whose scopes
 * are fired (each finds nothing due) before it is retired again.
 *
 * A busy second's scopes go into several rows, its parts, each kept within ROW_BYTES: every append
 * rewrites the row, and one that outgrows its page spills into overflow pages, all written again at
 * every append. A part's key is its second plus its number (a millisecond each), before the next second.
 */

/** A bucket's width: its row fires at most this much after the slots in it. */
export const BUCKET_MS = 1000;

/** The bucket whose row holds a slot due `at`, set at `now`: its second rounded up, and always after `now` (a firing reads rows up to its moment). */
export const bucketOf = (at: number, now: number) => Math.ceil(Math.max(at, now + 1) / BUCKET_MS) * BUCKET_MS;

/** The bucket of a row's key (its second, whatever its part). */
export const bucketOfRow = (key: number) => key - (key % BUCKET_MS);

/** A part's text is kept within this (see above): a 4 KB page holds it. */
const ROW_BYTES = 2000;

/** Passed rows kept as spares at most (see above), and the most scopes a row kept as one holds. */
const SPARES = 2;
const SPARE_SCOPES = 4;

/** A row: its key (wall-clock ms: its bucket's second, plus its part) and its scopes, each a JSON string and a newline. */
const SCHEMA = `CREATE TABLE IF NOT EXISTS alarm_buckets (at INTEGER PRIMARY KEY, scopes TEXT NOT NULL)`;

/**
 * The layout before buckets (a row per slot, and its index): its slots are carried into rows when an
 * object that has it starts, so that no timer of a `keel dev` data directory or a deployed shard is
 * lost on upgrade.
 */
const OLD_TABLE = 'alarms';

/** A JSON string has no newline: a newline and a scope's string are where that scope is in a row. */
const encodeScope = (scope: string) => `${JSON.stringify(scope)}\n`;
const decodeScopes = (text: string): Set<string> => new Set(text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as string));

export class AlarmRows {
  /** The part of each bucket ahead that this instance writes into, and its text's length (a part from before it counts as empty). */
  private readonly parts = new Map<number, { key: number; bytes: number }>();
  /** Keys of the passed rows kept to be written over (see above); not rows of any slot. */
  private readonly spares = new Set<number>();

  constructor(
    private readonly storage: Pick<DurableObjectStorage, 'sql' | 'transactionSync'>,
    /** The wall clock (the shard's, through ShardAlarms): the old layout's slots go into the buckets due from now. */
    now: () => number,
  ) {
    storage.sql.exec(SCHEMA);
    this.carryOver(now);
  }

  /**
   * Writes slots (scope, due) set at `now` into their buckets' rows, one write for those of a bucket;
   * returns the key of the row each scope went into.
   */
  writeSlots(sql: SqlStorage, slots: Iterable<[scope: string, due: number]>, now: number): Map<string, number> {
    const byBucket = new Map<number, string[]>();
    for (const [scope, due] of slots) {
      const bucket = bucketOf(due, now);
      const scopes = byBucket.get(bucket);
      if (scopes) scopes.push(scope);
      else byBucket.set(bucket, [scope]);
    }
    const written = new Map<string, number>();
    for (const [bucket, scopes] of byBucket) {
      const key = this.write(sql, bucket, scopes);
      for (const scope of scopes) written.set(scope, key);
    }
    return written;
  }

  /** Adds `scopes` to `bucket`'s rows through `sql` (its last part, a new one when full); returns the key of the row written. */
  write(sql: SqlStorage, bucket: number, scopes: string[]): number {
    const key = this.place(bucket, scopes);
    this.append(sql, key, scopes);
    return key;
  }

  /**
   * The key of the row of `bucket` that `scopes` go into (its last part, a new one when full), their
   * room in it taken; `append` writes them there. (Room taken by scopes never written — a rollback —
   * only fills a part sooner.)
   */
  place(bucket: number, scopes: readonly string[]): number {
    const bytes = scopes.reduce((n, scope) => n + encodeScope(scope).length, 0);
    let part = this.parts.get(bucket) ?? { key: bucket, bytes: 0 };
    if (part.bytes > 0 && part.bytes + bytes > ROW_BYTES && part.key + 1 < bucket + BUCKET_MS) part = { key: part.key + 1, bytes: 0 };
    part.bytes += bytes;
    this.parts.set(bucket, part);
    return part.key;
  }

  /**
   * Adds `scopes` to the row `key` through `sql`, made over a spare if there is one, else inserted: one
   * row written. (An upsert, `ON CONFLICT DO UPDATE`, is billed two rows when the row is there: the
   * insert tried and the update.) A spare written over in a transaction that rolls back is a passed
   * row again, which the next firing takes.
   */
  append(sql: SqlStorage, key: number, scopes: Iterable<string>): void {
    const text = [...scopes].map(encodeScope).join('');
    if (sql.exec(`UPDATE alarm_buckets SET scopes = scopes || ? WHERE at = ?`, text, key).rowsWritten > 0) return;
    for (const spare of this.spares) {
      this.spares.delete(spare);
      if (sql.exec(`UPDATE alarm_buckets SET at = ?, scopes = ? WHERE at = ?`, key, text, spare).rowsWritten > 0) return;
    }
    sql.exec(`INSERT INTO alarm_buckets (at, scopes) VALUES (?, ?)`, key, text);
  }

  /** The rows whose key is `now` or before (spares aside), earliest first; a row's scopes are read when asked for. */
  *passed(now: number): Generator<{ key: number; scopes: () => Set<string> }> {
    for (const { at, scopes } of this.storage.sql.exec<{ at: number; scopes: string }>(`SELECT at, scopes FROM alarm_buckets WHERE at <= ? ORDER BY at`, now)) {
      if (!this.spares.has(at)) yield { key: at, scopes: () => decodeScopes(scopes) };
    }
  }

  /**
   * A passed row whose `scopes` are done with: kept as a spare (no write; returns true) if there is room
   * and it holds few, else deleted.
   */
  retire(key: number, scopes: number): boolean {
    // Buckets passed are written no more (a bucket is always ahead when written).
    for (const bucket of this.parts.keys()) if (bucket <= key) this.parts.delete(bucket);
    if (this.spares.size < SPARES && scopes <= SPARE_SCOPES) {
      this.spares.add(key);
      return true;
    }
    this.storage.sql.exec(`DELETE FROM alarm_buckets WHERE at = ?`, key);
    return false;
  }

  /** A row kept as a spare in a transaction that rolled back: a passed row again, for the next firing to take. */
  unretire(key: number): void {
    this.spares.delete(key);
  }

  /** The earliest row's key (spares aside); null when none. */
  earliest(): number | null {
    return this.earliestBut(new Map()) ?? null;
  }

  /** The earliest row's key but those of `skipped` (and spares). */
  earliestBut(skipped: ReadonlyMap<number, unknown>): number | undefined {
    return this.storage.sql
      .exec<{ at: number }>(`SELECT at FROM alarm_buckets ORDER BY at LIMIT ?`, skipped.size + this.spares.size + 1)
      .toArray()
      .find((r) => !skipped.has(r.at) && !this.spares.has(r.at))?.at;
  }

  /** The key of the earliest row (spares aside) that holds `scope` (a scan of every row's text). */
  holding(scope: string): number | undefined {
    return this.storage.sql
      .exec<{ at: number }>(`SELECT at FROM alarm_buckets WHERE instr(char(10) || scopes, char(10) || ?) > 0 ORDER BY at LIMIT ?`, encodeScope(scope), this.spares.size + 1)
      .toArray()
      .find((r) => !this.spares.has(r.at))?.at;
  }

  /**
   * An object with the old layout (a row per slot) has its slots moved into rows, in one transaction,
   * and the old table dropped. The object's alarm, set for them, stays; the rows fire every scope
   * they hold (none is known to the instance).
   */
  private carryOver(now: () => number): void {
    const sql = this.storage.sql;
    if (sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`, OLD_TABLE).toArray().length === 0) return;
    this.storage.transactionSync(() => {
      const old = sql.exec<{ scope: string; due: number }>(`SELECT scope, due FROM ${OLD_TABLE}`).toArray();
      this.writeSlots(sql, old.map((r): [string, number] => [r.scope, r.due]), now());
      sql.exec(`DROP TABLE ${OLD_TABLE}`);
    });
  }
}
