/**
 * A run as a worker that speculates holds it (protocol 4): started eagerly, its first task completed
 * with an eager activity, and that activity's completion, which may carry the workflow task it causes
 * (speculative-tasks.test.ts; history-tail.test.ts runs a W1 this way, the SDK's three changes).
 */
import type { ActivityTask, HistoryEnd, WorkflowTask } from '../../protocol/index.js';
import { completeWorkflowTask, freezeClock, json, ok, scheduleActivityCommand, unique } from './helpers.js';

export type CompleteAnswer = { workflowTask?: WorkflowTask; speculation?: { accepted: boolean; reason?: string }; activityTasks?: ActivityTask[]; historyEnd?: HistoryEnd };

/** A run held on its worker's sticky queue, waiting for activity a1, which its first task's completion started eagerly. */
export async function heldRun(prefix: string, workflowId = unique(prefix)) {
  const taskQueue = unique(`${prefix}-tq`);
  const sticky = `${taskQueue}/sticky/w1`;
  const t0 = await freezeClock(workflowId);
  const { runId, eagerWorkflowTask } = await ok<{ runId: string; eagerWorkflowTask: WorkflowTask }>('POST', '/workflows', { workflowId, workflowType: 'order', taskQueue, input: [json('x')], requestEagerExecution: true, identity: 'w1' });
  const first = await completeWorkflowTask(eagerWorkflowTask.taskToken, [scheduleActivityCommand('a1', { startToCloseTimeoutMs: 30_000, requestEagerExecution: true })], {
    identity: 'w1',
    stickyAttributes: { workerTaskQueue: sticky },
    acknowledgesHandOff: true,
    speculates: true,
  }) as { activityTasks: ActivityTask[]; historyEnd: HistoryEnd };
  return { workflowId, taskQueue, sticky, runId, t0, activity: first.activityTasks[0]!, end: first.historyEnd };
}

/** The speculative completion of the task a1's result causes, as the worker sends it. */
export const speculation = (end: HistoryEnd, sticky: string, commands: unknown[], time = end.time) => ({
  commands,
  stickyAttributes: { workerTaskQueue: sticky },
  nextEventId: end.nextEventId,
  startedEventId: end.nextEventId + 3,
  historySizeBytes: end.historySizeBytes,
  time,
});

export const completeActivity = (activity: ActivityTask, sticky: string, extra: Record<string, unknown> = {}) =>
  ok<CompleteAnswer>('POST', '/activity-tasks/complete', { taskToken: activity.taskToken, result: json('r1'), identity: 'w1', stickyTaskQueue: sticky, acknowledgesHandOff: true, ...extra });
