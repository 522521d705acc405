/**
 * A workflow task the alarm causes (a timer fired, an activity timed out) for a run a worker holds
 * in its cache is started in the alarm's own transaction and handed straight to that worker's sticky
 * queue (`TaskQueueObject.handOver`), as eager workflow start does for a start's first task: no
 * outbox row, no queue → workflow object `startTask` round trip and no second transaction, and the
 * workflow's clock after a sleep reads the moment the timer fired. The worker acknowledges the task
 * as a polled one; if it does not within the hand-off window (it died, or never polled), the task
 * goes back to the run's normal queue (hand-off.ts, `answerHandOff`: no poll ended, no queue closed).
 */
import type { TaskTokenData } from '../task-token.js';
import { returnToNormalQueue } from './hand-off.js';
import { isRunning, type RunState } from './run-state.js';
import type { Txn } from './transaction.js';
import { releaseStickyWorkflowTask } from './workflow-tasks.js';

/** Before the alarm fires what is due: a workflow task it dispatches to the run's sticky queue is started for that worker. Returns `tx`. */
export function claimForStickyWorker(tx: Txn, run: RunState): Txn {
  const handOver = run.sticky?.handOver;
  if (run.sticky && handOver) {
    // Handed to the sticky queue's waiting poll, which may be a dead worker's: the polled task's window.
    tx.workflowTaskClaim = { taskQueue: run.sticky.taskQueue, identity: handOver.identity, handOver: true };
    tx.acknowledgesAnswer = true;
  }
  return tx;
}

/**
 * The sticky queue did not take the task (closed: its worker stopped; or unreachable): it goes to
 * the run's normal queue now rather than when its hand-off window ends.
 */
export function handOverRefused(tx: Txn, run: RunState | undefined, token: TaskTokenData): void {
  const wt = run?.workflowTask;
  if (!run || !isRunning(run) || !wt?.handOff || wt.startedEventId !== token.startedEventId || wt.attempt !== token.attempt) return;
  returnToNormalQueue(tx, run, wt);
}

/**
 * A closed sticky queue gives back a workflow task sent to it: one not started goes to the normal
 * queue (`releaseStickyWorkflowTask`), and so does one the alarm started for the worker that the
 * queue still held, never handed to a poll — its worker stopped and will not acknowledge it.
 */
export function releaseStickyTask(tx: Txn, run: RunState | undefined, ref: { seq?: number }, stickyQueue: string): void {
  if (!run) return;
  const wt = run.workflowTask;
  if (isRunning(run) && wt?.sticky && wt.taskQueue === stickyQueue && wt.seq === ref.seq && wt.startedEventId !== undefined && wt.handOff?.inAnswer) {
    returnToNormalQueue(tx, run, wt);
    return;
  }
  releaseStickyWorkflowTask(tx, run, ref, stickyQueue);
}
