/**
 * Activities acted on by workflow id + activity id instead of by task token (Temporal's *ById
 * calls, used to complete an activity asynchronously from elsewhere). The act is the token's —
 * heartbeat, complete, fail, report cancellation — on the activity's current attempt.
 */
import { ServiceError } from '../service-error.js';
import { findActivityById } from './activities.js';
import { isRunning, type ActivityState, type RunState } from './run-state.js';
import type { Txn } from './transaction.js';

/**
 * The pending activity `activityId` of `run`, its current attempt taken as started by `identity`
 * when no worker has started it yet (as Temporal's by-id completion does), so that the events
 * record who ended it.
 * @throws {ServiceError} TASK_NOT_FOUND when the run has closed or has no such pending activity.
 */
export function requireActivityById(tx: Txn, run: RunState, activityId: string, identity: string | undefined, start = true): ActivityState {
  const act = isRunning(run) ? findActivityById(run, activityId) : undefined;
  if (!act) {
    const why = isRunning(run) ? 'it was never scheduled, or it already completed, failed, timed out or was cancelled' : `the run has closed (${run.status})`;
    throw new ServiceError('TASK_NOT_FOUND', `Workflow '${run.workflowId}' run ${run.runId} has no pending activity '${activityId}': ${why}.`, { workflowId: run.workflowId, runId: run.runId, activityId });
  }
  if (start && act.startedTime === undefined) {
    act.retryAt = undefined;
    act.startedTime = tx.now;
    act.startedIdentity = identity;
    act.lastWorkerIdentity = identity;
    tx.touch(run);
  }
  return act;
}
