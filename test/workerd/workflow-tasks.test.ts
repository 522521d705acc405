/**
 * Workflow tasks, with Temporal's semantics: timeouts, failures and their transient
 * retries, signals buffered while a task runs, sticky execution, the commands that
 * record a marker or close the run, and the start delay. Every test runs on a frozen
 * object clock, so "1 ms before it is due" is exact.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION_MS, stickyQueueName, type HistoryEvent } from '../../protocol/index.js';
import {
  advance,
  alarmAt,
  call,
  completeWorkflowTask,
  eventsFrom,
  expectError,
  failWorkflowTaskWith,
  freezeClock,
  getDescription,
  history,
  iso,
  json,
  ok,
  pollWorkflowTask,
  runState,
  sendSignal,
  startAndTakeFirstTask,
  startWorkflow,
  unique,
  deletionBy,
} from './helpers.js';

const attrsOf = (events: HistoryEvent[], eventId: number) => events.find((e) => e.eventId === eventId)?.attributes;

describe('workflow task timeout', () => {
  it('times out a task not completed within the default 10 s (START_TO_CLOSE) and offers it again at once, so a worker that dies holding it loses nothing', async () => {
    const { workflowId, taskQueue, runId, t0, task } = await startAndTakeFirstTask('wt-timeout');
    expect(task.attempt).toBe(1);
    expect(attrsOf(task.history, 2)).toEqual({ taskQueue, startToCloseTimeoutMs: 10_000, attempt: 1 });
    expect(await alarmAt(workflowId)).toBe(t0 + 10_000);

    // The worker dies. 1 ms before the timeout nothing has happened.
    await advance(workflowId, 9_999);
    expect(eventsFrom(await history(workflowId), 1)).toEqual(['1 WorkflowExecutionStarted', '2 WorkflowTaskScheduled', '3 WorkflowTaskStarted']);
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
    expect((await getDescription(workflowId)).pendingWorkflowTask).toEqual({ state: 'STARTED', scheduledTime: iso(t0), startedTime: iso(t0), attempt: 1 });

    await advance(workflowId, 1);
    const events = await history(workflowId);
    expect(events.slice(3)).toEqual([
      { eventId: 4, eventTime: iso(t0 + 10_000), eventType: 'WorkflowTaskTimedOut', attributes: { scheduledEventId: 2, startedEventId: 3, timeoutType: 'START_TO_CLOSE' } },
    ]);
    expect((await getDescription(workflowId)).pendingWorkflowTask).toEqual({ state: 'SCHEDULED', scheduledTime: iso(t0 + 10_000), attempt: 2 });
    expect((await runState(workflowId, runId)).workflowTask).toMatchObject({ attempt: 2, scheduledEventId: 0, dispatched: true, taskQueue, sticky: false });

    // Another worker takes it at once: attempt 2, its scheduled/started events transient.
    const retry = (await pollWorkflowTask(taskQueue, 0, 'second-worker'))!;
    expect(retry).toBeDefined();
    expect(retry.attempt).toBe(2);
    expect(retry.startedEventId).toBe(6);
    expect(retry.previousStartedEventId).toBe(0);
    expect(eventsFrom(retry.history, 1)).toEqual([
      '1 WorkflowExecutionStarted',
      '2 WorkflowTaskScheduled',
      '3 WorkflowTaskStarted',
      '4 WorkflowTaskTimedOut',
      '5 WorkflowTaskScheduled',
      '6 WorkflowTaskStarted',
    ]);
    expect(attrsOf(retry.history, 5)).toEqual({ taskQueue, startToCloseTimeoutMs: 10_000, attempt: 2 });
    expect(attrsOf(retry.history, 6)).toEqual({ scheduledEventId: 5, identity: 'second-worker', historySizeBytes: expect.any(Number) });
    expect(await history(workflowId)).toHaveLength(4);

    // The dead worker's late completion is refused and changes nothing.
    expectError(await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands: [] }), 'TASK_NOT_FOUND');
    expect(await history(workflowId)).toHaveLength(4);

    await completeWorkflowTask(retry.taskToken, []);
    const after = await history(workflowId);
    expect(after.slice(4)).toEqual([
      { eventId: 5, eventTime: iso(t0 + 10_000), eventType: 'WorkflowTaskScheduled', attributes: { taskQueue, startToCloseTimeoutMs: 10_000, attempt: 2 } },
      { eventId: 6, eventTime: iso(t0 + 10_000), eventType: 'WorkflowTaskStarted', attributes: { scheduledEventId: 5, identity: 'second-worker', historySizeBytes: expect.any(Number) } },
      { eventId: 7, eventTime: iso(t0 + 10_000), eventType: 'WorkflowTaskCompleted', attributes: { scheduledEventId: 5, startedEventId: 6, identity: 'test-worker' } },
    ]);
    const d = await getDescription(workflowId);
    expect(d.status).toBe('RUNNING');
    expect(d.pendingWorkflowTask).toBeUndefined();
    expect(d.historyLength).toBe(7);
  });

  it('honours a custom workflowTaskTimeoutMs: recorded at start and on each task, and timed out exactly then', async () => {
    const { workflowId, taskQueue, t0, task } = await startAndTakeFirstTask('wt-timeout-custom', { workflowTaskTimeoutMs: 3_000 });
    expect(attrsOf(task.history, 1)).toMatchObject({ workflowTaskTimeoutMs: 3_000 });
    expect(attrsOf(task.history, 2)).toEqual({ taskQueue, startToCloseTimeoutMs: 3_000, attempt: 1 });
    expect((await getDescription(workflowId)).workflowTaskTimeoutMs).toBe(3_000);

    await advance(workflowId, 2_999);
    expect(await history(workflowId)).toHaveLength(3);
    await advance(workflowId, 1);
    expect((await history(workflowId)).slice(3)).toEqual([
      { eventId: 4, eventTime: iso(t0 + 3_000), eventType: 'WorkflowTaskTimedOut', attributes: { scheduledEventId: 2, startedEventId: 3, timeoutType: 'START_TO_CLOSE' } },
    ]);
    const retry = (await pollWorkflowTask(taskQueue, 0))!;
    expect(retry.attempt).toBe(2);
    expect(attrsOf(retry.history, 5)).toEqual({ taskQueue, startToCloseTimeoutMs: 3_000, attempt: 2 });
  });
});

describe('workflow task failure', () => {
  it('POST /workflow-tasks/fail writes WorkflowTaskFailed with its cause and failure, and offers the task again at once as attempt 2', async () => {
    const { workflowId, taskQueue, runId, t0, task } = await startAndTakeFirstTask('wt-fail');
    const failure = { message: 'nondeterminism: expected timer, got activity', applicationFailureInfo: { type: 'DeterminismViolationError' } };
    await failWorkflowTaskWith(task.taskToken, failure, { cause: 'NON_DETERMINISTIC_ERROR' });

    expect((await history(workflowId)).slice(3)).toEqual([
      {
        eventId: 4,
        eventTime: iso(t0),
        eventType: 'WorkflowTaskFailed',
        attributes: { scheduledEventId: 2, startedEventId: 3, cause: 'NON_DETERMINISTIC_ERROR', failure, identity: 'test-worker' },
      },
    ]);
    expect((await runState(workflowId, runId)).workflowTask).toMatchObject({ attempt: 2, scheduledEventId: 0, dispatched: true });
    expect((await getDescription(workflowId)).pendingWorkflowTask).toMatchObject({ state: 'SCHEDULED', attempt: 2 });

    const retry = (await pollWorkflowTask(taskQueue, 0))!;
    expect(retry).toBeDefined();
    expect(retry.attempt).toBe(2);
    expect(eventsFrom(retry.history, 4)).toEqual(['4 WorkflowTaskFailed', '5 WorkflowTaskScheduled', '6 WorkflowTaskStarted']);

    // Failing a task twice is refused: the token no longer names the pending task.
    expectError(await call('POST', '/workflow-tasks/fail', { taskToken: task.taskToken, failure }), 'TASK_NOT_FOUND');
    expect(await history(workflowId)).toHaveLength(4);
  });

  it('records only the first failure of a task failing again and again; later attempts are transient, backed off, and written with their attempt only when one completes', async () => {
    const { workflowId, taskQueue, runId, t0, task } = await startAndTakeFirstTask('wt-fail-repeat');
    await failWorkflowTaskWith(task.taskToken, { message: 'bug 1' });

    // Attempt 2 comes at once and fails too: nothing more is written.
    const second = (await pollWorkflowTask(taskQueue, 0))!;
    expect(second.attempt).toBe(2);
    await failWorkflowTaskWith(second.taskToken, { message: 'bug 2' });
    expect(eventsFrom(await history(workflowId), 1)).toEqual([
      '1 WorkflowExecutionStarted',
      '2 WorkflowTaskScheduled',
      '3 WorkflowTaskStarted',
      '4 WorkflowTaskFailed',
    ]);
    expect((await getDescription(workflowId)).pendingWorkflowTask).toMatchObject({ state: 'SCHEDULED', attempt: 3 });
    expect((await runState(workflowId, runId)).workflowTask).toMatchObject({ attempt: 3, dispatched: false, dueAt: t0 + 1_000 });

    // Attempt 3 waits out 1 s of back-off.
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
    await advance(workflowId, 999);
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
    await advance(workflowId, 1);
    const third = (await pollWorkflowTask(taskQueue, 0))!;
    expect(third.attempt).toBe(3);
    expect(eventsFrom(third.history, 4)).toEqual(['4 WorkflowTaskFailed', '5 WorkflowTaskScheduled', '6 WorkflowTaskStarted']);
    expect(attrsOf(third.history, 5)).toEqual({ taskQueue, startToCloseTimeoutMs: 10_000, attempt: 3 });

    // Attempt 3 times out: still nothing written; attempt 4 waits 2 s.
    await advance(workflowId, 10_000);
    expect(await history(workflowId)).toHaveLength(4);
    expect((await getDescription(workflowId)).pendingWorkflowTask).toMatchObject({ state: 'SCHEDULED', attempt: 4 });
    await advance(workflowId, 1_999);
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
    await advance(workflowId, 1);
    const fourth = (await pollWorkflowTask(taskQueue, 0))!;
    expect(fourth.attempt).toBe(4);
    const t4 = t0 + 1_000 + 10_000 + 2_000;

    await completeWorkflowTask(fourth.taskToken, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 60_000 }]);
    const events = await history(workflowId);
    expect(events.filter((e) => e.eventType === 'WorkflowTaskFailed')).toHaveLength(1);
    expect(events.slice(3)).toEqual([
      { eventId: 4, eventTime: iso(t0), eventType: 'WorkflowTaskFailed', attributes: { scheduledEventId: 2, startedEventId: 3, cause: 'WORKFLOW_WORKER_UNHANDLED_FAILURE', failure: { message: 'bug 1' }, identity: 'test-worker' } },
      { eventId: 5, eventTime: iso(t4), eventType: 'WorkflowTaskScheduled', attributes: { taskQueue, startToCloseTimeoutMs: 10_000, attempt: 4 } },
      { eventId: 6, eventTime: iso(t4), eventType: 'WorkflowTaskStarted', attributes: { scheduledEventId: 5, identity: 'test-worker', historySizeBytes: expect.any(Number) } },
      { eventId: 7, eventTime: iso(t4), eventType: 'WorkflowTaskCompleted', attributes: { scheduledEventId: 5, startedEventId: 6, identity: 'test-worker' } },
      { eventId: 8, eventTime: iso(t4), eventType: 'TimerStarted', attributes: { timerId: 't', startToFireTimeoutMs: 60_000, workflowTaskCompletedEventId: 7 } },
    ]);
    expect((await runState(workflowId, runId)).workflowTask).toBeUndefined();
  });
});

describe('signals while a workflow task runs', () => {
  it('buffers them, writes them after WorkflowTaskCompleted and its command events, and schedules a new task that sees them', async () => {
    const { workflowId, taskQueue, runId, t0, task } = await startAndTakeFirstTask('wt-buffer');
    await sendSignal(workflowId, 'first', [json(1)]);
    await sendSignal(workflowId, 'second', [json(2)]);
    expect(await history(workflowId)).toHaveLength(3);
    expect((await runState(workflowId, runId)).buffered.map((b: { eventType: string }) => b.eventType)).toEqual(['WorkflowExecutionSignaled', 'WorkflowExecutionSignaled']);

    await completeWorkflowTask(task.taskToken, [{ type: 'StartTimer', timerId: 't1', startToFireTimeoutMs: 5_000 }, { type: 'RecordMarker', markerName: 'm', details: {} }]);
    const events = await history(workflowId);
    expect(events.slice(3)).toEqual([
      { eventId: 4, eventTime: iso(t0), eventType: 'WorkflowTaskCompleted', attributes: { scheduledEventId: 2, startedEventId: 3, identity: 'test-worker' } },
      { eventId: 5, eventTime: iso(t0), eventType: 'TimerStarted', attributes: { timerId: 't1', startToFireTimeoutMs: 5_000, workflowTaskCompletedEventId: 4 } },
      { eventId: 6, eventTime: iso(t0), eventType: 'MarkerRecorded', attributes: { markerName: 'm', details: {}, workflowTaskCompletedEventId: 4 } },
      { eventId: 7, eventTime: iso(t0), eventType: 'WorkflowExecutionSignaled', attributes: { signalName: 'first', input: [json(1)], identity: 'signaller' } },
      { eventId: 8, eventTime: iso(t0), eventType: 'WorkflowExecutionSignaled', attributes: { signalName: 'second', input: [json(2)], identity: 'signaller' } },
      { eventId: 9, eventTime: iso(t0), eventType: 'WorkflowTaskScheduled', attributes: { taskQueue, startToCloseTimeoutMs: 10_000, attempt: 1 } },
    ]);
    expect((await runState(workflowId, runId)).buffered).toEqual([]);

    const next = (await pollWorkflowTask(taskQueue, 0))!;
    expect(next.previousStartedEventId).toBe(3);
    expect(eventsFrom(next.history, 7)).toEqual(['7 WorkflowExecutionSignaled', '8 WorkflowExecutionSignaled', '9 WorkflowTaskScheduled', '10 WorkflowTaskStarted']);
  });

  it('answers a completion that closes the run while a signal is buffered with WorkflowTaskFailed UNHANDLED_COMMAND, and a new task that sees the signal', async () => {
    const { workflowId, taskQueue, runId, t0, task } = await startAndTakeFirstTask('wt-unhandled');
    await sendSignal(workflowId, 'late', [json('news')]);
    const res = await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands: [{ type: 'CompleteWorkflowExecution', result: json('done') }], identity: 'test-worker' });
    expect(res.status).toBe(200);

    expect((await history(workflowId)).slice(3)).toEqual([
      { eventId: 4, eventTime: iso(t0), eventType: 'WorkflowTaskFailed', attributes: { scheduledEventId: 2, startedEventId: 3, cause: 'UNHANDLED_COMMAND', identity: 'test-worker' } },
      { eventId: 5, eventTime: iso(t0), eventType: 'WorkflowExecutionSignaled', attributes: { signalName: 'late', input: [json('news')], identity: 'signaller' } },
      { eventId: 6, eventTime: iso(t0), eventType: 'WorkflowTaskScheduled', attributes: { taskQueue, startToCloseTimeoutMs: 10_000, attempt: 1 } },
    ]);
    const d = await getDescription(workflowId);
    expect(d.status).toBe('RUNNING');
    expect(d.closeTime).toBeUndefined();
    expect(d.pendingWorkflowTask).toMatchObject({ state: 'SCHEDULED', attempt: 1 });

    const next = (await pollWorkflowTask(taskQueue, 0))!;
    expect(next.attempt).toBe(1);
    expect(eventsFrom(next.history, 4)).toEqual(['4 WorkflowTaskFailed', '5 WorkflowExecutionSignaled', '6 WorkflowTaskScheduled', '7 WorkflowTaskStarted']);
    await completeWorkflowTask(next.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done, having read the news') }]);
    expect(eventsFrom(await history(workflowId), 8)).toEqual(['8 WorkflowTaskCompleted', '9 WorkflowExecutionCompleted']);
    expect((await runState(workflowId, runId)).status).toBe('COMPLETED');
  });
});

describe('sticky execution', () => {
  it("sends the next task to the worker's own queue with only the events after previousStartedEventId", async () => {
    const { workflowId, taskQueue, runId, task } = await startAndTakeFirstTask('wt-sticky');
    const sticky = unique('worker-1-sticky');
    await completeWorkflowTask(task.taskToken, [], { stickyAttributes: { workerTaskQueue: sticky } });
    expect((await getDescription(workflowId)).stickyTaskQueue).toBe(sticky);
    expect((await runState(workflowId, runId)).sticky).toEqual({ taskQueue: sticky, scheduleToStartTimeoutMs: 5_000 });

    await sendSignal(workflowId, 'go');
    const events = await history(workflowId);
    expect(events.slice(4)).toMatchObject([
      { eventId: 5, eventType: 'WorkflowExecutionSignaled' },
      { eventId: 6, eventType: 'WorkflowTaskScheduled', attributes: { taskQueue: sticky, startToCloseTimeoutMs: 10_000, attempt: 1 } },
    ]);
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();

    const next = (await pollWorkflowTask(sticky, 0, 'worker-1'))!;
    expect(next.previousStartedEventId).toBe(3);
    expect(next.startedEventId).toBe(7);
    expect(eventsFrom(next.history, 1)).toEqual(['4 WorkflowTaskCompleted', '5 WorkflowExecutionSignaled', '6 WorkflowTaskScheduled', '7 WorkflowTaskStarted']);

    // Completing without sticky attributes sends later tasks back to the normal queue, with full history.
    await completeWorkflowTask(next.taskToken, []);
    expect((await getDescription(workflowId)).stickyTaskQueue).toBeUndefined();
    await sendSignal(workflowId, 'again');
    const full = (await pollWorkflowTask(taskQueue, 0))!;
    expect(full.history[0]!.eventId).toBe(1);
    expect(attrsOf(full.history, 10)).toMatchObject({ taskQueue });
  });

  it('times out a sticky task nobody starts within its schedule-to-start (default 5 s) and gives it to the normal queue with the full history; a stale poll of the sticky queue gets nothing', async () => {
    const { workflowId, taskQueue, runId, t0, task } = await startAndTakeFirstTask('wt-sticky-s2s');
    const sticky = unique('dead-worker-sticky');
    await completeWorkflowTask(task.taskToken, [], { stickyAttributes: { workerTaskQueue: sticky } });
    await sendSignal(workflowId, 'go');

    // The sticky worker is gone. Nothing moves until the schedule-to-start timeout.
    await advance(workflowId, 4_999);
    expect(await history(workflowId)).toHaveLength(6);
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
    await advance(workflowId, 1);

    expect((await history(workflowId)).slice(6)).toEqual([
      { eventId: 7, eventTime: iso(t0 + 5_000), eventType: 'WorkflowTaskTimedOut', attributes: { scheduledEventId: 6, startedEventId: 0, timeoutType: 'SCHEDULE_TO_START' } },
      { eventId: 8, eventTime: iso(t0 + 5_000), eventType: 'WorkflowTaskScheduled', attributes: { taskQueue, startToCloseTimeoutMs: 10_000, attempt: 1 } },
    ]);
    expect((await getDescription(workflowId)).stickyTaskQueue).toBeUndefined();
    expect((await runState(workflowId, runId)).sticky).toBeUndefined();

    // The old sticky task is stale; the normal queue has the task with the whole history.
    expect(await pollWorkflowTask(sticky, 0, 'worker-back-from-the-dead')).toBeUndefined();
    const normal = (await pollWorkflowTask(taskQueue, 0, 'worker-2'))!;
    expect(normal.attempt).toBe(1);
    expect(normal.previousStartedEventId).toBe(3);
    expect(eventsFrom(normal.history, 1)).toEqual([
      '1 WorkflowExecutionStarted',
      '2 WorkflowTaskScheduled',
      '3 WorkflowTaskStarted',
      '4 WorkflowTaskCompleted',
      '5 WorkflowExecutionSignaled',
      '6 WorkflowTaskScheduled',
      '7 WorkflowTaskTimedOut',
      '8 WorkflowTaskScheduled',
      '9 WorkflowTaskStarted',
    ]);
  });

  it('honours a custom sticky scheduleToStartTimeoutMs', async () => {
    const { workflowId, taskQueue, t0, task } = await startAndTakeFirstTask('wt-sticky-custom');
    const sticky = unique('sticky-custom');
    await completeWorkflowTask(task.taskToken, [], { stickyAttributes: { workerTaskQueue: sticky, scheduleToStartTimeoutMs: 2_000 } });
    await sendSignal(workflowId, 'go');
    await advance(workflowId, 1_999);
    expect(await history(workflowId)).toHaveLength(6);
    await advance(workflowId, 1);
    expect(attrsOf(await history(workflowId), 7)).toEqual({ scheduledEventId: 6, startedEventId: 0, timeoutType: 'SCHEDULE_TO_START' });
    expect((await history(workflowId)).find((e) => e.eventId === 7)!.eventTime).toBe(iso(t0 + 2_000));
    expect((await pollWorkflowTask(taskQueue, 0))!.attempt).toBe(1);
  });

  it("a stopping worker's shutdown moves its waiting sticky task, and every later one, to the normal queue at once, with no event and the full history", async () => {
    const { workflowId, taskQueue, runId, task } = await startAndTakeFirstTask('wt-sticky-shutdown');
    const secret = `secret-of-${unique('worker-1')}`;
    const sticky = await stickyQueueName(unique('stopping-worker-sticky'), secret);
    await completeWorkflowTask(task.taskToken, [], { stickyAttributes: { workerTaskQueue: sticky } });
    await sendSignal(workflowId, 'go');
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();

    // Only the owner closes it: the normal queue, or the sticky queue without its secret, is refused.
    expectError(await call('POST', '/workers/shutdown', { stickyTaskQueue: taskQueue, stickyQueueSecret: secret }), 'PERMISSION_DENIED');
    expectError(await call('POST', '/workers/shutdown', { stickyTaskQueue: sticky, stickyQueueSecret: 'not-the-secret-of-worker-1' }), 'PERMISSION_DENIED');
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
    await ok('POST', '/workers/shutdown', { stickyTaskQueue: sticky, stickyQueueSecret: secret, identity: 'worker-1' });
    // No clock moved: the task is on the normal queue now, not after the schedule-to-start timeout.
    expect((await runState(workflowId, runId)).sticky).toBeUndefined();
    const moved = (await pollWorkflowTask(taskQueue, 0, 'worker-2'))!;
    expect(moved.attempt).toBe(1);
    expect(eventsFrom(moved.history, 1)).toEqual(['1 WorkflowExecutionStarted', '2 WorkflowTaskScheduled', '3 WorkflowTaskStarted', '4 WorkflowTaskCompleted', '5 WorkflowExecutionSignaled', '6 WorkflowTaskScheduled', '7 WorkflowTaskStarted']);

    // A completion that still names the closed queue (the worker finished a task while stopping):
    // the next task is passed on to the normal queue the moment it reaches the closed one.
    await completeWorkflowTask(moved.taskToken, [], { stickyAttributes: { workerTaskQueue: sticky } });
    await sendSignal(workflowId, 'again');
    const passedOn = (await pollWorkflowTask(taskQueue, 0, 'worker-2'))!;
    expect(passedOn.history[0]!.eventId).toBe(1);
    expect((await history(workflowId)).map((e) => e.eventType)).not.toContain('WorkflowTaskTimedOut');
  });

  it('a poll of a closed sticky queue answers STICKY_QUEUE_CLOSED at once (one task or several), so a worker still alive moves to a new one instead of polling on', async () => {
    const secret = `secret-of-${unique('worker-1')}`;
    const sticky = await stickyQueueName(unique('closed-sticky'), secret);
    const poll = (extra: Record<string, unknown>) => call('POST', `/task-queues/${encodeURIComponent(sticky)}/workflow-tasks/poll`, { identity: 'worker-1', ...extra });
    // Open, it answers empty after the long poll.
    expect((await poll({})).body).toEqual({});
    await ok('POST', '/workers/shutdown', { stickyTaskQueue: sticky, stickyQueueSecret: secret, identity: 'worker-1' });
    expectError(await poll({}), 'STICKY_QUEUE_CLOSED', /closed/);
    expectError(await poll({ maxTasks: 4 }), 'STICKY_QUEUE_CLOSED');
    // A normal queue never says so, even empty.
    expect((await call('POST', `/task-queues/${unique('normal')}/workflow-tasks/poll`, { identity: 'worker-1' })).body).toEqual({});
  });
});

describe('commands that record or close', () => {
  it('RecordMarker writes MarkerRecorded with its details and failure, and leaves the run open', async () => {
    const { workflowId, runId, t0, task } = await startAndTakeFirstTask('cmd-marker');
    const failure = { message: 'side effect failed' };
    await completeWorkflowTask(task.taskToken, [
      { type: 'RecordMarker', markerName: 'SideEffect', details: { data: [json(42)] } },
      { type: 'RecordMarker', markerName: 'LocalActivity', details: { result: [] }, failure },
    ]);
    expect((await history(workflowId)).slice(4)).toEqual([
      { eventId: 5, eventTime: iso(t0), eventType: 'MarkerRecorded', attributes: { markerName: 'SideEffect', details: { data: [json(42)] }, workflowTaskCompletedEventId: 4 } },
      { eventId: 6, eventTime: iso(t0), eventType: 'MarkerRecorded', attributes: { markerName: 'LocalActivity', details: { result: [] }, workflowTaskCompletedEventId: 4, failure } },
    ]);
    const d = await getDescription(workflowId);
    expect(d.status).toBe('RUNNING');
    expect(d.pendingWorkflowTask).toBeUndefined();
    expect((await runState(workflowId, runId)).status).toBe('RUNNING');
  });

  it('CompleteWorkflowExecution writes WorkflowExecutionCompleted and closes the run COMPLETED, dropping what it waited for', async () => {
    const { workflowId, taskQueue, runId, t0, task } = await startAndTakeFirstTask('cmd-complete');
    await completeWorkflowTask(task.taskToken, [{ type: 'StartTimer', timerId: 'never', startToFireTimeoutMs: 1_000 }, { type: 'CompleteWorkflowExecution', result: json('ok') }]);
    const events = await history(workflowId);
    expect(events.slice(3)).toEqual([
      { eventId: 4, eventTime: iso(t0), eventType: 'WorkflowTaskCompleted', attributes: { scheduledEventId: 2, startedEventId: 3, identity: 'test-worker' } },
      { eventId: 5, eventTime: iso(t0), eventType: 'TimerStarted', attributes: { timerId: 'never', startToFireTimeoutMs: 1_000, workflowTaskCompletedEventId: 4 } },
      { eventId: 6, eventTime: iso(t0), eventType: 'WorkflowExecutionCompleted', attributes: { result: json('ok'), workflowTaskCompletedEventId: 4 } },
    ]);
    const d = await getDescription(workflowId);
    expect(d).toMatchObject({ status: 'COMPLETED', closeTime: iso(t0), historyLength: 6 });
    expect(d.pendingWorkflowTask).toBeUndefined();
    const s = await runState(workflowId, runId);
    expect(s).toMatchObject({ status: 'COMPLETED', closeEventId: 6, timers: {}, activities: {} });
    // What is left is the run's deletion, once the namespace's retention (72 h) has passed (in a shard,
    // its sweep's, which fires by the earliest of its runs').
    expect(await deletionBy(workflowId)).toBeLessThanOrEqual(t0 + DEFAULT_RETENTION_MS);

    // Nothing happens after the close: the timer is gone, signals are refused, no task comes.
    await advance(workflowId, 5_000);
    expect(await history(workflowId)).toHaveLength(6);
    expectError(await call('POST', `/workflows/${workflowId}/signal`, { signalName: 'too-late' }), 'WORKFLOW_NOT_RUNNING');
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
  });

  it('FailWorkflowExecution writes WorkflowExecutionFailed and closes the run FAILED', async () => {
    const { workflowId, runId, t0, task } = await startAndTakeFirstTask('cmd-fail');
    const failure = { message: 'order rejected', applicationFailureInfo: { type: 'Rejected', nonRetryable: true } };
    await completeWorkflowTask(task.taskToken, [{ type: 'FailWorkflowExecution', failure }]);
    expect((await history(workflowId)).slice(4)).toEqual([
      { eventId: 5, eventTime: iso(t0), eventType: 'WorkflowExecutionFailed', attributes: { failure, retryState: 'RETRY_POLICY_NOT_SET', workflowTaskCompletedEventId: 4 } },
    ]);
    expect(await getDescription(workflowId)).toMatchObject({ status: 'FAILED', closeTime: iso(t0) });
    expect((await runState(workflowId, runId)).status).toBe('FAILED');
  });

  it('CancelWorkflowExecution after a cancellation request writes WorkflowExecutionCanceled and closes the run CANCELED', async () => {
    const { workflowId, taskQueue, runId, t0, task } = await startAndTakeFirstTask('cmd-cancel');
    await completeWorkflowTask(task.taskToken, []);
    await ok('POST', `/workflows/${workflowId}/cancel`, { reason: 'customer changed their mind', identity: 'operator' });
    const next = (await pollWorkflowTask(taskQueue, 0))!;
    expect(next.history.find((e) => e.eventType === 'WorkflowExecutionCancelRequested')!.attributes).toEqual({ cause: 'customer changed their mind', identity: 'operator' });
    await completeWorkflowTask(next.taskToken, [{ type: 'CancelWorkflowExecution', details: [json('cleaned up')] }]);
    expect(eventsFrom(await history(workflowId), 5)).toEqual(['5 WorkflowExecutionCancelRequested', '6 WorkflowTaskScheduled', '7 WorkflowTaskStarted', '8 WorkflowTaskCompleted', '9 WorkflowExecutionCanceled']);
    expect(attrsOf(await history(workflowId), 9)).toEqual({ details: [json('cleaned up')], workflowTaskCompletedEventId: 8 });
    expect(await getDescription(workflowId)).toMatchObject({ status: 'CANCELED', closeTime: iso(t0) });
    expect((await runState(workflowId, runId)).status).toBe('CANCELED');
  });

  it('refuses CancelWorkflowExecution when no cancellation was requested, with BAD_COMMAND, and changes nothing', async () => {
    const { workflowId, runId, task } = await startAndTakeFirstTask('cmd-cancel-unrequested');
    const before = await runState(workflowId, runId);
    expectError(await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands: [{ type: 'CancelWorkflowExecution' }] }), 'BAD_COMMAND', /cancel/i);
    expect(await history(workflowId)).toHaveLength(3);
    expect(await runState(workflowId, runId)).toEqual(before);
    // The task is still the worker's to complete.
    await completeWorkflowTask(task.taskToken, [{ type: 'CompleteWorkflowExecution' }]);
    expect((await getDescription(workflowId)).status).toBe('COMPLETED');
  });

  it('refuses a command after the one that closes the run, with BAD_COMMAND, and changes nothing', async () => {
    const { workflowId, runId, task } = await startAndTakeFirstTask('cmd-after-close');
    const before = await runState(workflowId, runId);
    const err = expectError(
      await call('POST', '/workflow-tasks/complete', {
        taskToken: task.taskToken,
        commands: [{ type: 'CompleteWorkflowExecution' }, { type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 1000 }],
      }),
      'BAD_COMMAND',
    );
    expect(err.details).toMatchObject({ index: 0 });
    expect(await history(workflowId)).toHaveLength(3);
    expect(await runState(workflowId, runId)).toEqual(before);
  });
});

describe('start delay', () => {
  it('schedules no workflow task until startDelayMs has passed, then one at once', async () => {
    const workflowId = unique('wt-delay');
    const taskQueue = unique('wt-delay-tq');
    const t0 = await freezeClock(workflowId);
    const { runId } = await startWorkflow(workflowId, taskQueue, { startDelayMs: 30_000 });

    const events = await history(workflowId);
    expect(eventsFrom(events, 1)).toEqual(['1 WorkflowExecutionStarted']);
    expect(events[0]!.attributes).toMatchObject({ firstWorkflowTaskBackoffMs: 30_000 });
    const d = await getDescription(workflowId);
    expect(d).toMatchObject({ status: 'RUNNING', startTime: iso(t0), executionTime: iso(t0 + 30_000) });
    expect(d.pendingWorkflowTask).toBeUndefined();
    expect((await runState(workflowId, runId)).firstWorkflowTaskAt).toBe(t0 + 30_000);
    expect(await alarmAt(workflowId)).toBe(t0 + 30_000);
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();

    await advance(workflowId, 29_999);
    expect(await history(workflowId)).toHaveLength(1);
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();

    await advance(workflowId, 1);
    expect((await history(workflowId)).slice(1)).toEqual([
      { eventId: 2, eventTime: iso(t0 + 30_000), eventType: 'WorkflowTaskScheduled', attributes: { taskQueue, startToCloseTimeoutMs: 10_000, attempt: 1 } },
    ]);
    expect((await runState(workflowId, runId)).firstWorkflowTaskAt).toBeUndefined();
    const task = (await pollWorkflowTask(taskQueue, 0))!;
    expect(task.attempt).toBe(1);
    expect(task.startedTime).toBe(iso(t0 + 30_000));
  });
});
