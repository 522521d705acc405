/**
 * A shard's one alarm, shared by its workflows. Each workflow has a slot — its due time, a row of
 * the `alarms` table written in the workflow's own transaction, as an object of its own writes its
 * alarm — and the object's alarm is moved only when a slot comes due earlier than it ("lazy"): it
 * may fire with nothing due (a slot moved later or cleared), and then it is set to the earliest slot.
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
  private timerAt = Infinity;

  constructor(
    private readonly storage: DurableObjectStorage,
    /** Fires the workflows whose slots are due (the object's alarm handler, and the timer). */
    private readonly fire: () => Promise<void>,
  ) {
    for (const stmt of SCHEMA) storage.sql.exec(stmt);
  }

  slot(scope: string): AlarmSlot {
    return {
      get: () => this.storage.sql.exec<{ due: number }>(`SELECT due FROM alarms WHERE scope = ?`, scope).toArray()[0]?.due ?? null,
      set: (at) => {
        this.storage.sql.exec(`INSERT OR REPLACE INTO alarms (scope, due) VALUES (?, ?)`, scope, at);
        this.arm(at);
      },
      clear: () => void this.storage.sql.exec(`DELETE FROM alarms WHERE scope = ?`, scope),
    };
  }

  /** The scopes of the slots due by `now`, earliest first. */
  due(now: number): string[] {
    return this.storage.sql
      .exec<{ scope: string }>(`SELECT scope FROM alarms WHERE due <= ? ORDER BY due LIMIT ?`, now, FIRE_BATCH)
      .toArray()
      .map((r) => r.scope);
  }

  /** The object's alarm ran: it is used up, and whatever is set next must be written. */
  usedUp(): void {
    this.armedAt = undefined;
  }

  /**
   * After a turn fired `fired` slots: the alarm goes to the earliest slot; one still due is one
   * whose workflow failed (tried again after RETRY_MS), unless the turn was full (the rest at once).
   */
  rearm(fired: number): void {
    const earliest = this.earliest();
    const now = Date.now();
    const at: number | null = earliest === null || earliest === undefined ? null : earliest > now ? earliest : fired >= FIRE_BATCH ? now : now + RETRY_MS;
    if (at === this.armedAt) return;
    this.armedAt = at;
    if (at === null) void this.storage.deleteAlarm();
    else {
      void this.storage.setAlarm(at);
      this.startTimer(at);
    }
  }

  /** A slot was set to `at`: the alarm moves if that is earlier than it. */
  private arm(at: number): void {
    // Not known (a new instance): the earliest slot, this one included, is what the alarm must be.
    const target = this.armedAt === undefined || this.armedAt === null ? (this.earliest() ?? at) : Math.min(this.armedAt, at);
    if (target !== this.armedAt) {
      this.armedAt = target;
      void this.storage.setAlarm(target);
    }
    this.startTimer(target);
  }

  private earliest(): number | null {
    return this.storage.sql.exec<{ due: number | null }>(`SELECT MIN(due) AS due FROM alarms`).one().due;
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
