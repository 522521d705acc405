/**
 * A shard's one alarm, shared by its workflows. Each workflow has a slot — its due time — which the
 * shard keeps in memory exactly, and fires on time from an in-memory timer while the object lives.
 * Storage holds slots only as the backstop for when it does not (an eviction, a restart), in rows
 * shared by many workflows: one per due-time bucket (`alarm_buckets`: the second a slot is due in,
 * rounded up), each the scopes due by it. Cloudflare bills every row written and every index entry,
 * and a row of its own per slot (with the index that found the earliest) cost a short workflow three
 * billed rows: written twice, deleted once. A bucket's row costs one write per slot set into it, and
 * one deletion for all its scopes.
 *
 * Slots are lazy. A slot set writes its scope into its bucket's row in the workflow's own transaction
 * (a rollback takes both back: `transaction`) — unless the scope is in an earlier bucket's row
 * already, which will fire first (a slot moved later keeps its row), or, for a slot due within
 * NEAR_MS, in one within NEAR_MS (the alarm would not fire sooner anyway). A slot cleared writes nothing.
 * So a short workflow writes its slot once (its first due moment, a second after its start, when an
 * undelivered task would be handed over again) and never again. A bucket whose second has passed is
 * taken by the next firing (the timer goes to a row's second too, and the alarm): its scopes this
 * instance knows are not due go (cleared) or move to their own bucket's row (a slot moved later: that
 * is its second write), the others are fired, and the row is deleted once they have set their slots
 * again. After a restart no scope is known, so each of a passed row's is fired: a workflow whose
 * alarm finds nothing due just sets its slot again or clears it. A bucket lies ahead of every moment
 * a firing has read rows at, so a slot set again never lands in a row being deleted.
 *
 * The object's alarm is the backstop: set for the earliest row, and no earlier than NEAR_MS from now,
 * since while the object lives its timer fires slots due sooner (local workerd was also seen to lose
 * an alarm set again a few ms ahead during or just after its handler: bench/RESULTS.md, "Seen on the
 * way"). Most such slots are backstops a workflow clears within ms (a task's hand-off window, its
 * delivery's retry, a workflow task's timeout), and a busy shard's alarm, set for each of them, fired
 * about once a second for nothing: each firing two commits (the shard's and workerd's alarm index).
 * A row due later than NEAR_MS — a timer an evicted shard waits for — sets the alarm to its second.
 *
 * A firing (`fire`) runs the due workflows' alarms side by side and waits for none of the others:
 * a slot that comes due while an earlier workflow's alarm still waits on its hand-over or delivery
 * fires at once. The object's alarm is moved, and the rows the firing took are deleted, once per
 * firing, when the last of its workflows has set its slot again — in that workflow's transaction —
 * so that a firing's writes are one commit: each commit is an fsync on the object's one thread under
 * `keel dev` (bench/RESULTS.md, "W3 with shards"). Until then the alarm stays where it was, before
 * every slot still due.
 */

export interface AlarmSlot {
  /** The slot's time (wall-clock ms; null: none): as set, or — not set since the object started — its row's second. */
  get(): number | null;
  /** Sets the slot (wall-clock ms); synchronous, so that its row is part of the caller's transaction. */
  set(at: number): void;
  clear(): void;
}

/**
 * A bucket's row: its second (wall-clock ms, a whole second) and its scopes, each a JSON string and a
 * newline (a JSON string has none, so a newline and a scope's string are where that scope is).
 */
const SCHEMA = `CREATE TABLE IF NOT EXISTS alarm_buckets (at INTEGER PRIMARY KEY, scopes TEXT NOT NULL)`;

/**
 * The layout before buckets (a row per slot, and its index): its slots are carried into buckets
 * when an object that has it starts, so that no timer of a `keel dev` data directory or a
 * deployed shard is lost on upgrade.
 */
const OLD_TABLE = 'alarms';

/** A bucket's width: a row fires at most this much after the slots in it (the alarm, at most NEAR_MS after anyway). */
export const BUCKET_MS = 1000;

/**
 * The object's alarm is set no earlier than this from now (see above): the longest a slot due sooner
 * waits past its moment when the shard is evicted or the service restarts before the timer fires it.
 */
export const NEAR_MS = 5000;

/** Workflows fired per turn; more due than that are fired by the next turn, at once. */
const FIRE_BATCH = 100;
/** A workflow whose alarm failed is tried again this much later (its slot stays due). */
const RETRY_MS = 1000;

/** The bucket whose row holds a slot due `at`, set at `now`: its second rounded up, and always after `now` (a firing reads rows up to its moment). */
export const bucketOf = (at: number, now: number) => Math.ceil(Math.max(at, now + 1) / BUCKET_MS) * BUCKET_MS;

/**
 * A row's text is kept within this: each write rewrites the row, and one that outgrows its page
 * spills into overflow pages, each written again at every append (a busy shard's second holds
 * hundreds of scopes). A full row's second goes on in a row of its own at the next millisecond
 * (its part): a bucket's rows are keyed from its second up, still before the next one.
 */
const ROW_BYTES = 2000;
/** The bucket of a row's key (its second, whatever its part). */
const bucketOfRow = (key: number) => key - (key % BUCKET_MS);

const encodeScope = (scope: string) => `${JSON.stringify(scope)}\n`;
/**
 * Adds `scopes` to the row of `bucket` (made if new): one row written. (An upsert, `ON CONFLICT DO
 * UPDATE`, is billed two rows when the row is there: the insert tried and the update.)
 */
function writeRow(sql: SqlStorage, bucket: number, scopes: string[]): void {
  const text = scopes.map(encodeScope).join('');
  if (sql.exec(`UPDATE alarm_buckets SET scopes = scopes || ? WHERE at = ?`, text, bucket).rowsWritten === 0) sql.exec(`INSERT INTO alarm_buckets (at, scopes) VALUES (?, ?)`, bucket, text);
}
const decodeScopes = (text: string): Set<string> => new Set(text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as string));

/** What this instance knows of a slot: its time, and the earliest row it knows holds the scope. */
interface SlotState {
  due: number | null;
  row: number | undefined;
}

/** A passed row a firing took: its scopes, and those whose workflow must set its slot again before it goes. */
interface TakenRow {
  scopes: Set<string>;
  waitFor: Set<string>;
}

/** What a transaction changed in memory, taken back if it rolls back. */
interface Journal {
  slots: Map<string, SlotState | undefined>;
  /** Fired scopes it set again (no longer pending). */
  unpended: string[];
  /** Taken rows it stopped waiting for a scope: [bucket, scope]. */
  unwaited: Array<[number, string]>;
}

export class ShardAlarms {
  /** The object's alarm as last set by this instance (null: none); undefined when not known. */
  private armedAt: number | null | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  /** Every slot set or cleared since the object started (a cleared one while a row still holds it). */
  private readonly slots = new Map<string, SlotState>();
  /** Passed rows a firing took, by bucket: deleted when no workflow of theirs is waited for. */
  private readonly taken = new Map<number, TakenRow>();
  /** The scopes whose workflow's alarm runs now, with when their firing began. */
  private readonly running = new Map<string, number>();
  /** The scopes fired whose workflow has not set its slot again yet: the alarm moves when none is left. */
  private readonly pending = new Set<string>();
  /** The running workflows' alarms, to wait for. */
  private readonly runs = new Map<string, Promise<void>>();
  private journal: Journal | undefined;
  /** The row of each bucket ahead that this instance writes into (its last part), and its text's length. */
  private readonly parts = new Map<number, { key: number; bytes: number }>();

  constructor(
    private readonly storage: DurableObjectStorage,
    /** Fires the workflows whose slots are due (the object's alarm handler, and the timer). */
    private readonly onTimer: () => Promise<void>,
  ) {
    storage.sql.exec(SCHEMA);
    this.carryOver();
    // The rows written before this instance: the timer takes the earliest at its second.
    const earliest = this.earliestRow();
    if (earliest !== null) this.startTimer(earliest);
  }

  /** A workflow's slot; the rows it writes go through the workflow's own handle `sql`, so that its meter counts them. */
  slot(scope: string, sql: SqlStorage): AlarmSlot {
    return {
      get: () => {
        const known = this.slots.get(scope);
        if (known) return known.due;
        // Not set since the object started: the second of the earliest row that holds it (a scan of
        // the rows, once: it is known from then on, and the timer fires it with that row).
        const row = this.storage.sql.exec<{ at: number }>(`SELECT at FROM alarm_buckets WHERE instr(char(10) || scopes, char(10) || ?) > 0 ORDER BY at LIMIT 1`, encodeScope(scope)).toArray()[0]?.at;
        if (row === undefined) return null;
        this.slots.set(scope, { due: row, row });
        this.startTimer(row);
        return row;
      },
      set: (at) => {
        // A workflow whose alarm runs and asks for a moment that was past when it began did not take
        // what was due (it failed, or its clock is a test's): again after RETRY_MS, not at once, forever.
        const runningSince = this.running.get(scope);
        if (runningSince !== undefined && at <= runningSince) at = Date.now() + RETRY_MS;
        const wrote = this.setSlot(scope, at, sql);
        this.wasSet(scope, at, wrote);
      },
      clear: () => {
        const state = this.change(scope);
        state.due = null;
        if (state.row === undefined) this.slots.delete(scope);
        this.wasSet(scope, null, undefined);
      },
    };
  }

  /**
   * Runs `fn` (a workflow's transaction) so that what it changes of the slots in memory goes back
   * with its writes if it throws.
   */
  transaction<T>(fn: () => T): T {
    const outer = this.journal;
    const journal: Journal = { slots: new Map(), unpended: [], unwaited: [] };
    this.journal = journal;
    try {
      const result = fn();
      // Committed into an enclosing transaction: its rollback takes this one's changes back too.
      if (outer) {
        for (const [scope, before] of journal.slots) if (!outer.slots.has(scope)) outer.slots.set(scope, before);
        outer.unpended.push(...journal.unpended);
        outer.unwaited.push(...journal.unwaited);
      }
      return result;
    } catch (err) {
      for (const [scope, before] of journal.slots) {
        if (before) this.slots.set(scope, before);
        else this.slots.delete(scope);
      }
      // A fired workflow's setting again rolled back: the firing and its rows still wait for it. (A
      // row deleted in it is back, and no longer taken: the next firing takes it again.)
      for (const scope of journal.unpended) if (this.running.has(scope)) this.pending.add(scope);
      for (const [bucket, scope] of journal.unwaited) this.taken.get(bucket)?.waitFor.add(scope);
      // The object's alarm may have been set in it.
      this.armedAt = undefined;
      throw err;
    } finally {
      this.journal = outer;
    }
  }

  /**
   * Runs the alarm of each workflow whose slot is due and whose alarm is not running already, side
   * by side; resolves when they have ended. `alarm` does not throw (the caller logs what failed).
   */
  async fire(alarm: (scope: string) => Promise<void>): Promise<void> {
    const began = Date.now();
    const due = this.due(began);
    const now = due.filter((scope) => !this.running.has(scope));
    for (const scope of now) {
      this.running.set(scope, began);
      this.pending.add(scope);
      this.runs.set(
        scope,
        alarm(scope).finally(() => {
          this.runs.delete(scope);
          this.ended(scope, began);
        }),
      );
    }
    // Nothing due: the rows taken go, and the alarm goes to the earliest left.
    if (due.length === 0) return this.armNext();
    // Due ones already running are waited for too: the object's alarm handler must not end before
    // the alarm is set again (workerd deletes an alarm its handler did not set), and they set it when they end.
    await Promise.all(due.map((scope) => this.runs.get(scope)));
  }

  /** The object's alarm ran: it is used up, and whatever is set next must be written. */
  usedUp(): void {
    this.armedAt = undefined;
  }

  /** The scopes due by `now`: the slots known due, earliest first, then those of the passed rows this firing takes. */
  private due(now: number): string[] {
    const known = [...this.slots].filter(([, s]) => s.due !== null && s.due <= now).sort(([, a], [, b]) => a.due! - b.due!);
    const due = new Set(known.slice(0, FIRE_BATCH).map(([scope]) => scope));
    if (due.size < FIRE_BATCH) this.takeRows(now, due);
    return [...due];
  }

  /**
   * Takes the rows whose second has passed (not taken already), while `due` has room. Of each row's
   * scopes, one unknown here (set before the object started) or due is fired, and the row waits for
   * it (and for one fired before that has not set its slot again); one known not due needs the row no
   * more (it moves to a row of its own when this one goes). More rows than room: the timer fires again at once.
   */
  private takeRows(now: number, due: Set<string>): void {
    for (const { at, scopes } of this.storage.sql.exec<{ at: number; scopes: string }>(`SELECT at, scopes FROM alarm_buckets WHERE at <= ? ORDER BY at`, now)) {
      if (this.taken.has(at)) continue;
      if (due.size >= FIRE_BATCH) {
        this.startTimer(now);
        return;
      }
      const row: TakenRow = { scopes: decodeScopes(scopes), waitFor: new Set() };
      for (const scope of row.scopes) {
        const state = this.slots.get(scope);
        const fires = state === undefined || (state.due !== null && state.due <= now);
        if (fires) due.add(scope);
        if (fires || this.pending.has(scope)) row.waitFor.add(scope);
      }
      this.taken.set(at, row);
    }
  }

  /**
   * Sets a slot in memory and, unless a row that fires no later holds its scope already, writes its
   * scope into its bucket's row (through `sql`). Returns the bucket written, if any.
   */
  private setSlot(scope: string, at: number, sql: SqlStorage): number | undefined {
    const state = this.change(scope);
    state.due = at;
    const now = Date.now();
    const bucket = bucketOf(at, now);
    // A row that fires by then holds it already: the slot's, or — for a slot due sooner than NEAR_MS,
    // whose backstop is NEAR_MS ahead anyway — one within NEAR_MS (a workflow's next step sets its slot
    // a second ahead, often in the second after the one its start wrote).
    const enough = Math.max(bucket, bucketOf(now + NEAR_MS, now));
    if (state.row !== undefined && bucketOfRow(state.row) <= enough && !this.taken.has(state.row)) return undefined;
    state.row = this.write(sql, bucket, [scope]);
    return state.row;
  }

  /** Adds `scopes` to the row of `bucket` this instance fills (its last part, a new one when full); returns the row's key. */
  private write(sql: SqlStorage, bucket: number, scopes: string[]): number {
    const bytes = scopes.reduce((n, scope) => n + encodeScope(scope).length, 0);
    let part = this.parts.get(bucket) ?? { key: bucket, bytes: 0 };
    if (part.bytes > 0 && part.bytes + bytes > ROW_BYTES && part.key + 1 < bucket + BUCKET_MS) part = { key: part.key + 1, bytes: 0 };
    part.bytes += bytes;
    this.parts.set(bucket, part);
    writeRow(sql, part.key, scopes);
    return part.key;
  }

  /** The slot's state, made if new, after noting it in the open transaction's journal. */
  private change(scope: string): SlotState {
    let state = this.slots.get(scope);
    if (this.journal && !this.journal.slots.has(scope)) this.journal.slots.set(scope, state && { ...state });
    if (!state) this.slots.set(scope, (state = { due: null, row: undefined }));
    return state;
  }

  /** A slot was set (`at`, its row written in `wrote` if it was) or left or cleared (null), inside its workflow's transaction. */
  private wasSet(scope: string, at: number | null, wrote: number | undefined): void {
    if (this.pending.delete(scope)) {
      this.journal?.unpended.push(scope);
      this.unwait(scope);
      // The last of a firing's workflows moves the alarm, in its transaction; the others only the timer.
      if (this.pending.size === 0) this.armNext();
      else if (at !== null) this.startTimer(at);
      return;
    }
    // Set outside a firing: the timer goes to it if earlier, and the alarm moves only if it would fire
    // later than the row written needs (a new instance: to the earliest row).
    if (at === null) return;
    this.startTimer(at);
    if (wrote === undefined) return;
    const earliest = this.armedAt === undefined || this.armedAt === null ? Math.min(this.earliestRow() ?? wrote, wrote) : wrote;
    if (this.armedAt === undefined || this.armedAt === null || this.armedAt > this.alarmFor(earliest)) this.armAt(earliest);
  }

  /** A fired workflow set its slot again (or ended): the rows taken no longer wait for it. */
  private unwait(scope: string): void {
    for (const [bucket, row] of this.taken) if (row.waitFor.delete(scope)) this.journal?.unwaited.push([bucket, scope]);
  }

  /**
   * A workflow's alarm ended (its deliveries too). Its slot still due by when its firing began, or
   * never set again, means it failed (or took nothing): tried again after RETRY_MS. Then the alarm
   * goes to the earliest row.
   */
  private ended(scope: string, began: number): void {
    this.running.delete(scope);
    const neverSet = this.pending.delete(scope);
    const due = this.slots.get(scope)?.due;
    if (neverSet || (due !== undefined && due !== null && due <= began)) this.setSlot(scope, Date.now() + RETRY_MS, this.storage.sql);
    this.unwait(scope);
    this.armNext();
  }

  /**
   * Deletes the taken rows no workflow is waited for (a slot moved later than its row goes to its
   * own); the timer to the earliest slot but one still due whose workflow's alarm runs (it arms again
   * when it ends, so the timer does not spin on it); the alarm to the earliest row (at once if past).
   */
  private armNext(): void {
    for (const [bucket, row] of this.taken) if (row.waitFor.size === 0) this.deleteRow(bucket, row.scopes);
    const now = Date.now();
    // The timer goes to a row's second too: it takes the row then (one deletion for its scopes), and
    // fires on time what it holds that this instance does not know (set before a restart).
    let timerAt = this.earliestUntakenRow() ?? Infinity;
    for (const [scope, s] of this.slots) if (s.due !== null && s.due < timerAt && (s.due > now || !this.running.has(scope))) timerAt = s.due;
    if (timerAt !== Infinity) this.startTimer(timerAt);
    const earliest = this.earliestRow();
    // An alarm still to come that fires no later than the earliest row needs stays (it fires, finds
    // nothing or that row passed, and moves on); one used up, or none, is written.
    if (earliest === null) this.armAt(null);
    else if (this.armedAt === undefined || this.armedAt === null || this.armedAt <= now || this.armedAt > this.alarmFor(earliest)) this.armAt(earliest);
  }

  /**
   * Deletes a taken row. Its scopes' slots it alone held (moved later since) are written into their
   * own buckets' rows, one write for those of a bucket.
   */
  private deleteRow(bucket: number, scopes: Set<string>): void {
    this.taken.delete(bucket);
    this.storage.sql.exec(`DELETE FROM alarm_buckets WHERE at = ?`, bucket);
    const now = Date.now();
    // Buckets already passed are written no more (a bucket is always ahead when written).
    for (const second of this.parts.keys()) if (second <= now) this.parts.delete(second);
    const moved = new Map<number, string[]>();
    for (const scope of scopes) {
      const state = this.slots.get(scope);
      if (state?.row !== bucket) continue;
      this.change(scope).row = undefined;
      if (state.due === null) this.slots.delete(scope);
      else {
        const to = bucketOf(state.due, now);
        moved.set(to, [...(moved.get(to) ?? []), scope]);
      }
    }
    for (const [to, movedScopes] of moved) {
      const key = this.write(this.storage.sql, to, movedScopes);
      for (const scope of movedScopes) this.slots.get(scope)!.row = key;
    }
  }

  private earliestUntakenRow(): number | undefined {
    return this.storage.sql
      .exec<{ at: number }>(`SELECT at FROM alarm_buckets ORDER BY at LIMIT ?`, this.taken.size + 1)
      .toArray()
      .find((r) => !this.taken.has(r.at))?.at;
  }

  private earliestRow(): number | null {
    return this.storage.sql.exec<{ at: number | null }>(`SELECT MIN(at) AS at FROM alarm_buckets`).one().at;
  }

  /** When the object's alarm must fire for a row of second `at`: then, or NEAR_MS from now if that is later (see above). */
  private alarmFor(at: number): number {
    return Math.max(at, Date.now() + NEAR_MS);
  }

  /** Sets the object's alarm for a row of second `at` (null: none), written only when it moves. */
  private armAt(at: number | null): void {
    const alarm = at === null ? null : this.alarmFor(at);
    if (alarm === this.armedAt) return;
    this.armedAt = alarm;
    void (alarm === null ? this.storage.deleteAlarm() : this.storage.setAlarm(alarm));
  }

  private startTimer(at: number): void {
    if (at >= this.timerAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timerAt = Infinity;
      void this.onTimer();
    }, Math.max(0, at - Date.now()));
  }

  /**
   * An object with the old layout (a row per slot) has its slots moved into bucket rows, in one
   * transaction, and the old table dropped. The object's alarm, set for them, stays; the rows fire
   * every scope they hold (none is known to this instance).
   */
  private carryOver(): void {
    const sql = this.storage.sql;
    if (sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`, OLD_TABLE).toArray().length === 0) return;
    this.storage.transactionSync(() => {
      const now = Date.now();
      const buckets = new Map<number, string[]>();
      for (const { scope, due } of sql.exec<{ scope: string; due: number }>(`SELECT scope, due FROM ${OLD_TABLE}`)) {
        const bucket = bucketOf(due, now);
        buckets.set(bucket, [...(buckets.get(bucket) ?? []), scope]);
      }
      for (const [bucket, scopes] of buckets) this.write(sql, bucket, scopes);
      sql.exec(`DROP TABLE ${OLD_TABLE}`);
    });
  }
}
