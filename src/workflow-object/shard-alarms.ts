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
 * Due slots are also fired from an in-memory timer while the object lives: local workerd was seen
 * to lose an alarm set again a few ms ahead during or just after its handler (bench/RESULTS.md,
 * "Seen on the way"); the alarm stays the backstop after an eviction or a restart.
 */

export interface AlarmSlot {
  get(): number | null;
  /** Sets the slot (wall-clock ms); synchronous, so that it is part of the caller's transaction. */
  set(at: number): void;
  clear(): void;
  /** Storage rolled back: the slot's time is read again. */
  forget(): void;
}

/** A slot's row is its scope and due time; the index finds the earliest without a scan. */
const SCHEMA = [`CREATE TABLE IF NOT EXISTS alarms (scope TEXT PRIMARY KEY, due INTEGER NOT NULL) WITHOUT ROWID`, `CREATE INDEX IF NOT EXISTS alarms_by_due ON alarms (due)`];

/** Workflows fired per turn; more due than that are fired by the next turn, at once. */
const FIRE_BATCH = 100;
/** A workflow whose alarm failed is tried again this much later (its slot stays due). */
const RETRY_MS = 1000;

export class ShardAlarms {
  /** The object's alarm as last set by this instance (null: none); undefined when not known. */
  private armedAt: number | null | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The scopes whose workflow's alarm runs now (`run`), with when it began. */
  private readonly running = new Map<string, number>();
  private timerAt = Infinity;

  constructor(
    private readonly storage: DurableObjectStorage,
    /** Fires the workflows whose slots are due (the object's alarm handler, and the timer). */
    private readonly fire: () => Promise<void>,
  ) {
    for (const stmt of SCHEMA) storage.sql.exec(stmt);
  }

  /** A workflow's slot; its statements go through the workflow's own handle `sql`, so that its meter counts them. */
  slot(scope: string, sql: SqlStorage): AlarmSlot {
    /** The slot's time as stored (null: no row), undefined until read. */
    let stored: number | null | undefined;
    const get = () => (stored ??= sql.exec<{ due: number }>(`SELECT due FROM alarms WHERE scope = ?`, scope).toArray()[0]?.due ?? null);
    return {
      get,
      set: (at) => {
        // A workflow whose alarm runs and asks for a moment that was past when it began did not take
        // what was due (it failed, or its clock is a test's): again after RETRY_MS, not at once, forever.
        const runningSince = this.running.get(scope);
        if (runningSince !== undefined && at <= runningSince) at = Date.now() + RETRY_MS;
        const held = get();
        // A time still ahead and not later than `at` fires first: the workflow then sets its slot again.
        if (held !== null && held <= at && held > Date.now()) return;
        sql.exec(`INSERT OR REPLACE INTO alarms (scope, due) VALUES (?, ?)`, scope, at);
        stored = at;
        this.arm(at, sql);
      },
      clear: () => {
        if (get() === null) return;
        sql.exec(`DELETE FROM alarms WHERE scope = ?`, scope);
        stored = null;
      },
      forget: () => {
        stored = undefined;
        // The object's alarm may have been set in the transaction that rolled back.
        this.armedAt = undefined;
      },
    };
  }

  /** The scopes of the slots due by `now`, earliest first. */
  due(now: number): string[] {
    return this.storage.sql
      .exec<{ scope: string }>(`SELECT scope FROM alarms WHERE due <= ? ORDER BY due LIMIT ?`, now, FIRE_BATCH)
      .toArray()
      .map((r) => r.scope);
  }

  /** Runs a workflow's alarm, its slot known to be running meanwhile. */
  async run(scope: string, alarm: () => Promise<void>): Promise<void> {
    this.running.set(scope, Date.now());
    try {
      await alarm();
    } finally {
      this.running.delete(scope);
    }
  }

  /** The object's alarm ran: it is used up, and whatever is set next must be written. */
  usedUp(): void {
    this.armedAt = undefined;
  }

  /**
   * After a turn that began at `began` fired the slots of `fired`: one still due by `began` is one
   * whose workflow's alarm failed (or took nothing), tried again after RETRY_MS; the alarm goes to
   * the earliest slot — at once when one came due meanwhile, or the turn was full.
   */
  rearm(fired: readonly string[], began: number): void {
    const now = Date.now();
    for (const scope of fired) this.storage.sql.exec(`UPDATE alarms SET due = ? WHERE scope = ? AND due <= ?`, now + RETRY_MS, scope, began);
    const earliest = this.earliest(this.storage.sql);
    this.armAt(earliest === null ? null : Math.max(earliest, now));
  }

  /** A slot was set to `at`: the alarm moves if that is earlier than it. */
  private arm(at: number, sql: SqlStorage): void {
    // Not known (a new instance): the earliest slot, this one included, is what the alarm must be.
    this.armAt(this.armedAt === undefined || this.armedAt === null ? (this.earliest(sql) ?? at) : Math.min(this.armedAt, at));
  }

  /** Sets the object's alarm (written only when it moves) and the timer beside it. */
  private armAt(at: number | null): void {
    if (at !== this.armedAt) {
      this.armedAt = at;
      void (at === null ? this.storage.deleteAlarm() : this.storage.setAlarm(at));
    }
    if (at !== null) this.startTimer(at);
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
      void this.fire();
    }, Math.max(0, at - Date.now()));
  }
}
