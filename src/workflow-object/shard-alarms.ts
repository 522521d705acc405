/**
 * A shard's one alarm, shared by its workflows. Each workflow has a slot — its due time — which the
 * shard keeps in memory exactly, and fires on time from an in-memory timer while the object lives.
 * Storage holds slots only as the backstop for when it does not (an eviction, a restart), in rows
 * shared by many workflows (alarm-rows.ts, which says why): one per due-time bucket (the second a
 * slot is due in, rounded up), each the scopes due by it.
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
 *
 * Gathered in a commit group's turn (commit-group.ts; `gatherTurn`). A shard's changes that arrive
 * within a window run together when it ends, and several starts there append to the same bucket's
 * row: a row written each, where one would do. So from the window's end, slots set are written into
 * their row once for all, by a microtask queued after the window's changes (`flush`): one append of
 * every scope gathered for that row. A change outside a group turn (an idle shard's first, an alarm
 * firing, a delivery after a commit, and a slot set in the group turn after the flush) writes at once.
 *
 * Why the gathered row is in the commit of the changes that set its slots, so that nothing
 * acknowledged is without its row on disk:
 * - Workerd runs an object's SQL writes in an implicit transaction, begun at the event's first write
 *   (ActorSqlite::onWrite), and commits it from `kj::evalLater`: on the KJ event loop, which runs no
 *   callback while JavaScript runs, and the isolate runs a turn's microtasks to the end before it
 *   returns to the loop. The window's changes run in microtasks of the window's timer event (the
 *   reactions of its promise), and the flush is queued after them in that same microtask queue: it
 *   runs before that queue is empty, so before the commit; its append is in the same transaction.
 * - A workflow's `transactionSync` is a savepoint inside that transaction: what it commits is
 *   released into it, not made durable, so its change and the row are committed together or not at all.
 * - Every answer waits for the commits of the writes made before it (the output gate, which the
 *   first write of a transaction locks until its commit is confirmed), so no change whose row is
 *   gathered is acknowledged before the flush's commit.
 * - A transaction that rolls back takes its gathered scopes out (its journal), with its rows.
 * - A flush that cannot write (through the first workflow's handle, then the shard's) calls `lost`,
 *   which aborts the object (workflow-object.ts): `ctx.abort()` breaks its storage synchronously, and
 *   workerd's commit checks for that first (`requireNotBroken()` before COMMIT), so the turn's changes
 *   are not committed without their rows, and their answers, held by the output gate, are never sent.
 *
 * The shared row's write is counted by the meter of the first workflow that gathered into it (its own
 * handle): each row written is in exactly one run's cost, and a workflow alone in its second is billed
 * as before; the others of that row are billed nothing for it (the bench counts every statement anyway).
 */
import { AlarmRows, bucketOf, bucketOfRow } from './alarm-rows.js';

export interface AlarmSlot {
  /** The slot's time (wall-clock ms; null: none): as set, or — not set since the object started — its row's second. */
  get(): number | null;
  /** Sets the slot (wall-clock ms); synchronous, so that its row is part of the caller's transaction. */
  set(at: number): void;
  clear(): void;
}

/**
 * The object's alarm is set no earlier than this from now (see above): the longest a slot due sooner
 * waits past its moment when the shard is evicted or the service restarts before the timer fires it.
 */
export const NEAR_MS = 5000;

/** Workflows fired per turn; more due than that are fired by the next turn, at once. */
const FIRE_BATCH = 100;
/** A workflow whose alarm failed is tried again this much later (its slot stays due). */
export const RETRY_MS = 1000;

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
  /** Scopes it gathered for a row not written yet: [row key, scope]. */
  gathered: Array<[number, string]>;
  /** Taken rows it kept as spares rather than deleting them. */
  retired: number[];
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
  private readonly rows: AlarmRows;
  /** In a commit group's turn, until its flush: the rows to write, by key, each its scopes with the handle of the workflow that set each, first first. */
  private gathered: Map<number, Map<string, SqlStorage>> | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    /**
     * The wall clock (the shard's `Clock.wall`), not a clock tests move: slots are wall-clock ms (each
     * workflow sets its own from its own clock, `toWallClock`), and they go to `setAlarm` and the timer.
     */
    private readonly now: () => number,
    /** Fires the workflows whose slots are due (the object's alarm handler, and the timer). */
    private readonly onTimer: () => Promise<void>,
    /** A flush could not write its rows: the changes of its turn must not commit (see above). */
    private readonly lost: (err: unknown) => void = (err) => {
      throw err;
    },
  ) {
    this.rows = new AlarmRows(storage, now);
    // The rows written before this instance: the timer takes the earliest at its second.
    const earliest = this.rows.earliest();
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
        const row = this.rows.holding(scope);
        if (row === undefined) return null;
        this.slots.set(scope, { due: row, row });
        this.startTimer(row);
        return row;
      },
      set: (at) => {
        // A workflow whose alarm runs and asks for a moment that was past when it began did not take
        // what was due (it failed, or its clock is a test's): again after RETRY_MS, not at once, forever.
        const runningSince = this.running.get(scope);
        if (runningSince !== undefined && at <= runningSince) at = this.now() + RETRY_MS;
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
    const journal: Journal = { slots: new Map(), unpended: [], unwaited: [], gathered: [], retired: [] };
    this.journal = journal;
    try {
      const result = fn();
      // Committed into an enclosing transaction: its rollback takes this one's changes back too.
      if (outer) {
        for (const [scope, before] of journal.slots) if (!outer.slots.has(scope)) outer.slots.set(scope, before);
        outer.unpended.push(...journal.unpended);
        outer.unwaited.push(...journal.unwaited);
        outer.gathered.push(...journal.gathered);
        outer.retired.push(...journal.retired);
      }
      return result;
    } catch (err) {
      for (const [scope, before] of journal.slots) {
        if (before) this.slots.set(scope, before);
        else this.slots.delete(scope);
      }
      // A fired workflow's setting again rolled back: the firing and its rows still wait for it. (A
      // row deleted or kept as a spare in it is back, and no longer taken: the next firing takes it again.)
      for (const scope of journal.unpended) if (this.running.has(scope)) this.pending.add(scope);
      for (const [bucket, scope] of journal.unwaited) this.taken.get(bucket)?.waitFor.add(scope);
      for (const [key, scope] of journal.gathered) this.gathered?.get(key)?.delete(scope);
      for (const key of journal.retired) this.rows.unretire(key);
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
    const began = this.now();
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

  /**
   * A commit group's window ended, its changes queued to run (commit-group.ts): the slot rows they
   * write are gathered and written once per row by a microtask queued now, after them (see above).
   */
  gatherTurn(): void {
    if (this.gathered) return;
    this.gathered = new Map();
    queueMicrotask(() => this.flush());
  }

  /** Writes the rows gathered in this turn: one append each, through the handle of the first workflow still in it. */
  private flush(): void {
    const gathered = this.gathered!;
    this.gathered = undefined;
    for (const [key, scopes] of gathered) {
      const [sql] = scopes.values();
      if (sql === undefined) continue;
      try {
        this.rows.append(sql, key, scopes.keys());
      } catch {
        // That workflow's handle closed (dropped from memory): the shard's own.
        try {
          this.rows.append(this.storage.sql, key, scopes.keys());
        } catch (err) {
          this.lost(err);
        }
      }
    }
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
    for (const { key, scopes } of this.rows.passed(now)) {
      if (this.taken.has(key)) continue;
      if (due.size >= FIRE_BATCH) {
        this.startTimer(now);
        return;
      }
      const row: TakenRow = { scopes: scopes(), waitFor: new Set() };
      for (const scope of row.scopes) {
        const state = this.slots.get(scope);
        const fires = state === undefined || (state.due !== null && state.due <= now);
        if (fires) due.add(scope);
        if (fires || this.pending.has(scope)) row.waitFor.add(scope);
      }
      this.taken.set(key, row);
    }
  }

  /**
   * Sets a slot in memory and, unless a row that fires no later holds its scope already, writes its
   * scope into its bucket's row (through `sql`). Returns the bucket written, if any.
   */
  private setSlot(scope: string, at: number, sql: SqlStorage): number | undefined {
    const state = this.change(scope);
    state.due = at;
    const now = this.now();
    const bucket = bucketOf(at, now);
    // A row that fires by then holds it already: the slot's, or — for a slot due sooner than NEAR_MS,
    // whose backstop is NEAR_MS ahead anyway — one within NEAR_MS (a workflow's next step sets its slot
    // a second ahead, often in the second after the one its start wrote).
    const enough = Math.max(bucket, bucketOf(now + NEAR_MS, now));
    if (state.row !== undefined && bucketOfRow(state.row) <= enough && !this.taken.has(state.row)) return undefined;
    state.row = this.gathered ? this.gather(sql, bucket, scope) : this.rows.write(sql, bucket, [scope]);
    return state.row;
  }

  /** Puts `scope` into its bucket's row as gathered in this turn (noted in the open transaction's journal); returns the row's key. */
  private gather(sql: SqlStorage, bucket: number, scope: string): number {
    const key = this.rows.place(bucket, [scope]);
    let row = this.gathered!.get(key);
    if (!row) this.gathered!.set(key, (row = new Map()));
    if (!row.has(scope)) {
      row.set(scope, sql);
      this.journal?.gathered.push([key, scope]);
    }
    return key;
  }

  /** The earliest row's key, written or gathered; null when none. */
  private earliestRow(): number | null {
    let earliest = this.rows.earliest();
    for (const [key, scopes] of this.gathered ?? []) if (scopes.size > 0 && (earliest === null || key < earliest)) earliest = key;
    return earliest;
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
    if (neverSet || (due !== undefined && due !== null && due <= began)) this.setSlot(scope, this.now() + RETRY_MS, this.storage.sql);
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
    const now = this.now();
    // The timer goes to a row's second too: it takes the row then (one deletion for its scopes), and
    // fires on time what it holds that this instance does not know (set before a restart).
    let timerAt = this.rows.earliestBut(this.taken) ?? Infinity;
    for (const [scope, s] of this.slots) if (s.due !== null && s.due < timerAt && (s.due > now || !this.running.has(scope))) timerAt = s.due;
    if (timerAt !== Infinity) this.startTimer(timerAt);
    const earliest = this.earliestRow();
    // An alarm still to come that fires no later than the earliest row needs stays (it fires, finds
    // nothing or that row passed, and moves on); one used up, or none, is written.
    if (earliest === null) this.armAt(null);
    else if (this.armedAt === undefined || this.armedAt === null || this.armedAt <= now || this.armedAt > this.alarmFor(earliest)) this.armAt(earliest);
  }

  /**
   * Deletes a taken row (or keeps it as a spare: alarm-rows.ts). Its scopes' slots it alone held (moved
   * later since) are written into their own buckets' rows, one write for those of a bucket.
   */
  private deleteRow(key: number, scopes: Set<string>): void {
    this.taken.delete(key);
    if (this.rows.retire(key, scopes.size)) this.journal?.retired.push(key);
    const moved: Array<[string, number]> = [];
    for (const scope of scopes) {
      const state = this.slots.get(scope);
      if (state?.row !== key) continue;
      this.change(scope).row = undefined;
      if (state.due === null) this.slots.delete(scope);
      else moved.push([scope, state.due]);
    }
    for (const [scope, row] of this.rows.writeSlots(this.storage.sql, moved, this.now())) this.slots.get(scope)!.row = row;
  }

  /** When the object's alarm must fire for a row of second `at`: then, or NEAR_MS from now if that is later (see above). */
  private alarmFor(at: number): number {
    return Math.max(at, this.now() + NEAR_MS);
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
    }, Math.max(0, at - this.now()));
  }
}
