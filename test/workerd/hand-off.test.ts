/**
 * Acknowledged hand-off (protocol 2, src/engine/hand-off.ts): a task handed to a poll whose worker
 * does not acknowledge it within Limits.handOffAckMs goes back to its queue at once, leaves no
 * start by the dead worker in history, shows as a lost attempt on activities, and ends the dead
 * worker's other polls; workers that do not acknowledge (protocol 1) are served as before.
 */
import { describe, expect, it } from 'vitest';
import { Limits, type ActivityTask, type Command, type WorkflowTask } from '../../protocol/index.js';
import { stickyQueueName } from '../../protocol/sticky-queue.js';
import { taskQueueStub } from '../../src/stubs.js';
import {
  NS,
  advance,
  call,
  completeWorkflowTask,
  eventTypes,
  freezeClock,
  history,
  ok,
  pollActivityTask,
  pollWorkflowTask,
  queueState,
  settle,
  startWorkflow,
  testEnv,
  unique,
  until,
} from './helpers.js';

/** A poll of a worker that acknowledges its tasks (as keel/worker does). */
async function ackingPoll<K extends 'workflow' | 'activity'>(kind: K, taskQueue: string, identity: string, pollerId: string, waitMs = 5000, stickyTaskQueue?: string) {
  const started = await taskQueueStub(testEnv, NS, taskQueue, kind).poll(identity, waitMs, pollerId, true, stickyTaskQueue);
  return started?.kind === kind ? (started.task as K extends 'workflow' ? WorkflowTask : ActivityTask) : undefined;
}

const acknowledge = (taskToken: string) => call('POST', '/tasks/acknowledge', { taskToken });
const describeRun = (workflowId: string) => ok('GET', `/workflows/${encodeURIComponent(workflowId)}`);

const scheduleActivity: Command = { type: 'ScheduleActivityTask', activityId: 'a1', activityType: 'charge', input: [], startToCloseTimeoutMs: 60_000, retryPolicy: { maximumAttempts: 1 } };

describe('acknowledged hand-off', () => {
  it('a workflow task handed to a poll that never acknowledges goes back to its queue after handOffAckMs, with no start by the dead worker in history', async () => {
    const workflowId = unique('lost-wt');
    const taskQueue = unique('lost-wt-tq');
    await freezeClock(workflowId);
    await startWorkflow(workflowId, taskQueue);
    await settle(workflowId);
    const lost = (await ackingPoll('workflow', taskQueue, 'dead-worker', 'dead-poller'))!;
    expect(lost.history.map((e) => e.eventType)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
    // The start is reserved, not written: history shows the task as scheduled only.
    expect(eventTypes(await history(workflowId))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);

    await advance(workflowId, Limits.handOffAckMs - 1);
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
    await advance(workflowId, 1);

    const again = (await pollWorkflowTask(taskQueue, 0, 'live-worker'))!;
    expect(again.attempt).toBe(1);
    expect(again.startedEventId).toBe(3);
    await completeWorkflowTask(again.taskToken, []);
    const events = await history(workflowId);
    expect(eventTypes(events)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted', 'WorkflowTaskCompleted']);
    expect(events[2]!.attributes).toMatchObject({ identity: 'live-worker' });
    // The dead worker's token no longer names the task.
    expect((await acknowledge(lost.taskToken)).body.error.code).toBe('TASK_NOT_FOUND');
  });

  it('an acknowledged workflow task writes its start then and is not taken back; it still times out after the task timeout', async () => {
    const workflowId = unique('acked-wt');
    const taskQueue = unique('acked-wt-tq');
    await freezeClock(workflowId);
    await startWorkflow(workflowId, taskQueue);
    await settle(workflowId);
    const task = (await ackingPoll('workflow', taskQueue, 'live-worker', 'p1'))!;
    expect((await acknowledge(task.taskToken)).status).toBe(200);
    expect(eventTypes(await history(workflowId))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
    // A second acknowledgement changes nothing.
    expect((await acknowledge(task.taskToken)).status).toBe(200);
    await advance(workflowId, Limits.handOffAckMs * 2);
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
    await completeWorkflowTask(task.taskToken, []);
    expect(eventTypes(await history(workflowId)).at(-1)).toBe('WorkflowTaskCompleted');
  });

  it('a worker that completes before acknowledging needs no acknowledgement: the start and the completion are written together', async () => {
    const workflowId = unique('fast-wt');
    const taskQueue = unique('fast-wt-tq');
    await startWorkflow(workflowId, taskQueue);
    await settle(workflowId);
    const task = (await ackingPoll('workflow', taskQueue, 'fast-worker', 'p1'))!;
    await completeWorkflowTask(task.taskToken, []);
    const events = await history(workflowId);
    expect(events.map((e) => `${e.eventId} ${e.eventType}`)).toEqual(['1 WorkflowExecutionStarted', '2 WorkflowTaskScheduled', '3 WorkflowTaskStarted', '4 WorkflowTaskCompleted']);
    expect(events[2]!.attributes).toMatchObject({ identity: 'fast-worker' });
  });

  it('a worker that polled the queue again since is alive, only slow: its task gets another window, and goes back once it stays silent', async () => {
    const workflowId = unique('slow-wt');
    const taskQueue = unique('slow-wt-tq');
    await freezeClock(workflowId);
    await startWorkflow(workflowId, taskQueue);
    await settle(workflowId);
    const task = (await ackingPoll('workflow', taskQueue, 'slow-worker', 'slow'))!;
    // The worker polls again (its next poll loop) but its acknowledgement is late.
    const nextPoll = ackingPoll('workflow', taskQueue, 'slow-worker', 'slow', 30_000);
    await until(() => queueState(taskQueue), (s) => s.waitingPollers === 1);
    await advance(workflowId, Limits.handOffAckMs);
    expect(eventTypes(await history(workflowId))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);
    expect((await queueState(taskQueue)).waitingPollers).toBe(1);

    // No poll since: now it is taken for dead, and its waiting poll is ended.
    await advance(workflowId, Limits.handOffAckMs);
    expect(await nextPoll).toBeUndefined();
    expect((await acknowledge(task.taskToken)).body.error.code).toBe('TASK_NOT_FOUND');
    expect((await pollWorkflowTask(taskQueue, 0, 'live-worker'))!.workflowExecution.workflowId).toBe(workflowId);
  });

  it('a worker that does not acknowledge (protocol 1) keeps its task until the task timeout', async () => {
    const workflowId = unique('old-wt');
    const taskQueue = unique('old-wt-tq');
    await freezeClock(workflowId);
    await startWorkflow(workflowId, taskQueue);
    await settle(workflowId);
    await pollWorkflowTask(taskQueue, 5000, 'old-worker');
    expect(eventTypes(await history(workflowId)).at(-1)).toBe('WorkflowTaskStarted');
    await advance(workflowId, 9_999);
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
  });

  it('an activity attempt handed to a dead poll is retried at once, without back-off, and describe shows the attempt, "worker lost" and the worker', async () => {
    const workflowId = unique('lost-act');
    const taskQueue = unique('lost-act-tq');
    await freezeClock(workflowId);
    await startWorkflow(workflowId, taskQueue);
    const first = (await pollWorkflowTask(taskQueue))!;
    await completeWorkflowTask(first.taskToken, [{ ...scheduleActivity, retryPolicy: { maximumAttempts: 2, initialIntervalMs: 60_000 } }]);
    await settle(workflowId);
    const lost = (await ackingPoll('activity', taskQueue, 'dead-worker', 'dead-poller'))!;
    expect(lost.attempt).toBe(1);

    await advance(workflowId, Limits.handOffAckMs);
    const d = await describeRun(workflowId);
    expect(d.pendingActivities).toMatchObject([{ activityId: 'a1', state: 'SCHEDULED', attempt: 2, lastWorkerIdentity: 'dead-worker', lastFailure: { message: expect.stringMatching(/^worker lost/), applicationFailureInfo: { type: 'WorkerLost' } } }]);

    const again = (await pollActivityTask(taskQueue, 0, 'live-worker'))!;
    expect(again.attempt).toBe(2);
    await ok('POST', '/activity-tasks/complete', { taskToken: again.taskToken, identity: 'live-worker' });
    expect(eventTypes(await history(workflowId)).slice(-3)).toEqual(['ActivityTaskStarted', 'ActivityTaskCompleted', 'WorkflowTaskScheduled']);
    // The late worker's token is stale.
    expect((await call('POST', '/activity-tasks/complete', { taskToken: lost.taskToken })).body.error.code).toBe('TASK_NOT_FOUND');
  });

  it('a lost attempt counts toward maximumAttempts, as in Temporal: the last one lost times the activity out (START_TO_CLOSE, caused by "worker lost")', async () => {
    const workflowId = unique('lost-last');
    const taskQueue = unique('lost-last-tq');
    await freezeClock(workflowId);
    await startWorkflow(workflowId, taskQueue);
    const first = (await pollWorkflowTask(taskQueue))!;
    await completeWorkflowTask(first.taskToken, [scheduleActivity]);
    await settle(workflowId);
    expect((await ackingPoll('activity', taskQueue, 'dead-worker', 'dead-poller'))!.attempt).toBe(1);
    await advance(workflowId, Limits.handOffAckMs);
    expect((await describeRun(workflowId)).pendingActivities).toEqual([]);
    const events = await history(workflowId);
    expect(eventTypes(events).slice(-3)).toEqual(['ActivityTaskStarted', 'ActivityTaskTimedOut', 'WorkflowTaskScheduled']);
    expect(events.at(-2)!.attributes).toMatchObject({
      retryState: 'MAXIMUM_ATTEMPTS_REACHED',
      failure: { timeoutFailureInfo: { timeoutType: 'START_TO_CLOSE' }, cause: { message: expect.stringMatching(/^worker lost/), applicationFailureInfo: { type: 'WorkerLost' } } },
    });
    expect(await pollActivityTask(taskQueue, 0)).toBeUndefined();
  });

  it("a heartbeat counts as the acknowledgement of an activity", async () => {
    const workflowId = unique('hb-act');
    const taskQueue = unique('hb-act-tq');
    await freezeClock(workflowId);
    await startWorkflow(workflowId, taskQueue);
    const first = (await pollWorkflowTask(taskQueue))!;
    await completeWorkflowTask(first.taskToken, [scheduleActivity]);
    await settle(workflowId);
    const task = (await ackingPoll('activity', taskQueue, 'w', 'p'))!;
    await ok('POST', '/activity-tasks/heartbeat', { taskToken: task.taskToken });
    await advance(workflowId, Limits.handOffAckMs * 2);
    expect((await describeRun(workflowId)).pendingActivities).toMatchObject([{ state: 'STARTED', attempt: 1 }]);
  });

  it("ends the dead worker's other waiting polls, and closes its sticky queue so the run's next task goes to the normal queue", async () => {
    const workflowId = unique('dead-sticky');
    const taskQueue = unique('dead-sticky-tq');
    const sticky = unique('dead-worker-sticky');
    await freezeClock(workflowId);
    await startWorkflow(workflowId, taskQueue);
    const first = (await pollWorkflowTask(taskQueue))!;
    await completeWorkflowTask(first.taskToken, [], { stickyAttributes: { workerTaskQueue: sticky } });
    await settle(workflowId);
    // The worker polls its sticky queue and the normal queue, then dies.
    const otherPoll = ackingPoll('workflow', taskQueue, 'dead-worker', 'dead-poller', 30_000);
    await until(() => queueState(taskQueue), (s) => s.waitingPollers === 1);
    const stickyPoll = ackingPoll('workflow', sticky, 'dead-worker', 'dead-poller');
    await until(() => queueState(sticky), (s) => s.waitingPollers === 1);
    await ok('POST', `/workflows/${workflowId}/signal`, { signalName: 'go', input: [] });
    await settle(workflowId);
    expect((await stickyPoll)!.workflowExecution.workflowId).toBe(workflowId);

    await advance(workflowId, Limits.handOffAckMs);
    // Its poll on the normal queue is ended (answered empty), so it takes no task.
    expect(await otherPoll).toBeUndefined();
    const moved = (await pollWorkflowTask(taskQueue, 0, 'live-worker'))!;
    expect(moved.workflowExecution.workflowId).toBe(workflowId);
    expect(moved.history[0]!.eventId).toBe(1);
    expect((await describeRun(workflowId)).stickyTaskQueue).toBeUndefined();
    // The sticky queue is closed: a later poll there gets nothing at once.
    expect(await pollWorkflowTask(sticky, 5000)).toBeUndefined();
  });

  it('a worker found dead on its normal queue has its sticky queue closed too: the runs it cached go to the normal queue at once', async () => {
    const cachedId = unique('cached');
    const otherId = unique('lost-on-normal');
    const taskQueue = unique('dead-normal-tq');
    const sticky = await stickyQueueName(`${taskQueue}/sticky/dead-worker`, crypto.randomUUID());
    await freezeClock(cachedId);
    await freezeClock(otherId);
    // The worker holds `cachedId` on its sticky queue, which it has polled (that poll ran out).
    await startWorkflow(cachedId, taskQueue);
    const first = (await pollWorkflowTask(taskQueue))!;
    await completeWorkflowTask(first.taskToken, [], { stickyAttributes: { workerTaskQueue: sticky, scheduleToStartTimeoutMs: 60_000 } });
    await settle(cachedId);
    expect(await ackingPoll('workflow', sticky, 'dead-worker', 'dead-poller', 0)).toBeUndefined();
    // It dies; its signal's task waits in the sticky queue's backlog.
    await ok('POST', `/workflows/${cachedId}/signal`, { signalName: 'go', input: [] });
    await settle(cachedId);
    await until(() => queueState(sticky), (s) => s.backlog.length === 1);

    // Its poll on the normal queue, naming its sticky queue, takes another run's task and never acknowledges it.
    await startWorkflow(otherId, taskQueue);
    await settle(otherId);
    expect((await ackingPoll('workflow', taskQueue, 'dead-worker', 'dead-poller', 0, sticky))!.workflowExecution.workflowId).toBe(otherId);
    await advance(otherId, Limits.handOffAckMs);

    // The sticky queue is closed: its waiting task moved to the normal queue, long before the sticky timeout.
    await until(() => queueState(sticky), (s) => s.backlog.length === 0);
    const polled = new Set<string>();
    for (let i = 0; i < 2; i++) polled.add((await pollWorkflowTask(taskQueue, 0, 'live-worker'))!.workflowExecution.workflowId);
    expect(polled).toEqual(new Set([cachedId, otherId]));
    expect((await describeRun(cachedId)).stickyTaskQueue).toBeUndefined();
    expect(await pollWorkflowTask(sticky, 0)).toBeUndefined();
  });

  it("a sticky queue another worker polls too, or a normal queue, is not closed by a poll that names it", async () => {
    const workflowId = unique('not-mine');
    const taskQueue = unique('not-mine-tq');
    const shared = await stickyQueueName(`${taskQueue}/sticky/someone`, crypto.randomUUID());
    await freezeClock(workflowId);
    expect(await ackingPoll('workflow', shared, 'owner', 'owner-poller', 0)).toBeUndefined();
    expect(await ackingPoll('workflow', shared, 'liar', 'liar-poller', 0)).toBeUndefined();
    await startWorkflow(workflowId, taskQueue);
    await settle(workflowId);
    expect(await ackingPoll('workflow', taskQueue, 'liar', 'liar-poller', 0, shared)).toBeDefined();
    await advance(workflowId, Limits.handOffAckMs);
    expect((await pollWorkflowTask(taskQueue, 0, 'live-worker'))!.workflowExecution.workflowId).toBe(workflowId);
    // Still open: a poll there waits (and gets the task sent there).
    expect(await taskQueueStub(testEnv, NS, shared, 'workflow').closeStickyOf('liar-poller')).toBe(false);
    expect(await taskQueueStub(testEnv, NS, taskQueue, 'workflow').closeStickyOf('liar-poller')).toBe(false);
  });

  it('a query handed to a poll that neither acknowledges nor answers it is offered to another poller on the normal queue within handOffAckMs', async () => {
    const workflowId = unique('lost-query');
    const taskQueue = unique('lost-query-tq');
    const sticky = unique('lost-query-sticky');
    await startWorkflow(workflowId, taskQueue);
    const first = (await pollWorkflowTask(taskQueue))!;
    await completeWorkflowTask(first.taskToken, [], { stickyAttributes: { workerTaskQueue: sticky, scheduleToStartTimeoutMs: 60_000 } });
    await settle(workflowId);

    const asked = call('POST', `/workflows/${workflowId}/query`, { queryType: 'status' });
    // The worker holding the run takes the query on its sticky queue, and is dead.
    const lost = (await ackingPoll('workflow', sticky, 'dead-worker', 'dead-poller'))!;
    expect(lost.query).toMatchObject({ queryType: 'status' });
    // Long before the 60 s sticky timeout and the query timeout, a live worker on the normal queue gets it.
    const live = (await ackingPoll('workflow', taskQueue, 'live-worker', 'live-poller', 5000))!;
    expect(live.query).toMatchObject({ queryType: 'status' });
    expect((await acknowledge(live.taskToken)).status).toBe(200);
    await ok('POST', '/query-tasks/respond', { taskToken: live.taskToken, answer: { metadata: { encoding: btoa('json/plain') }, data: btoa('"from the live worker"') } });
    const answer = await asked;
    expect(answer.status).toBe(200);
    expect(atob(answer.body.answer.data)).toBe('"from the live worker"');
    // Answered: an acknowledgement now finds nothing.
    expect((await acknowledge(lost.taskToken)).body.error.code).toBe('TASK_NOT_FOUND');
  });
});
