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
 */
import { DEFAULT_RETENTION_MS } from '../../protocol/index.js';
import { Clock } from '../clock.js';
import type { Env } from '../env.js';
import { lookupNamespace } from '../namespaces/cache.js';
import type { RunDeletion } from '../retention.js';
import { closedBy, earliestClose } from '../visibility/shard-store.js';
import type { AlarmSlot, ShardAlarms } from './shard-alarms.js';

/** The sweep's slot in the shard's alarm: no workflow's scope (those begin with a digit, host-storage.ts). */
export const SWEEP_SCOPE = 'retention';
/** A sweep that leaves runs not yet due comes back no sooner than this. */
export const SWEEP_EVERY_MS = 5 * 60_000;
/** Runs one sweep deletes at most. */
const PAGE = 100;
/** A full page: the rest a second later (each sweep its own turn and commit). */
const NEXT_PAGE_MS = 1000;
/** How long a sweep waits when the registry could not be read, or the sweep failed. */
const RETRY_MS = 60_000;

/** What the sweep needs of a workflow of the shard (its WorkflowHost). */
export interface SweptWorkflow {
  readonly names: { namespace: string };
  readonly deletion: Pick<RunDeletion, 'expire' | 'dropIfEmpty'>;
}

export class RetentionSweep {
  /** The sweep's time: the wall clock (tests move it). Runs' close times are their workflow's time, never behind it. */
  readonly clock = new Clock();
  /** Runs deleted by one sweep at most (a test lowers it). */
  page = PAGE;
  private readonly slot: AlarmSlot;
  private running: Promise<number> | undefined;

  constructor(
    /** The shard's database. */
    private readonly sql: SqlStorage,
    alarms: ShardAlarms,
    private readonly env: Env,
    /** The shard's workflow of an id. */
    private readonly workflow: (workflowId: string) => SweptWorkflow,
  ) {
    this.slot = alarms.slot(SWEEP_SCOPE, sql);
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
    try {
      const first = earliestClose(this.sql);
      if (!first) return (this.slot.clear(), 0);
      // Every workflow of a shard is of its namespace (an object its alarm woke has no name: its workflows know it).
      const namespace = this.workflow(first.workflowId).names.namespace;
      let retention: number;
      try {
        retention = (await lookupNamespace(this.env, namespace))?.retentionMs ?? DEFAULT_RETENTION_MS;
      } catch (err) {
        console.warn(`keel: could not read namespace '${namespace}' for its retention; sweeping later`, err);
        this.slot.set(this.clock.toWallClock(now + RETRY_MS));
        return 0;
      }
      const due = closedBy(this.sql, now - retention, this.page);
      const byWorkflow = new Map<string, string[]>();
      for (const { workflowId, runId } of due) byWorkflow.set(workflowId, [...(byWorkflow.get(workflowId) ?? []), runId]);
      // Synchronous up to the last deletion (emptying a workflow's scope included): one turn, one commit.
      let deleted = 0;
      const emptied: Promise<boolean>[] = [];
      for (const [workflowId, runIds] of byWorkflow) {
        const { deletion } = this.workflow(workflowId);
        const expired = deletion.expire(runIds, retention, now);
        deleted += expired.deleted;
        // Emptied with its last runs' deletion, or now if nothing else keeps it.
        if (!expired.emptied) emptied.push(deletion.dropIfEmpty());
      }
      // Again soon after a full page; else at the next run's deletion (a full page of which nothing
      // could go waits so too: the sweep never spins), or never when no run is closed.
      const fullPage = due.length === this.page && deleted > 0;
      const next = fullPage ? undefined : earliestClose(this.sql);
      if (fullPage) this.slot.set(Date.now() + NEXT_PAGE_MS);
      else if (next) this.slot.set(this.clock.toWallClock(Math.max(next.closeTime + retention, now + SWEEP_EVERY_MS)));
      else this.slot.clear();
      await Promise.all(emptied);
      return deleted;
    } catch (err) {
      console.error(`keel: retention sweep failed; retrying in ${RETRY_MS} ms`, err);
      this.slot.set(this.clock.toWallClock(now + RETRY_MS));
      return 0;
    }
  }
}
