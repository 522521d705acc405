/**
 * After the change that started it: a workflow task offered to a poll waiting on its queue
 * (src/engine/task-offer.ts) goes, started, to a poll of that queue waiting at this shard (protocol 6,
 * shard-polls.ts), else to the queue. Nothing comes back that needs a transaction:
 * a poll that acknowledges took it as it is (waiting, or the next one while the queue held it: the
 * answer then comes up to OFFER_HOLD_MS later), or the queue placed its ref as `add` would
 * and the poll that takes the ref starts it then. A ref put in the backlog is remembered (`Txn.offerQueued`), so
 * that an input event or the alarm drops the offer's reserved start rather than wait on it. An offer
 * that never reached the queue (it failed, or the object died first), or that the queue held and lost
 * (it restarted), is caught by the hand-off window: the task goes back to its queue through the outbox.
 */
import type { Env } from '../env.js';
import { offerWorkflowTask } from '../engine/task-offer.js';
import type { OfferedWorkflowTask, Txn } from '../engine/transaction.js';
import { usageMeterOf } from '../cost/metered-object.js';
import type { AddToQueue } from './queue-wakes.js';
import type { ShardPolls } from './shard-polls.js';
import type { TaskPayloads } from './task-payloads.js';

export class TaskOffer {
  /** Offers on their way. */
  private readonly sending = new Set<Promise<void>>();
  /**
   * Offers whose queue put the ref in its backlog: run id → the task's dispatch sequence, until a change
   * drops the offer's reserved start (a change that then rolls back leaves it to the hand-off window).
   */
  private readonly queued = new Map<string, number>();

  constructor(
    /** The metered env: the offer is counted as a call to the queue. */
    private readonly env: Env,
    /** Hands the offer to its queue (a backlogged one wakes the queue's parked workers). */
    private readonly add: AddToQueue,
    private readonly payloads: TaskPayloads,
    /** In a shard: the polls waiting there (protocol 6), which an offer reaches before its queue. */
    private readonly polls?: ShardPolls,
  ) {}

  /** At the start of every change: what the object learned of its offers, for the engine (`Txn.offerQueued`). Returns `tx`. */
  prepare(tx: Txn): Txn {
    if (this.queued.size > 0) tx.offerQueued = (runId, seq) => this.queued.get(runId) === seq && this.queued.delete(runId);
    return tx;
  }

  /** Before a change that may schedule a workflow task on `taskQueue`: that task is started to be offered. */
  claim(tx: Txn, taskQueue: string): Txn {
    return offerWorkflowTask(tx, taskQueue);
  }

  /** After the change's transaction: the started task to its queue. */
  send(offered: OfferedWorkflowTask): Promise<void> {
    const sent = this.offer(offered).finally(() => this.sending.delete(sent));
    this.sending.add(sent);
    return sent;
  }

  /** Resolves when the offers on their way now have reached their queues (or failed). */
  async settled(): Promise<void> {
    await Promise.all([...this.sending]);
  }

  private async offer(offered: OfferedWorkflowTask): Promise<void> {
    const unsigned = this.payloads.unsignedClaimedTask(offered);
    if (!unsigned) return;
    // A poll of its queue at this shard takes it (waiting, or the next one while the shard holds it) as a
    // poll at the queue would, with no RPC; its hand-off window and acknowledgement are the offer's.
    // The poll that takes it bills the run (src/workflow-object.ts, pollHere), by how it came, and signs
    // its token (a held one with the moment it took it: one signature, not one here and one there).
    if (this.polls && (await this.polls.offer(offered.taskQueue, unsigned, offered.ref)) === 'taken') return;
    try {
      const task = await this.payloads.signed(unsigned);
      const outcome = await this.add(offered.token.namespace, offered.taskQueue, 'workflow', offered.ref, { kind: 'workflow', task });
      // The poll that took it was billed as a polled task's is, but no `startTask` here counted it.
      if (outcome === 'taken') usageMeterOf(this.env).request('offerTaken');
      if (outcome === 'queued' && offered.ref.seq !== undefined) this.queued.set(offered.runId, offered.ref.seq);
    } catch (err) {
      console.warn(`keel: could not offer a workflow task of '${offered.token.workflowId}' to its queue '${offered.taskQueue}'; it goes back to the queue when its hand-off window ends`, err);
    }
  }
}
