/**
 * Tasks handed back in an answer (eager workflow start, eager activities, the next workflow task of
 * an activity completion) under protocol 2 (`acknowledgesHandOff` on the request): the caller has
 * Limits.answerHandOffAckMs to acknowledge (or complete) them — longer than a polled task's
 * handOffAckMs: it was alive when it sent the request, and a saturated worker may be slow. One it does not —
 * the caller died holding the answer — goes back to its queue then, not after its timeout; no poll
 * is ended and no queue closed for it, since no poll names the caller.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { Limits, type ActivityTask, type WorkflowTask } from '../../protocol/index.js';
import { partitionStub } from '../../src/task-queue.js';
import {
  NS,
  advance,
  call,
  completeWorkflowTask,
  eventTypes,
  freezeClock,
  history,
  json,
  ok,
  pollActivityTask,
  pollWorkflowTask,
  runState,
  scheduleActivityCommand,
  startAndTakeFirstTask,
  startWorkflow,
  testEnv,
  unique,
} from './helpers.js';

type StartAnswer = { runId: string; eagerWorkflowTask?: WorkflowTask };
const acknowledge = (taskToken: string) => call('POST', '/tasks/acknowledge', { taskToken });

describe('acknowledged hand-off of tasks in answers', () => {
  it('an eagerly started first workflow task the starter never acknowledges goes to the queue after answerHandOffAckMs, with no start in history', async () => {
    const workflowId = unique('ans-ews');
    const taskQueue = unique('ans-ews-tq');
    await freezeClock(workflowId);
    const { eagerWorkflowTask: lost } = (await startWorkflow(workflowId, taskQueue, { requestEagerExecution: true, acknowledgesHandOff: true, identity: 'dead-starter' })) as StartAnswer;
    expect(lost!.history.map((e) => e.eventType)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
    expect(eventTypes(await history(workflowId))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);

    await advance(workflowId, Limits.answerHandOffAckMs - 1);
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
    await advance(workflowId, 1);
    const again = (await pollWorkflowTask(taskQueue, 0, 'live-worker'))!;
    expect(again).toMatchObject({ attempt: 1, startedEventId: 3 });
    await completeWorkflowTask(again.taskToken, []);
    expect((await history(workflowId))[2]!.attributes).toMatchObject({ identity: 'live-worker' });
    expect((await acknowledge(lost!.taskToken)).body.error.code).toBe('TASK_NOT_FOUND');
  });

  it('an eagerly started workflow task that is acknowledged stays with its worker', async () => {
    const workflowId = unique('ans-ews-ack');
    const taskQueue = unique('ans-ews-ack-tq');
    await freezeClock(workflowId);
    const { eagerWorkflowTask: task } = (await startWorkflow(workflowId, taskQueue, { requestEagerExecution: true, acknowledgesHandOff: true })) as StartAnswer;
    expect((await acknowledge(task!.taskToken)).status).toBe(200);
    expect(eventTypes(await history(workflowId))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
    await advance(workflowId, Limits.answerHandOffAckMs + 1);
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
    await completeWorkflowTask(task!.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }]);
    expect(eventTypes(await history(workflowId)).at(-1)).toBe('WorkflowExecutionCompleted');
  });

  it('an eager activity its worker never acknowledges is retried through the queue after answerHandOffAckMs, shown as "worker lost"', async () => {
    const { workflowId, taskQueue, runId, task } = await startAndTakeFirstTask('ans-act');
    const answer = await ok<{ activityTasks?: ActivityTask[] }>('POST', '/workflow-tasks/complete', {
      taskToken: task.taskToken,
      commands: [scheduleActivityCommand('a1', { startToCloseTimeoutMs: 60_000, requestEagerExecution: true })],
      identity: 'dead-worker',
      acknowledgesHandOff: true,
    });
    expect(answer.activityTasks).toHaveLength(1);
    await advance(workflowId, Limits.answerHandOffAckMs - 1);
    expect(await pollActivityTask(taskQueue, 0)).toBeUndefined();
    await advance(workflowId, 1);
    expect((await runState(workflowId, runId)).activities[5]).toMatchObject({ attempt: 2, lastWorkerIdentity: 'dead-worker', lastFailure: { applicationFailureInfo: { type: 'WorkerLost' } } });
    expect(await pollActivityTask(taskQueue, 0, 'live-worker')).toMatchObject({ activityId: 'a1', attempt: 2 });
  });

  it('the next workflow task in an activity completion’s answer, never acknowledged, goes to the normal queue; the sticky queue stays open', async () => {
    const workflowId = unique('ans-next');
    const taskQueue = unique('ans-next-tq');
    const sticky = `${taskQueue}/sticky/w1`;
    await freezeClock(workflowId);
    const { runId, eagerWorkflowTask: first } = (await startWorkflow(workflowId, taskQueue, { requestEagerExecution: true })) as StartAnswer;
    await completeWorkflowTask(first!.taskToken, [scheduleActivityCommand('a1', { startToCloseTimeoutMs: 30_000 })], { stickyAttributes: { workerTaskQueue: sticky, scheduleToStartTimeoutMs: 60_000 } });
    const activity = (await pollActivityTask(taskQueue))!;
    const answer = await ok<{ workflowTask?: WorkflowTask }>('POST', '/activity-tasks/complete', { taskToken: activity.taskToken, result: json('r'), identity: 'w1', stickyTaskQueue: sticky, acknowledgesHandOff: true });
    expect(answer.workflowTask).toBeDefined();

    await advance(workflowId, Limits.answerHandOffAckMs);
    const moved = (await pollWorkflowTask(taskQueue, 0, 'live-worker'))!;
    expect(moved.workflowExecution.runId).toBe(runId);
    // The full history: the live worker has no cache of the run.
    expect(moved.history[0]!.eventId).toBe(1);
    expect((await runState(workflowId, runId)).sticky).toBeUndefined();
    const closed = await runInDurableObject(partitionStub(testEnv, NS, sticky, 'workflow'), (o) => (o as unknown as { closed: boolean }).closed);
    expect(closed).toBe(false);
  });

  it('an eager activity acknowledged past a polled task\'s window but within the answer\'s stays with its slow worker', async () => {
    const { workflowId, taskQueue, runId, task } = await startAndTakeFirstTask('ans-slow');
    const answer = await ok<{ activityTasks?: ActivityTask[] }>('POST', '/workflow-tasks/complete', {
      taskToken: task.taskToken,
      commands: [scheduleActivityCommand('a1', { startToCloseTimeoutMs: 60_000, requestEagerExecution: true })],
      identity: 'slow-worker',
      acknowledgesHandOff: true,
    });
    const [activity] = answer.activityTasks!;
    // A saturated machine: the acknowledgement comes after handOffAckMs.
    await advance(workflowId, Limits.handOffAckMs + 1);
    expect((await acknowledge(activity!.taskToken)).status).toBe(200);
    await advance(workflowId, Limits.answerHandOffAckMs);
    expect(await pollActivityTask(taskQueue, 0)).toBeUndefined();
    expect((await runState(workflowId, runId)).activities[5]).toMatchObject({ attempt: 1 });
    await ok('POST', '/activity-tasks/complete', { taskToken: activity!.taskToken, result: json('r'), identity: 'slow-worker' });
  });
});
