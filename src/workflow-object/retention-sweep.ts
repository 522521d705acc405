/**
 * A shard's retention sweep: deletes its workflows' closed runs once their namespace's retention has
 * passed since their close, finding them in the shard's `visibility` table (src/visibility/shard-store.ts),
 * which holds every run's close time. One slot of the shard's alarm (shard-alarms.ts) serves all of
 * them. Before it, each closing workflow set its own slot to its run's deletion, in the close's
 * transaction: two billed rows (the slot and its index entry) per finished run, where clearing the
 * slot is one. A close now moves the sweep's slot only when its run is due earlier than the slot
 * holds — in practice the first close after a sweep — and after a sweep the slot goes to the next
 * run's deletion, no sooner than SWEEP_EVERY_MS: a run is deleted at most that long after its
 * retention has passed, never before.
 *
 * The retention is read again from the registry when the sweep runs (as an object of its own reads
 * it when its alarm fires), so a retention raised since a run's close postpones its deletion, and a
 * registry that cannot be read postpones the sweep (never a guess: a guess could delete early). A
 * sweep deletes at most `page` runs in one turn, so their deletions share a commit and one turn stays
 * bounded; a full page brings the sweep back a second later for the rest.
 *
 * The same slot drops the shard's day tables (src/storage/day-tables.ts, day-drop.ts) once their day has
 * ended and the retention has passed: most workflows live in one, and go with it, billed no row. The
 * runs this sweep deletes one by one are those of `state` and `visibility`: written before day tables,
 * or moved out of a day table because they outlived its retention. So the slot is also held at the
 * next day's drop while any day table lives.
 */
import { DEFAULT_RETENTION_MS } from '../../protocol/index.js';
import type { Clock } from '../clock.js';
import type { Env } from '../env.js';
import { lookupNamespace } from '../namespaces/cache.js';
import type { RunDeletion } from '../retention.js';
import { closedBy, earliestClose } from '../visibility/shard-store.js';
import type { AlarmSlot, ShardAlarms } from './shard-alarms.js';
import { dayEnd, scopesIn, stateTableOf, type ShardDays } from '../storage/day-tables.js';
import { dropDay, type DayDropShard } from './day-drop.js';
import { scopeOfKey, workflowIdOfScope } from './host-storage.js';

/** The sweep's slot in the shard's alarm: no workflow's scope (those begin with a digit, host-storage.ts). */
export const SWEEP_SCOPE = 'retention';
/** A sweep that leaves runs not yet due comes back no sooner than this. */
export const SWEEP_EVERY_MS = 5 * 60_000;
/** Runs one sweep deletes at most. */
const PAGE = 100;
/** A full page: the rest a second later (each sweep its own turn and commit). */
export const NEXT_PAGE_MS = 1000;
/** How long a sweep waits when the registry could not be read, or the sweep failed. */
const RETRY_MS = 60_000;

/** What the sweep needs of its shard for the day tables: dropping them, and its memory of the workflows moved or gone. */
export interface SweptShard extends DayDropShard {
  readonly days: ShardDays;
  /** The day's tables were dropped (committed): `moved` now live in `state`, the rest of the day's are gone. */
  dayDropped(day: number, moved: ReadonlySet<string>): void;
}

/** What the sweep needs of a workflow of the shard (its WorkflowHost). */
export interface SweptWorkflow {
  readonly names: { namespace: string };
  readonly deletion: Pick<RunDeletion, 'expire' | 'dropIfEmpty'>;
}

export class RetentionSweep {
  /** Runs deleted by one sweep at most (a test lowers it). */
  page = PAGE;
  private readonly slot: AlarmSlot;
  private running: Promise<number> | undefined;

  constructor(
    /** The shard: its database and its day tables. */
    private readonly shard: SweptShard,
    alarms: ShardAlarms,
    private readonly env: Env,
    /** The shard's workflow of an id. */
    private readonly workflow: (workflowId: string) => SweptWorkflow,
    /**
     * The shard's clock (the WorkflowObject's): the sweep's time is its `now()`, which tests move to
     * see retention pass — runs' close times are their workflow's time, never behind the wall clock.
     * Its slot is wall-clock ms, as every slot of the shard's alarm: `toWallClock`.
     */
    readonly clock: Clock,
  ) {
    this.slot = alarms.slot(SWEEP_SCOPE, shard.sql);
  }

  /** The shard's database. */
  private get sql(): SqlStorage {
    return this.shard.sql;
  }

  /**
   * A closed run is due for deletion at `due` (wall-clock ms): the sweep fires by then. Called inside the
   * change's transaction; moves the slot only when that is earlier than it holds (and writes a row only
   * when no row that fires by then holds it: ShardAlarms' lazy slots).
   */
  armBy(due: number): void {
    const held = this.slot.get();
    if (held === null || due < held) this.slot.set(due);
  }

  /** One sweep (its slot came due), one at a time. Resolves with the number of runs it deleted. */
  run(): Promise<number> {
    this.running ??= this.sweep().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweep(): Promise<number> {
    const now = this.clock.now();
    const { days } = this.shard;
    try {
      const first = earliestClose(this.sql);
      // Every workflow of a shard is of its namespace (an object its alarm woke has no name: its workflows know it).
      const someWorkflow = first?.workflowId ?? this.someDayWorkflow();
      if (someWorkflow === undefined) {
        // No closed run in `visibility`, no workflow in a day table: the empty day tables that ended go, nothing else is due.
        for (const day of days.list()) if (dayEnd(day) <= now) this.drop(day, now);
        return (this.slot.clear(), 0);
      }
      const namespace = this.workflow(someWorkflow).names.namespace;
      let retention: number;
      try {
        retention = (await lookupNamespace(this.env, namespace))?.retentionMs ?? DEFAULT_RETENTION_MS;
      } catch (err) {
        console.warn(`keel: could not read namespace '${namespace}' for its retention; sweeping later`, err);
        this.slot.set(this.clock.toWallClock(now + RETRY_MS));
        return 0;
      }
      // Synchronous from here up to the last deletion (emptying a workflow's scope included): one turn, one commit each.
      let deleted = 0;
      for (const day of days.list()) if (dayEnd(day) + retention <= now) deleted += this.drop(day, now - retention);
      const due = closedBy(this.sql, now - retention, this.page);
      const byWorkflow = new Map<string, string[]>();
      for (const { workflowId, runId } of due) byWorkflow.set(workflowId, [...(byWorkflow.get(workflowId) ?? []), runId]);
      let expired = 0;
      const emptied: Promise<boolean>[] = [];
      for (const [workflowId, runIds] of byWorkflow) {
        const { deletion } = this.workflow(workflowId);
        const runs = deletion.expire(runIds, retention, now);
        expired += runs.deleted;
        // Emptied with its last runs' deletion, or now if nothing else keeps it.
        if (!runs.emptied) emptied.push(deletion.dropIfEmpty());
      }
      // Again soon after a full page; else at the next run's deletion or day table's drop (a full page of
      // which nothing could go waits so too: the sweep never spins), or never when neither is left.
      const fullPage = due.length === this.page && expired > 0;
      if (fullPage) this.slot.set(this.clock.toWallClock(this.clock.now() + NEXT_PAGE_MS));
      else {
        const next = Math.min(earliestClose(this.sql)?.closeTime ?? Infinity, ...days.list().map(dayEnd)) + retention;
        if (next !== Infinity) this.slot.set(this.clock.toWallClock(Math.max(next, now + SWEEP_EVERY_MS)));
        else this.slot.clear();
      }
      await Promise.all(emptied);
      return deleted + expired;
    } catch (err) {
      console.error(`keel: retention sweep failed; retrying in ${RETRY_MS} ms`, err);
      this.slot.set(this.clock.toWallClock(now + RETRY_MS));
      return 0;
    }
  }

  /** A workflow of the oldest day table that has one (to read the namespace by), or undefined. */
  private someDayWorkflow(): string | undefined {
    for (const day of this.shard.days.list()) for (const scope of scopesIn(this.sql, stateTableOf(day), scopeOfKey)) return workflowIdOfScope(scope);
    return undefined;
  }

  /** Drops a day's tables, moving out what outlives `cutoff`; the runs that went with them. */
  private drop(day: number, cutoff: number): number {
    const { days } = this.shard;
    let dropped: ReturnType<typeof dropDay>;
    try {
      dropped = dropDay(this.shard, day, cutoff);
    } catch (err) {
      // Rolled back: what memory holds of the shard's tables is read again.
      days.forget();
      throw err;
    }
    days.forgetDay(day);
    this.shard.dayDropped(day, dropped.moved);
    return dropped.runsDropped;
  }
}
