/**
 * Reset through the HTTP API, in workerd: a run that failed by a bug is reset to a completed
 * workflow task; the new run has the old history up to there, then WorkflowTaskFailed
 * (RESET_WORKFLOW), and a worker takes it on from that point. Both runs name each other.
 */
import { describe, expect, it } from 'vitest';
import {
  call,
  completeWorkflowTask,
  eventsFrom,
  expectError,
  getDescription,
  history,
  json,
  ok,
  pollActivityTask,
  pollWorkflowTask,
  scheduleActivityCommand,
  sendSignal,
  startWorkflow,
  unique,
} from './helpers.js';

const reset = (workflowId: string, body: Record<string, unknown>) => call('POST', `/workflows/${encodeURIComponent(workflowId)}/reset`, { reason: 'fixed the bug', ...body });

/** A run that ran activity 'a', received a signal, then failed in its second workflow task (the bug). */
async function failedByBug() {
  const workflowId = unique('reset');
  const taskQueue = unique('reset-tq');
  const { runId } = await startWorkflow(workflowId, taskQueue);
  const first = (await pollWorkflowTask(taskQueue))!;
  await completeWorkflowTask(first.taskToken, [scheduleActivityCommand('a', { startToCloseTimeoutMs: 10_000 })]); // 4 completed, 5 scheduled
  const activity = (await pollActivityTask(taskQueue))!;
  await ok('POST', '/activity-tasks/complete', { taskToken: activity.taskToken, result: json('charged'), identity: 'test-worker' }); // 6, 7, 8 WorkflowTaskScheduled
  await sendSignal(workflowId, 'approve'); // 9
  const second = (await pollWorkflowTask(taskQueue))!; // 10
  await completeWorkflowTask(second.taskToken, [{ type: 'FailWorkflowExecution', failure: { message: 'TypeError: x is undefined' } }]); // 11, 12
  return { workflowId, taskQueue, runId };
}

describe('reset', () => {
  it('resets a failed run to its last completed workflow task: a new run goes on from there, and both runs name each other', async () => {
    const { workflowId, taskQueue, runId } = await failedByBug();
    expect((await getDescription(workflowId)).status).toBe('FAILED');

    const answer = await reset(workflowId, { resetType: 'LastWorkflowTask' });
    expect(answer.status).toBe(200);
    const newRunId = answer.body.runId as string;
    expect(newRunId).not.toBe(runId);

    const events = await history(workflowId);
    expect(eventsFrom(events, 9)).toEqual(['9 WorkflowExecutionSignaled', '10 WorkflowTaskStarted', '11 WorkflowTaskFailed', '12 WorkflowTaskScheduled']);
    expect(events[10]!.attributes).toMatchObject({ cause: 'RESET_WORKFLOW', baseRunId: runId, newRunId, failure: { message: 'fixed the bug' } });
    expect(await history(workflowId, runId)).toHaveLength(12);

    const oldRun = await getDescription(workflowId, runId);
    expect(oldRun).toMatchObject({ status: 'FAILED', resetRunId: newRunId });
    const newRun = await getDescription(workflowId);
    expect(newRun).toMatchObject({ status: 'RUNNING', execution: { workflowId, runId: newRunId }, resetFromRunId: runId, firstRunId: runId });

    // The fixed worker takes the new run's task, with the whole history to replay, and completes it.
    const task = (await pollWorkflowTask(taskQueue))!;
    expect(task.workflowExecution.runId).toBe(newRunId);
    await completeWorkflowTask(task.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }]);
    expect((await getDescription(workflowId)).status).toBe('COMPLETED');
  });

  it('terminates the running run with the reason and re-applies the signals after the point', async () => {
    const workflowId = unique('reset-running');
    const taskQueue = unique('reset-running-tq');
    const { runId } = await startWorkflow(workflowId, taskQueue);
    const first = (await pollWorkflowTask(taskQueue))!;
    await completeWorkflowTask(first.taskToken, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 3_600_000 }]); // 4, 5
    await sendSignal(workflowId, 'late'); // 6, 7
    const { runId: newRunId } = await ok('POST', `/workflows/${workflowId}/reset`, { eventId: 4, reason: 'bad deploy', requestId: 'r-1' });
    const old = await history(workflowId, runId);
    expect(old.at(-1)).toMatchObject({ eventType: 'WorkflowExecutionTerminated', attributes: { reason: 'bad deploy' } });
    expect(await getDescription(workflowId, runId)).toMatchObject({ status: 'TERMINATED', resetRunId: newRunId });
    expect(eventsFrom(await history(workflowId), 4)).toEqual(['4 WorkflowTaskFailed', '5 WorkflowExecutionSignaled', '6 WorkflowTaskScheduled']);
    // The same request id again is answered with the first answer and resets nothing more.
    expect(await ok('POST', `/workflows/${workflowId}/reset`, { eventId: 4, reason: 'bad deploy', requestId: 'r-1' })).toEqual({ runId: newRunId });
    expect((await getDescription(workflowId)).execution.runId).toBe(newRunId);
  });

  it('refuses a point that is not a workflow task boundary with INVALID_RESET_POINT, and a request with neither eventId nor resetType', async () => {
    const { workflowId, runId } = await failedByBug();
    expectError(await reset(workflowId, { eventId: 5 }), 'INVALID_RESET_POINT', /\[WorkflowTaskScheduled \+ 1, WorkflowTaskStarted \+ 1\]/);
    expectError(await reset(workflowId, {}), 'INVALID_ARGUMENT');
    expectError(await reset(unique('nobody'), { eventId: 4 }), 'WORKFLOW_NOT_FOUND');
    expect((await getDescription(workflowId)).execution.runId).toBe(runId);
  });
});
