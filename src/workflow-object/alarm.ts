/**
 * The workflow object's one alarm: set to the earliest moment anything waits for — the current
 * run's timers and timeouts, the retry of an undelivered task, call or summary, the expiry of a
 * request-id record, a closed run's deletion. Written inside the change's transaction, and only when it moves.
 */
import type { Clock } from '../clock.js';
import { nextWakeup } from '../engine/lifecycle.js';
import type { Txn } from '../engine/transaction.js';
import type { WorkflowStore } from '../storage/workflow-store.js';
import type { HostStorage } from './host-storage.js';

/**
 * workerd refuses an alarm after 2189. Requests cap every duration at 100 years, but a stored
 * row from before the bounds (or planted) may still carry a later time: the alarm then fires at
 * the cap, finds nothing due, and is set again, instead of the change failing.
 */
const LATEST_ALARM_MS = Date.UTC(2189, 0, 1);
const alarmTime = (wall: number) => Math.min(wall, LATEST_ALARM_MS);

/** Outboxes whose undelivered rows the alarm retries. */
export interface RetriedOutbox {
  earliestDue(): number | undefined;
  /**
   * How much later what is due may go when the workflow's alarm fires by then anyway (its own
   * wake-up): it rides on that firing instead of one of its own. None: not at all.
   */
  readonly slackMs?: number;
}

export class WorkflowAlarm {
  /**
   * The alarm as this object last set it (wall-clock ms; null: none), undefined when unknown.
   * A transaction that leaves the earliest due moment where it was writes no alarm.
   */
  private setTo: number | null | undefined;

  constructor(
    private readonly storage: Pick<HostStorage, 'getAlarm' | 'setAlarm' | 'deleteAlarm'>,
    private readonly clock: Clock,
    private readonly store: WorkflowStore,
    private readonly outboxes: RetriedOutbox[],
    /** Another moment the alarm must fire at (a closed run's deletion, src/retention.ts). */
    private readonly deadline: (tx: Txn) => number | undefined = () => undefined,
  ) {}

  /** A running alarm is used up: whatever is set next must be written. */
  usedUp(): void {
    this.setTo = undefined;
  }

  /** The storage was emptied (`deleteAll` removes the alarm too). */
  emptied(): void {
    this.setTo = null;
  }

  /** Sets the one alarm to the earliest moment anything waits for (inside the transaction). */
  schedule(tx: Txn): void {
    const current = tx.currentRunId();
    // Only read here: a change that changed nothing (a delivery's own `Txn`) takes the run as stored, with no parse.
    const run = current ? (tx.changed ? tx.loadRun(current) : this.store.viewRun(current)) : undefined;
    let at = run ? nextWakeup(tx, run) : undefined;
    // Undelivered tasks (calls, summaries) are retried by the alarm if the delivery that follows
    // this transaction fails or the object is evicted first; a row due later (a running run's
    // summary, a retry's back-off) is delivered by the alarm when it is due.
    const wakeup = at;
    for (const [due, slackMs = 0] of [[this.store.outboxDue()] as const, ...this.outboxes.map((o) => [o.earliestDue(), o.slackMs] as const)]) {
      if (due === undefined || (wakeup !== undefined && due <= wakeup && wakeup <= due + slackMs)) continue;
      at = Math.min(at ?? Infinity, due > tx.now ? due : tx.now + 1000);
    }
    const requestExpiry = this.store.requestExpiry();
    if (requestExpiry !== undefined) at = Math.min(at ?? Infinity, requestExpiry);
    const deadline = this.deadline(tx);
    if (deadline !== undefined) at = Math.min(at ?? Infinity, deadline);
    const wall = at === undefined ? null : alarmTime(this.clock.toWallClock(at));
    if (wall === this.setTo) return;
    this.setTo = wall;
    if (wall === null) void this.storage.deleteAlarm();
    else void this.storage.setAlarm(wall);
  }

  /** Makes the alarm fire by `due` (the object's time), keeping an earlier one. */
  async by(due: number): Promise<void> {
    const alarm = await this.storage.getAlarm();
    const wall = alarmTime(this.clock.toWallClock(due));
    if (alarm === null || alarm > wall) {
      this.setTo = wall;
      await this.storage.setAlarm(wall);
    }
  }
}
