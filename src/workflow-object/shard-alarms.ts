/**
 * A shard's one alarm, shared by its workflows. Each workflow has a slot — its due time, a row of
 * the `alarms` table written in the workflow's own transaction, as an object of its own writes its
 * alarm — and the object's alarm is moved only when a slot comes due earlier than it ("lazy"): it
 * may fire with nothing due (a slot moved later or cleared), and then it is set to the earliest slot.
 *
 * Slots are lazy too, because each write of one is two billed rows (the row and its index entry):
 * a slot moved later than the time it holds keeps that time (still ahead): the workflow's alarm then
 * runs early, finds what it waits for not yet due, and sets its slot again. A short workflow thus
 * writes its slot once (its first due moment, a second after its start, when an undelivered task
 * would be handed over again) instead of at every step, and once more when that second has passed.
 *
 * Due slots are fired from an in-memory timer while the object lives, on time; the object's alarm is
 * the backstop after an eviction or a restart (local workerd was also seen to lose an alarm set again a
 * few ms ahead during or just after its handler: bench/RESULTS.md, "Seen on the way"). So the alarm
 * need not be on time for a slot due soon, while the object is busy and its timer fires it: it is set
 * no earlier than NEAR_MS from now. Most such slots are backstops a workflow clears within ms (a task's
 * hand-off window, its delivery's retry, a workflow task's timeout), and a busy shard's alarm, set for
 * each of them, fired about once a second for nothing: each firing two commits (the shard's and
 * workerd's alarm index), as many per W1 under load as a third of its own. A slot due later than
 * NEAR_MS — a timer an evicted shard waits for — sets the alarm to its moment exactly.
 *
 * A firing (`fire`) runs the due workflows' alarms side by side and waits for none of the others:
 * a slot that comes due while an earlier workflow's alarm still waits on its hand-over or delivery
 * fires at once. The object's alarm is moved once per firing, when the last of its workflows has
 * set its slot again — in that workflow's transaction — so that a firing's writes are one commit:
 * each commit is an fsync on the object's one thread under `keel dev` (bench/RESULTS.md, "W3 with
 * shards"). Until then the alarm stays where it was, before every slot still due.
 */

export interface AlarmSlot {
  get(): number | null;
  /** Sets the slot (wall-clock ms); synchronous, so that it is part of the caller's transaction. `exact`: also when later than it holds. */
  set(at: number, exact?: boolean): void;
  clear(): void;
  /** Storage rolled back: the slot's time is read again. */
  forget(): void;
  /** The workflow had no row in the shard: until its slot is read or written, `set` takes it to have none (and writes it). */
  knownEmpty(): void;
}

/** A slot's row is its scope and due time; the index finds the earliest without a scan. */
const SCHEMA = [`CREATE TABLE IF NOT EXISTS alarms (scope TEXT PRIMARY KEY, due INTEGER NOT NULL) WITHOUT ROWID`, `CREATE INDEX IF NOT EXISTS alarms_by_due ON alarms (due)`];

/**
 * The object's alarm is set no earlier than this from now (see above): the longest a slot due sooner
 * waits past its moment when the shard is evicted or the service restarts before the timer fires it.
 */
export const NEAR_MS = 5000;

/** Workflows fired per turn; more due than that are fired by the next turn, at once. */
const FIRE_BATCH = 100;
/** A workflow whose alarm failed is tried again this much later (its slot stays due). */
const RETRY_MS = 1000;

export class ShardAlarms {
  /** The object's alarm as last set by this instance (null: none); undefined when not known. */
  private armedAt: number | null | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  /** The scopes whose workflow's alarm runs now, with when their firing began. */
  private readonly running = new Map<string, number>();
  /** The scopes fired whose workflow has not set its slot again yet: the alarm moves when none is left. */
  private readonly pending = new Set<string>();
  /** The running workflows' alarms, to wait for. */
  private readonly runs = new Map<string, Promise<void>>();

  constructor(
    private readonly storage: DurableObjectStorage,
    /** Fires the workflows whose slots are due (the object's alarm handler, and the timer). */
    private readonly onTimer: () => Promise<void>,
  ) {
    for (const stmt of SCHEMA) storage.sql.exec(stmt);
  }

  /** A workflow's slot; its statements go through the workflow's own handle `sql`, so that its meter counts them. */
  slot(scope: string, sql: SqlStorage): AlarmSlot {
    /** The slot's time as stored (null: no row), undefined until read. */
    let stored: number | null | undefined;
    /** `knownEmpty` said so: `set` writes without reading (a row there after all is replaced by the one it writes). */
    let assumedNone = false;
    const get = () => (stored ??= sql.exec<{ due: number }>(`SELECT due FROM alarms WHERE scope = ?`, scope).toArray()[0]?.due ?? null);
    return {
      get,
      set: (at, exact = false) => {
        // A workflow whose alarm runs and asks for a moment that was past when it began did not take
        // what was due (it failed, or its clock is a test's): again after RETRY_MS, not at once, forever.
        const runningSince = this.running.get(scope);
        if (runningSince !== undefined && at <= runningSince) at = Date.now() + RETRY_MS;
        const held = stored === undefined && assumedNone ? null : get();
        // A time still ahead and not later than `at` fires first: the workflow then sets its slot again.
        if (held !== null && held <= at && held > Date.now() && !exact) return this.wasSet(scope, null, sql);
        sql.exec(`INSERT OR REPLACE INTO alarms (scope, due) VALUES (?, ?)`, scope, at);
        stored = at;
        this.wasSet(scope, at, sql);
      },
      clear: () => {
        if (get() !== null) {
          sql.exec(`DELETE FROM alarms WHERE scope = ?`, scope);
          stored = null;
        }
        this.wasSet(scope, null, sql);
      },
      knownEmpty: () => {
        assumedNone = stored === undefined;
      },
      forget: () => {
        stored = undefined;
        assumedNone = false;
        // The object's alarm may have been set in the transaction that rolled back.
        this.armedAt = undefined;
      },
    };
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
    // Nothing due: the alarm goes to the earliest slot.
    if (due.length === 0) return this.armNext();
    // Due ones already running are waited for too: the object's alarm handler must not end before
    // the alarm is set again (workerd deletes an alarm its handler did not set), and they set it when they end.
    await Promise.all(due.map((scope) => this.runs.get(scope)));
  }

  /** The object's alarm ran: it is used up, and whatever is set next must be written. */
  usedUp(): void {
    this.armedAt = undefined;
  }

  /** The scopes of the slots due by `now`, earliest first. */
  private due(now: number): string[] {
    return this.storage.sql
      .exec<{ scope: string }>(`SELECT scope FROM alarms WHERE due <= ? ORDER BY due LIMIT ?`, now, FIRE_BATCH)
      .toArray()
      .map((r) => r.scope);
  }

  /** A slot was set (`at`) or left or cleared (null), inside its workflow's transaction. */
  private wasSet(scope: string, at: number | null, sql: SqlStorage): void {
    if (this.pending.delete(scope)) {
      // The last of a firing's workflows moves the alarm, in its transaction; the others only the timer.
      if (this.pending.size === 0) this.armNext();
      else if (at !== null) this.startTimer(at);
      return;
    }
    // Set outside a firing: the timer goes to it if earlier, and the alarm moves only if it would fire
    // later than the slot needs (a new instance: to the earliest slot).
    if (at === null) return;
    const earliest = this.armedAt === undefined || this.armedAt === null ? (this.earliest(sql) ?? at) : at;
    this.startTimer(earliest);
    if (this.armedAt === undefined || this.armedAt === null || this.armedAt > this.alarmFor(earliest)) this.armAt(earliest);
  }

  /**
   * A workflow's alarm ended (its deliveries too). Its slot still due by when its firing began means
   * it failed (or took nothing): tried again after RETRY_MS. Then the alarm goes to the earliest slot.
   */
  private ended(scope: string, began: number): void {
    this.running.delete(scope);
    this.pending.delete(scope);
    const due = this.storage.sql.exec<{ due: number }>(`SELECT due FROM alarms WHERE scope = ?`, scope).toArray()[0]?.due;
    if (due !== undefined && due <= began) this.storage.sql.exec(`UPDATE alarms SET due = ? WHERE scope = ?`, Date.now() + RETRY_MS, scope);
    this.armNext();
  }

  /**
   * The alarm to the earliest slot (at once if past); the timer to the earliest slot but one still
   * due whose workflow's alarm runs (it arms again when it ends, so the timer does not spin on it).
   */
  private armNext(): void {
    const now = Date.now();
    const next = this.storage.sql.exec<{ scope: string; due: number }>(`SELECT scope, due FROM alarms ORDER BY due LIMIT ?`, this.running.size + 1).toArray();
    const earliest = next[0]?.due;
    const timerAt = next.find((r) => r.due > now || !this.running.has(r.scope))?.due;
    if (timerAt !== undefined) this.startTimer(timerAt);
    // An alarm still to come that fires no later than the earliest slot needs stays (it fires, finds
    // nothing or that slot due, and moves on); one used up, or none, is written.
    if (earliest === undefined) this.armAt(null);
    else if (this.armedAt === undefined || this.armedAt === null || this.armedAt <= now || this.armedAt > this.alarmFor(earliest)) this.armAt(earliest);
  }

  /** When the object's alarm must fire for a slot due `at`: then, or NEAR_MS from now if that is later (see above). */
  private alarmFor(at: number): number {
    return Math.max(at, Date.now() + NEAR_MS);
  }

  /** Sets the object's alarm for a slot due `at` (null: none), written only when it moves. */
  private armAt(at: number | null): void {
    const alarm = at === null ? null : this.alarmFor(at);
    if (alarm === this.armedAt) return;
    this.armedAt = alarm;
    void (alarm === null ? this.storage.deleteAlarm() : this.storage.setAlarm(alarm));
  }

  private earliest(sql: SqlStorage): number | null {
    return sql.exec<{ due: number | null }>(`SELECT MIN(due) AS due FROM alarms`).one().due;
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
}
