/**
 * The changes of the activity RPCs: each finds the attempt its caller names — by task token, or by
 * workflow id + activity id (asynchronous completion, src/engine/activity-by-id.ts) — and applies
 * the engine's transition to it, inside the caller's transaction.
 */
import type { Failure, Payload } from '../../protocol/index.js';
import { cancelledActivity, completeActivity, failActivity, heartbeatActivity, requireStartedActivity } from '../engine/activities.js';
import { requireActivityById } from '../engine/activity-by-id.js';
import { resolveRun } from '../engine/run-control.js';
import type { ActivityState, RunState } from '../engine/run-state.js';
import type { Txn } from '../engine/transaction.js';
import type { TaskTokenData } from '../task-token.js';

/** An activity attempt as an RPC names it. */
export type NamedActivity = { token: TaskTokenData } | { workflowId: string; runId?: string; activityId: string };

/** How an activity attempt ended, as its worker reports it. */
export type ActivityEnd =
  | { how: 'complete'; result?: Payload }
  | { how: 'fail'; failure: Failure; lastHeartbeatDetails?: Payload[] }
  | { how: 'cancel'; details?: Payload[] };

/**
 * The attempt `named` names: by token, the started attempt it was issued for; by id, the current
 * attempt, taken as started by `identity` unless `start` is false.
 */
function attempt(tx: Txn, named: NamedActivity, identity: string | undefined, start = true): { run: RunState; act: ActivityState } {
  if ('token' in named) {
    const run = tx.loadRun(named.token.runId);
    const act = requireStartedActivity(run, named.token);
    return { run: run!, act };
  }
  const run = resolveRun(tx, named.workflowId, named.runId);
  return { run, act: requireActivityById(tx, run, named.activityId, identity, start) };
}

/** Records a heartbeat; the answer says whether cancellation was requested. */
export function heartbeatNamedActivity(tx: Txn, named: NamedActivity, details: Payload[] | undefined, identity: string | undefined): { cancelRequested: boolean } {
  const { run, act } = attempt(tx, named, identity, false);
  return heartbeatActivity(tx, run, act, details);
}

/** Ends the attempt: completed, failed (retried by its policy) or cancelled. */
export function endNamedActivity(tx: Txn, named: NamedActivity, end: ActivityEnd, identity: string | undefined): void {
  const { run, act } = attempt(tx, named, identity);
  if (end.how === 'complete') completeActivity(tx, run, act, end.result, identity);
  else if (end.how === 'fail') failActivity(tx, run, act, end.failure, end.lastHeartbeatDetails, identity);
  else cancelledActivity(tx, run, act, end.details, identity);
}
