/**
 * A workflow task offered to a poll waiting on its queue (Temporal's matching calls it a sync match).
 * A change that schedules a run's workflow task on a normal queue (a start, signal-with-start, a
 * child's start) starts it in its own transaction, for no worker in particular, and writes no outbox
 * row; after the commit the object offers it, started, to the queue (`TaskQueueObject.addTask` with the started task).
 * A poll that acknowledges hand-offs (protocol 2) waiting there right now gets it: no queue → object
 * `startTask` round trip and no second transaction. With none waiting, a queue where such polls come
 * holds it in memory for the next one, which takes it as it is too (its start then stamped when the
 * queue hands it out: the token's `startedAtMs`), until OFFER_HOLD_MS after its start (src/held-tasks.ts;
 * the queue answers the offer when a poll took it, or that time is up and its ref is in the backlog).
 * The offer's hand-off window is OFFER_HOLD_MS + `Limits.handOffAckMs`, so its worker always has a
 * polled task's whole window. Otherwise the queue does with its ref what `add` does (a waiting poll
 * that does not acknowledge, the root, the backlog), and the poll that takes it there starts it as any
 * polled task (`startWorkflowTask` drops the offer's reserved start first). The object remembers a
 * `queued` answer in memory (`Txn.offerQueued`): an input event that comes then drops the reserved
 * start and is written at once, as for any task not yet taken (`workflowTaskStarted`), and so does the
 * alarm when the hand-off window ends, instead of sending the task to its queue again. A task the
 * queue held and lost (it restarted) is the window's, as an offer lost on the way is.
 *
 * Only a poll that acknowledges may take it, since the object learns of the taker only from the
 * worker: its WorkflowTaskStarted stays reserved (written when the worker acknowledges, completes or
 * fails it, with the identity the worker gives, which is the one it polled with), and one not
 * acknowledged within the hand-off window goes back to its queue — the taker died, or the offer never
 * reached the queue (`answerHandOff`'s rule: no poll ended, no queue closed).
 */
import type { Txn } from './transaction.js';

/** Before the change: a workflow task it dispatches to `taskQueue` is started and offered instead (see above). Returns `tx`. */
export function offerWorkflowTask(tx: Txn, taskQueue: string): Txn {
  tx.workflowTaskClaim = { taskQueue, identity: undefined, offer: true };
  return tx;
}

