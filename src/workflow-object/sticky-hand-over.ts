/**
 * What the alarm fires, and the hand-over of the workflow task it may start for a run's sticky
 * worker (src/engine/sticky-hand-over.ts) to that worker's sticky queue. A queue that does not
 * take it (closed, unreachable) has the task go to the run's normal queue at once.
 */
import type { Env } from '../env.js';
import type { WorkerHeardFrom } from '../engine/hand-off.js';
import { fireDue } from '../engine/lifecycle.js';
import { claimForStickyWorker, handOverRefused } from '../engine/sticky-hand-over.js';
import type { Txn } from '../engine/transaction.js';
import { workflowTaskRef } from '../engine/workflow-tasks.js';
import { taskQueueStub } from '../stubs.js';
import type { TaskRef, TaskTokenData } from '../task-token.js';
import type { TaskPayloads } from './task-payloads.js';

type Claimed = { runId: string; token: TaskTokenData; stickyQueue: string; ref: TaskRef };

export class StickyHandOver {
  constructor(
    private readonly env: Env,
    private readonly payloads: TaskPayloads,
    private readonly mutate: <T>(fn: (tx: Txn) => T) => T,
  ) {}

  /** In the alarm's transaction: fires what is due on the current run; the workflow task started for its sticky worker, if any. */
  fireDue(tx: Txn, heardFrom: WorkerHeardFrom): Claimed | undefined {
    const current = tx.currentRunId();
    const run = current ? tx.loadRun(current) : undefined;
    if (!run) return undefined;
    claimForStickyWorker(tx, run);
    fireDue(tx, run, heardFrom);
    const claimed = tx.claimedWorkflowTask;
    const wt = run.workflowTask;
    if (!claimed || !wt) return undefined;
    return { ...claimed, stickyQueue: wt.taskQueue, ref: workflowTaskRef(run, wt) };
  }

  /** After the alarm's transaction: the started task to its sticky queue. */
  async send(claimed: Claimed): Promise<void> {
    const task = await this.payloads.claimedWorkflowTask(claimed);
    if (!task) return;
    let taken = false;
    try {
      taken = await taskQueueStub(this.env, claimed.token.namespace, claimed.stickyQueue, 'workflow').handOver({ kind: 'workflow', task }, claimed.ref);
    } catch (err) {
      console.warn(`keel: could not hand a workflow task of '${claimed.token.workflowId}' to its sticky queue '${claimed.stickyQueue}'; it goes to its normal queue`, err);
    }
    if (!taken) this.mutate((tx) => handOverRefused(tx, tx.loadRun(claimed.runId), claimed.token));
  }
}
