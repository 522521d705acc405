/**
 * Delivery of the task outbox: at-least-once hand-off of new tasks to their task queues. A row is
 * deleted once its queue has the task — by the task's start, in the transaction that starts it
 * (during the hand-off, or later from the queue's backlog: WorkflowStore.queued), or by whichever
 * change this workflow writes first — so the hand-off writes nothing of its own. A row whose hand-off fails stays and is
 * retried with back-off by the alarm; the workflow object rejects the duplicate a retry may cause
 * (design invariant 2).
 */
import type { Clock } from '../clock.js';
import { WorkflowStore, type OutboxRow } from '../storage/workflow-store.js';
import type { TaskRef } from '../task-token.js';
import type { AddToQueue } from './queue-wakes.js';

const OUTBOX_RETRY_MAX_MS = 30_000;

export class TaskOutbox {
  private readonly delivering = new Map<number, Promise<void>>();
  /** Outbox rows whose task is being handed to its queue, by the task: the start it causes deletes the row. */
  private readonly handingOff = new Map<string, number>();
  /** Rows the task's start deleted in its own transaction, so the hand-off need not. */
  private readonly deletedAtStart = new Set<number>();

  constructor(
    private readonly store: WorkflowStore,
    /** Hands a task to its queue (a backlogged one wakes the queue's parked workers). */
    private readonly add: AddToQueue,
    private readonly clock: Clock,
    /** Makes the alarm fire by a moment (the object's time), to retry a failed hand-off. */
    private readonly alarmBy: (due: number) => Promise<void>,
  ) {}

  /** Whether no hand-off is under way. */
  get idle(): boolean {
    return this.delivering.size === 0;
  }

  /** Hands every due row to its queue; resolves when those hand-offs (and any under way) have ended. Returns how many rows were due. */
  async deliverDue(): Promise<number> {
    const rows = this.store.dueOutbox(this.clock.now());
    for (const row of rows) {
      if (this.delivering.has(row.id)) continue;
      this.delivering.set(
        row.id,
        this.deliver(row).finally(() => this.delivering.delete(row.id)),
      );
    }
    await Promise.all(this.delivering.values());
    return rows.length;
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const ref = WorkflowStore.ref(row);
    const key = handOffKey(ref);
    try {
      this.handingOff.set(key, row.id);
      if (row.attempts > 0) console.warn(`outbox: re-delivering a ${row.kind} task of workflow '${ref.workflowId}' to queue '${row.task_queue}' (attempt ${row.attempts + 1}, after ${row.attempts} failed)`);
      const outcome = await this.add(ref.namespace, row.task_queue, row.kind, ref);
      // In the backlog, the row goes with the next change (the task's start); else now.
      if (!this.deletedAtStart.delete(row.id)) (outcome === 'queued' ? this.store.queued(row.id) : this.store.delivered(row.id));
    } catch (err) {
      this.deletedAtStart.delete(row.id);
      const backoff = Math.min(1000 * 2 ** row.attempts, OUTBOX_RETRY_MAX_MS);
      console.warn(`outbox: hand-off to ${row.kind} queue '${row.task_queue}' failed (attempt ${row.attempts + 1}); retrying in ${backoff} ms`, err);
      const due = this.clock.now() + backoff;
      this.store.retryAt(row.id, due);
      await this.alarmBy(due);
    } finally {
      if (this.handingOff.get(key) === row.id) this.handingOff.delete(key);
    }
  }

  /**
   * Called in the transaction that starts a task: the outbox row that carried it has done its job
   * and goes in the same write (with the alarm it armed), instead of in one of its own afterwards.
   */
  consumeAtStart(ref: TaskRef): void {
    const id = this.handingOff.get(handOffKey(ref));
    if (id === undefined) return;
    this.handingOff.delete(handOffKey(ref));
    this.store.delivered(id);
    this.deletedAtStart.add(id);
  }
}

/** Names a task on its way from the outbox through a queue and back to `startTask`. */
function handOffKey(ref: TaskRef): string {
  return `${ref.kind}/${ref.runId}/${ref.scheduledEventId}/${ref.attempt}/${ref.seq ?? ''}`;
}
