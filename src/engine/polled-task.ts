/**
 * Starting a task a queue is about to give to a worker's poll: a workflow task or an activity
 * attempt, recorded as started (with its acknowledged hand-off when the poll acknowledges).
 */
import type { TaskRef, TaskTokenData } from '../task-token.js';
import { startActivity } from './activities.js';
import { handOffFor } from './hand-off.js';
import type { ActivityState, RunState } from './run-state.js';
import type { Txn } from './transaction.js';
import { startWorkflowTask } from './workflow-tasks.js';

/** The poll a task is given to: protocol-2 polls acknowledge what they get (hand-off.ts). */
export interface Poller {
  acknowledges: boolean;
  pollerId?: string;
  pollSeq?: number;
  /** The polling worker's sticky queue, closed too when the worker is found dead on another queue. */
  stickyTaskQueue?: string;
}

export type PolledTaskStart = { kind: 'workflow'; run: RunState; token: TaskTokenData } | { kind: 'activity'; run: RunState; act: ActivityState };

/** Starts the task `ref` names for a poll of `fromQueue`, or null when it is stale (completed, retried, moved, or its run closed). */
export function startPolledTask(tx: Txn, ref: TaskRef, identity: string | undefined, fromQueue: string, poller: Poller | undefined): PolledTaskStart | null {
  const run = tx.loadRun(ref.runId);
  if (!run) return null;
  const handOff = poller?.acknowledges ? handOffFor(tx.now, fromQueue, poller.pollerId, poller.pollSeq, poller.stickyTaskQueue) : undefined;
  if (ref.kind === 'workflow') {
    const s = startWorkflowTask(tx, run, ref, identity, handOff);
    return s ? { kind: 'workflow', run, token: s.token } : null;
  }
  const act = startActivity(tx, run, ref, identity, handOff);
  return act ? { kind: 'activity', run, act } : null;
}
