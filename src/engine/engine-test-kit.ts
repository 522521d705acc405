/**
 * What the engine's unit tests share: a run started in a MemoryStore, and its workflow tasks
 * taken and completed the way the workflow object does it, with requests parsed by the
 * protocol's own schemas (so defaults are filled as on the wire).
 */
import { Api, type Command } from '../../protocol/index.js';
import type { TaskTokenData } from '../task-token.js';
import { completeWorkflowTask } from './lifecycle.js';
import { MemoryStore } from './memory-store.js';
import type { RunState } from './run-state.js';
import { startWorkflow } from './start.js';
import { startWorkflowTask } from './workflow-tasks.js';

export const TQ = 'orders';

/** A store with one run started (workflow 'wf', queue TQ) with `options` on the start request. */
export function started(options: Record<string, unknown> = {}): { store: MemoryStore; runId: string; run: () => RunState } {
  const store = new MemoryStore();
  const req = Api.startWorkflow.request.parse({ workflowId: 'wf', workflowType: 'order', taskQueue: TQ, input: [], ...options });
  const { runId } = store.change((tx) => startWorkflow(tx, 'default', req, 'run-0'));
  return { store, runId, run: () => store.loadRun(runId)! };
}

/** Starts the run's pending workflow task, as a poll that receives it; undefined when there is none to start. */
export function takeWorkflowTask(store: MemoryStore, runId: string, identity = 'worker'): TaskTokenData | undefined {
  return store.change((tx) => {
    const run = tx.loadRun(runId)!;
    return startWorkflowTask(tx, run, { seq: run.workflowTask?.seq }, identity)?.token;
  });
}

/** Completes a started workflow task with `commands`. */
export function completeTask(store: MemoryStore, runId: string, token: TaskTokenData, commands: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): void {
  const req = Api.completeWorkflowTask.request.parse({ taskToken: 'token', commands: commands as Command[], identity: 'worker', ...extra });
  store.change((tx) => completeWorkflowTask(tx, tx.loadRun(runId), token, req));
}

/** Takes the pending workflow task and completes it with `commands`. */
export function decide(store: MemoryStore, runId: string, commands: Array<Record<string, unknown>>): void {
  completeTask(store, runId, takeWorkflowTask(store, runId)!, commands);
}

export const scheduleActivity = (activityId: string, options: Record<string, unknown> = {}) => ({
  type: 'ScheduleActivityTask',
  activityId,
  activityType: 'charge',
  startToCloseTimeoutMs: 10_000,
  ...options,
});
