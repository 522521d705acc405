/**
 * Workflow tasks handed back in an answer instead of through a task queue: eager workflow start
 * (Temporal's `request_eager_execution`: the first task in the start's answer) and the workflow
 * task an activity's completion causes, for the worker that holds the run on its sticky queue.
 * Either task is started in the transaction that schedules it, and no queue ever sees it.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { Limits, type WorkflowTask } from '../../protocol/index.js';
import { OFFER_HOLD_MS } from '../../src/engine/run-state.js';
import { shardCount } from '../../src/shard-polls.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { advance, alarmAt, completeWorkflowTask, eventsFrom, freezeClock, history, json, ok, pollActivityTask, pollWorkflowTask, queueState, runState, scheduleActivityCommand, settle, startWorkflow, storedState, unique, until, wfStub, inWorkflow, NS, hostStorage, testEnv } from './helpers.js';

type StartAnswer = { runId: string; started: boolean; eagerWorkflowTask?: WorkflowTask };

describe('eager workflow start', () => {
  it('answers the start with its first workflow task, started, and the task queue never sees it', async () => {
    const workflowId = unique('ews');
    const taskQueue = unique('ews-tq');
    const t0 = await freezeClock(workflowId);
    const answer = (await startWorkflow(workflowId, taskQueue, { requestEagerExecution: true, identity: 'starter-1' })) as StartAnswer;
    const task = answer.eagerWorkflowTask!;
    expect(task).toMatchObject({ workflowExecution: { workflowId, runId: answer.runId }, attempt: 1, startedEventId: 3, previousStartedEventId: 0, startedTime: new Date(t0).toISOString() });
    expect(task.history.map((e) => e.eventType)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
    expect(task.history[2]).toMatchObject({ attributes: { scheduledEventId: 2, identity: 'starter-1' } });
    // Nothing was written for a queue to deliver, and a poll finds nothing.
    expect((await storedState(workflowId)).outbox).toEqual([]);
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
    expect((await queueState(taskQueue)).backlog).toEqual([]);

    // It is an ordinary started task: completing it goes on as usual.
    await completeWorkflowTask(task.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }]);
    expect(eventsFrom(await history(workflowId), 4)).toEqual(['4 WorkflowTaskCompleted', '5 WorkflowExecutionCompleted']);
  });

  it('without the request, the first task goes through the queue as before', async () => {
    const workflowId = unique('ews-off');
    const taskQueue = unique('ews-off-tq');
    const answer = (await startWorkflow(workflowId, taskQueue)) as StartAnswer;
    expect(answer.eagerWorkflowTask).toBeUndefined();
    expect((await pollWorkflowTask(taskQueue))?.workflowExecution.runId).toBe(answer.runId);
  });

  it('hands nothing back when no task is due yet (start delay) or no run is started (USE_EXISTING)', async () => {
    const delayed = (await startWorkflow(unique('ews-delay'), unique('ews-delay-tq'), { requestEagerExecution: true, startDelayMs: 60_000 })) as StartAnswer;
    expect(delayed.eagerWorkflowTask).toBeUndefined();

    const workflowId = unique('ews-existing');
    const taskQueue = unique('ews-existing-tq');
    const first = (await startWorkflow(workflowId, taskQueue, { requestEagerExecution: true })) as StartAnswer;
    const again = (await startWorkflow(workflowId, taskQueue, { requestEagerExecution: true, workflowIdConflictPolicy: 'USE_EXISTING' })) as StartAnswer;
    expect(again).toEqual({ runId: first.runId, started: false, ...shardCount(testEnv) });
  });

  it('a retried start (same request id) answers with the same task, started once', async () => {
    const workflowId = unique('ews-retry');
    const taskQueue = unique('ews-retry-tq');
    const first = (await startWorkflow(workflowId, taskQueue, { requestEagerExecution: true, requestId: 'start-1' })) as StartAnswer;
    const again = (await startWorkflow(workflowId, taskQueue, { requestEagerExecution: true, requestId: 'start-1' })) as StartAnswer;
    expect(again.runId).toBe(first.runId);
    expect(again.eagerWorkflowTask?.startedEventId).toBe(first.eagerWorkflowTask?.startedEventId);
    expect((await history(workflowId)).map((e) => e.eventType)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
  });

  it('a task handed out eagerly and never completed times out and goes to the queue', async () => {
    const workflowId = unique('ews-lost');
    const taskQueue = unique('ews-lost-tq');
    await freezeClock(workflowId);
    await startWorkflow(workflowId, taskQueue, { requestEagerExecution: true, workflowTaskTimeoutMs: 5_000 });
    await advance(workflowId, 5_000);
    const retried = (await pollWorkflowTask(taskQueue, 0))!;
    expect(retried).toMatchObject({ attempt: 2 });
    expect(eventsFrom(await history(workflowId), 4)).toEqual(['4 WorkflowTaskTimedOut']);
  });
});

describe('the next workflow task in the answer to an activity completion', () => {
  /** A run held on `sticky`, waiting for activity a1 (started by a poll). */
  async function heldRun(prefix: string) {
    const workflowId = unique(prefix);
    const taskQueue = unique(`${prefix}-tq`);
    const sticky = `${taskQueue}/sticky/w1`;
    await freezeClock(workflowId);
    const { runId, eagerWorkflowTask: task } = (await startWorkflow(workflowId, taskQueue, { requestEagerExecution: true })) as StartAnswer;
    await completeWorkflowTask(task!.taskToken, [scheduleActivityCommand('a1', { startToCloseTimeoutMs: 30_000 })], { stickyAttributes: { workerTaskQueue: sticky, scheduleToStartTimeoutMs: 5_000 } });
    const activity = (await pollActivityTask(taskQueue))!;
    return { workflowId, taskQueue, sticky, runId, activity };
  }

  it('hands the workflow task to the completing worker that holds the run on its sticky queue', async () => {
    const { workflowId, sticky, runId, activity } = await heldRun('next-wft');
    const answer = await ok<{ workflowTask?: WorkflowTask }>('POST', '/activity-tasks/complete', { taskToken: activity.taskToken, result: json('r'), identity: 'w1', stickyTaskQueue: sticky });
    const task = answer.workflowTask!;
    // A sticky task: only the events after the last completed task.
    expect(task).toMatchObject({ workflowExecution: { workflowId, runId }, previousStartedEventId: 3, startedEventId: 9 });
    expect(task.history.map((e) => `${e.eventId} ${e.eventType}`)).toEqual(['4 WorkflowTaskCompleted', '5 ActivityTaskScheduled', '6 ActivityTaskStarted', '7 ActivityTaskCompleted', '8 WorkflowTaskScheduled', '9 WorkflowTaskStarted']);
    expect(task.history[4]).toMatchObject({ attributes: { taskQueue: sticky } });
    expect((await storedState(workflowId)).outbox).toEqual([]);
    expect(await pollWorkflowTask(sticky, 0)).toBeUndefined();

    await completeWorkflowTask(task.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('r') }]);
    expect((await runState(workflowId, runId)).status).toBe('COMPLETED');
  });

  it('a worker naming another sticky queue gets nothing back; the task goes to the run’s sticky queue', async () => {
    const { sticky, runId, activity } = await heldRun('next-wft-other');
    const answer = await ok<{ workflowTask?: WorkflowTask }>('POST', '/activity-tasks/complete', { taskToken: activity.taskToken, result: json('r'), stickyTaskQueue: `${sticky}-not-mine` });
    expect(answer.workflowTask).toBeUndefined();
    expect((await pollWorkflowTask(sticky))?.workflowExecution.runId).toBe(runId);
  });

  it('hands nothing back while a workflow task is already running (the result waits in the buffer)', async () => {
    const workflowId = unique('next-wft-busy');
    const taskQueue = unique('next-wft-busy-tq');
    const sticky = `${taskQueue}/sticky/w1`;
    const { eagerWorkflowTask: first } = (await startWorkflow(workflowId, taskQueue, { requestEagerExecution: true })) as StartAnswer;
    await completeWorkflowTask(first!.taskToken, [scheduleActivityCommand('a1', { startToCloseTimeoutMs: 30_000 })], { stickyAttributes: { workerTaskQueue: sticky } });
    const activity = (await pollActivityTask(taskQueue))!;
    // A signal makes a workflow task, and a worker starts it.
    await ok('POST', `/workflows/${encodeURIComponent(workflowId)}/signal`, { signalName: 'go', input: [] });
    expect(await pollWorkflowTask(sticky)).toBeDefined();
    const answer = await ok<{ workflowTask?: WorkflowTask }>('POST', '/activity-tasks/complete', { taskToken: activity.taskToken, result: json('r'), stickyTaskQueue: sticky });
    expect(answer.workflowTask).toBeUndefined();
  });
});

describe('a task handed to a waiting poller through the queue', () => {
  it('deletes its outbox row in the start transaction and writes the alarm only when the earliest due moment changes', async () => {
    const workflowId = unique('coalesce');
    const taskQueue = unique('coalesce-tq');
    const t0 = await freezeClock(workflowId);
    const alarms: Array<number | null> = [];
    await inWorkflow(NS, workflowId, (o: WorkflowHost) => {
      // The workflow's alarm (in a shard, its slot of the shard's alarm).
      const storage = hostStorage(o) as unknown as { setAlarm(t: number): Promise<void>; deleteAlarm(): Promise<void> };
      const setAlarm = storage.setAlarm.bind(storage);
      const deleteAlarm = storage.deleteAlarm.bind(storage);
      storage.setAlarm = (t) => (alarms.push(t), setAlarm(t));
      storage.deleteAlarm = () => (alarms.push(null), deleteAlarm());
    });
    const polled = pollWorkflowTask(taskQueue);
    await until(() => queueState(taskQueue), (q) => q.waitingPollers > 0);
    const { runId } = await startWorkflow(workflowId, taskQueue);
    expect((await polled)?.workflowExecution.runId).toBe(runId);
    await settle(workflowId);
    expect((await storedState(workflowId)).outbox).toEqual([]);
    expect(await alarmAt(workflowId)).toBe(t0 + 10_000);
    // The start's transaction arms the offer's hand-off window (src/engine/task-offer.ts); the rest
    // moves it once, to the task's timeout (the frozen clock's object time is wall time until it moves).
    expect(alarms).toEqual([t0 + OFFER_HOLD_MS + Limits.handOffAckMs, t0 + 10_000]);
  });
});
