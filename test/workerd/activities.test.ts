/**
 * Activities: retries by policy, the four timeouts, cancellation, and the validation and
 * normalisation of the ScheduleActivityTask command. Every test runs on a frozen object
 * clock. The first workflow task schedules activity 'a1', so its ActivityTaskScheduled is
 * event 5; retries write nothing until the activity closes, when its ActivityTaskStarted
 * is written with the final attempt and the failure before it.
 */
import { describe, expect, it } from 'vitest';
import type { CommandOf, Failure, HistoryEvent, Payload } from '../../protocol/index.js';
import {
  advance,
  call,
  completeWorkflowTask,
  eventsFrom,
  expectError,
  getDescription,
  history,
  iso,
  json,
  ok,
  pollActivityTask,
  pollWorkflowTask,
  runState,
  scheduleActivityCommand,
  sendSignal,
  startAndTakeFirstTask,
} from './helpers.js';

type ScheduleOptions = Partial<CommandOf<'ScheduleActivityTask'>>;

/** Starts a workflow whose first task schedules activity 'a1' with `options`. */
async function startWithActivity(prefix: string, options: ScheduleOptions, startExtra: Record<string, unknown> = {}) {
  const s = await startAndTakeFirstTask(prefix, startExtra);
  await completeWorkflowTask(s.task.taskToken, [scheduleActivityCommand('a1', options)]);
  return s;
}

const failActivity = (taskToken: string, failure: Failure, extra: Record<string, unknown> = {}) =>
  ok('POST', '/activity-tasks/fail', { taskToken, failure, identity: 'test-worker', ...extra });
const completeActivity = (taskToken: string, result: Payload) => ok('POST', '/activity-tasks/complete', { taskToken, result, identity: 'test-worker' });
const heartbeat = (taskToken: string, details?: Payload[]) =>
  ok<{ cancelRequested: boolean }>('POST', '/activity-tasks/heartbeat', { taskToken, ...(details ? { details } : {}), identity: 'test-worker' });

const timeoutFailure = (timeoutType: string, extra: Record<string, unknown> = {}) => ({
  message: `activity ${timeoutType} timeout`,
  source: 'Keel',
  timeoutFailureInfo: { timeoutType, ...extra },
});

/** The events the activity's close wrote, from its ActivityTaskStarted on. */
const closingEvents = (events: HistoryEvent[]) => events.filter((e) => e.eventId > 5);

describe('activity retries', () => {
  it("retries a failed attempt after the policy's back-off: initial interval, then times the coefficient, capped at the maximum interval", async () => {
    const retryPolicy = { initialIntervalMs: 1_000, backoffCoefficient: 3, maximumIntervalMs: 5_000 };
    const { workflowId, taskQueue, runId, t0 } = await startWithActivity('act-backoff', { startToCloseTimeoutMs: 60_000, retryPolicy });
    let at = (await pollActivityTask(taskQueue, 0))!;
    expect(at.attempt).toBe(1);
    expect(at.retryPolicy).toEqual({ ...retryPolicy, maximumAttempts: 0, nonRetryableErrorTypes: [] });

    let t = t0;
    for (const [attempt, delay] of [
      [1, 1_000],
      [2, 3_000],
      [3, 5_000],
      [4, 5_000],
    ] as const) {
      await failActivity(at.taskToken, { message: `boom ${attempt}`, applicationFailureInfo: { type: 'Flaky' } });
      const [pending] = (await getDescription(workflowId)).pendingActivities;
      expect(pending).toMatchObject({ activityId: 'a1', state: 'SCHEDULED', attempt: attempt + 1, nextAttemptScheduleTime: iso(t + delay), lastFailure: { message: `boom ${attempt}` } });
      expect((await runState(workflowId, runId)).activities['5']).toMatchObject({ attempt: attempt + 1, retryAt: t + delay });

      // No task before the back-off is over; one right at its end.
      expect(await pollActivityTask(taskQueue, 0)).toBeUndefined();
      await advance(workflowId, delay - 1);
      expect(await pollActivityTask(taskQueue, 0)).toBeUndefined();
      await advance(workflowId, 1);
      t += delay;
      at = (await pollActivityTask(taskQueue, 0))!;
      expect(at).toBeDefined();
      expect(at).toMatchObject({ attempt: attempt + 1, scheduledTime: iso(t0), currentAttemptScheduledTime: iso(t), startedTime: iso(t) });
    }
    // Retries wrote nothing.
    expect(await history(workflowId)).toHaveLength(5);

    await completeActivity(at.taskToken, json('charged'));
    expect(closingEvents(await history(workflowId))).toEqual([
      { eventId: 6, eventTime: iso(t), eventType: 'ActivityTaskStarted', attributes: { scheduledEventId: 5, identity: 'test-worker', attempt: 5, lastFailure: { message: 'boom 4', applicationFailureInfo: { type: 'Flaky' } } } },
      { eventId: 7, eventTime: iso(t), eventType: 'ActivityTaskCompleted', attributes: { result: json('charged'), scheduledEventId: 5, startedEventId: 6, identity: 'test-worker' } },
      { eventId: 8, eventTime: iso(t), eventType: 'WorkflowTaskScheduled', attributes: { taskQueue, startToCloseTimeoutMs: 10_000, attempt: 1 } },
    ]);
    expect((await getDescription(workflowId)).pendingActivities).toEqual([]);
  });

  it('fails the activity with MAXIMUM_ATTEMPTS_REACHED once maximumAttempts have failed, its Started carrying the final attempt and the failure before it', async () => {
    const { workflowId, taskQueue, runId, t0 } = await startWithActivity('act-max-attempts', { startToCloseTimeoutMs: 60_000, retryPolicy: { initialIntervalMs: 1_000, maximumAttempts: 3 } });
    for (const [attempt, delay] of [
      [1, 1_000],
      [2, 2_000],
    ] as const) {
      const at = (await pollActivityTask(taskQueue, 0))!;
      expect(at.attempt).toBe(attempt);
      await failActivity(at.taskToken, { message: `boom ${attempt}` });
      expect((await getDescription(workflowId)).pendingActivities[0]).toMatchObject({ attempt: attempt + 1, maximumAttempts: 3 });
      await advance(workflowId, delay);
    }
    const last = (await pollActivityTask(taskQueue, 0))!;
    expect(last.attempt).toBe(3);
    await failActivity(last.taskToken, { message: 'boom 3' });

    expect(closingEvents(await history(workflowId))).toEqual([
      { eventId: 6, eventTime: iso(t0 + 3_000), eventType: 'ActivityTaskStarted', attributes: { scheduledEventId: 5, identity: 'test-worker', attempt: 3, lastFailure: { message: 'boom 2' } } },
      {
        eventId: 7,
        eventTime: iso(t0 + 3_000),
        eventType: 'ActivityTaskFailed',
        attributes: { failure: { message: 'boom 3' }, scheduledEventId: 5, startedEventId: 6, identity: 'test-worker', retryState: 'MAXIMUM_ATTEMPTS_REACHED' },
      },
      { eventId: 8, eventTime: iso(t0 + 3_000), eventType: 'WorkflowTaskScheduled', attributes: { taskQueue, startToCloseTimeoutMs: 10_000, attempt: 1 } },
    ]);
    expect((await runState(workflowId, runId)).activities).toEqual({});
    expect((await getDescription(workflowId)).pendingActivities).toEqual([]);
    await advance(workflowId, 60_000);
    expect(await pollActivityTask(taskQueue, 0)).toBeUndefined();
  });

  it('fails the activity at once, NON_RETRYABLE_FAILURE, when the failure is flagged non-retryable', async () => {
    const { workflowId, taskQueue, t0 } = await startWithActivity('act-nonretryable-flag', { startToCloseTimeoutMs: 60_000 });
    const at = (await pollActivityTask(taskQueue, 0))!;
    const failure = { message: 'card stolen', applicationFailureInfo: { type: 'Fraud', nonRetryable: true } };
    await failActivity(at.taskToken, failure);
    expect(closingEvents(await history(workflowId))).toEqual([
      { eventId: 6, eventTime: iso(t0), eventType: 'ActivityTaskStarted', attributes: { scheduledEventId: 5, identity: 'test-worker', attempt: 1 } },
      { eventId: 7, eventTime: iso(t0), eventType: 'ActivityTaskFailed', attributes: { failure, scheduledEventId: 5, startedEventId: 6, identity: 'test-worker', retryState: 'NON_RETRYABLE_FAILURE' } },
      { eventId: 8, eventTime: iso(t0), eventType: 'WorkflowTaskScheduled', attributes: { taskQueue, startToCloseTimeoutMs: 10_000, attempt: 1 } },
    ]);
    expect((await getDescription(workflowId)).pendingActivities).toEqual([]);
  });

  it("fails the activity at once, NON_RETRYABLE_FAILURE, when the failure's type is one of nonRetryableErrorTypes (and retries other types)", async () => {
    const { workflowId, taskQueue, t0 } = await startWithActivity('act-nonretryable-type', { startToCloseTimeoutMs: 60_000, retryPolicy: { nonRetryableErrorTypes: ['CardDeclined'] } });
    const first = (await pollActivityTask(taskQueue, 0))!;
    await failActivity(first.taskToken, { message: 'gateway down', applicationFailureInfo: { type: 'GatewayDown' } });
    expect(await history(workflowId)).toHaveLength(5);
    await advance(workflowId, 1_000);
    const second = (await pollActivityTask(taskQueue, 0))!;
    expect(second.attempt).toBe(2);
    const declined = { message: 'declined', applicationFailureInfo: { type: 'CardDeclined' } };
    await failActivity(second.taskToken, declined);
    expect(closingEvents(await history(workflowId))).toMatchObject([
      { eventId: 6, eventType: 'ActivityTaskStarted', attributes: { attempt: 2, lastFailure: { message: 'gateway down', applicationFailureInfo: { type: 'GatewayDown' } } } },
      { eventId: 7, eventTime: iso(t0 + 1_000), eventType: 'ActivityTaskFailed', attributes: { failure: declined, scheduledEventId: 5, startedEventId: 6, retryState: 'NON_RETRYABLE_FAILURE' } },
      { eventId: 8, eventType: 'WorkflowTaskScheduled' },
    ]);
  });

  it('honours the next retry delay an application failure asks for', async () => {
    const { workflowId, taskQueue } = await startWithActivity('act-next-delay', { startToCloseTimeoutMs: 60_000 });
    const at = (await pollActivityTask(taskQueue, 0))!;
    await failActivity(at.taskToken, { message: 'rate limited', applicationFailureInfo: { type: 'RateLimited', nextRetryDelayMs: 7_500 } });
    await advance(workflowId, 7_499);
    expect(await pollActivityTask(taskQueue, 0)).toBeUndefined();
    await advance(workflowId, 1);
    expect((await pollActivityTask(taskQueue, 0))!.attempt).toBe(2);
  });
});

describe('activity timeouts', () => {
  it('schedule-to-start: when no worker starts it in time, writes ActivityTaskTimedOut SCHEDULE_TO_START with no Started event, and does not retry', async () => {
    const { workflowId, taskQueue, runId, t0 } = await startWithActivity('act-s2s', { scheduleToStartTimeoutMs: 2_000, startToCloseTimeoutMs: 10_000 });
    expect((await history(workflowId))[4]!.attributes).toMatchObject({ scheduleToStartTimeoutMs: 2_000, startToCloseTimeoutMs: 10_000 });

    await advance(workflowId, 1_999);
    expect(await history(workflowId)).toHaveLength(5);
    expect((await getDescription(workflowId)).pendingActivities[0]).toMatchObject({ state: 'SCHEDULED', attempt: 1 });
    await advance(workflowId, 1);

    expect(closingEvents(await history(workflowId))).toEqual([
      {
        eventId: 6,
        eventTime: iso(t0 + 2_000),
        eventType: 'ActivityTaskTimedOut',
        attributes: { failure: timeoutFailure('SCHEDULE_TO_START'), scheduledEventId: 5, startedEventId: 0, retryState: 'TIMEOUT' },
      },
      { eventId: 7, eventTime: iso(t0 + 2_000), eventType: 'WorkflowTaskScheduled', attributes: { taskQueue, startToCloseTimeoutMs: 10_000, attempt: 1 } },
    ]);
    expect((await runState(workflowId, runId)).activities).toEqual({});
    // The task still queued is stale: a worker arriving now gets nothing.
    expect(await pollActivityTask(taskQueue, 0)).toBeUndefined();
  });

  it('start-to-close: a timed-out attempt is retried by the policy, and after maximumAttempts the activity times out START_TO_CLOSE', async () => {
    const { workflowId, taskQueue, t0 } = await startWithActivity('act-s2c', { startToCloseTimeoutMs: 5_000, retryPolicy: { initialIntervalMs: 1_000, maximumAttempts: 2 } });
    const first = (await pollActivityTask(taskQueue, 0))!;
    await advance(workflowId, 4_999);
    expect((await getDescription(workflowId)).pendingActivities[0]).toMatchObject({ state: 'STARTED', attempt: 1, lastStartedTime: iso(t0) });
    await advance(workflowId, 1);

    // Retried, silently.
    expect(await history(workflowId)).toHaveLength(5);
    expect((await getDescription(workflowId)).pendingActivities[0]).toMatchObject({
      state: 'SCHEDULED',
      attempt: 2,
      lastFailure: timeoutFailure('START_TO_CLOSE'),
      nextAttemptScheduleTime: iso(t0 + 6_000),
    });
    // The first worker finally answers: too late.
    expectError(await call('POST', '/activity-tasks/complete', { taskToken: first.taskToken, result: json('late') }), 'TASK_NOT_FOUND');

    await advance(workflowId, 1_000);
    const second = (await pollActivityTask(taskQueue, 0))!;
    expect(second.attempt).toBe(2);
    await advance(workflowId, 5_000);
    expect(closingEvents(await history(workflowId))).toEqual([
      { eventId: 6, eventTime: iso(t0 + 6_000), eventType: 'ActivityTaskStarted', attributes: { scheduledEventId: 5, identity: 'test-worker', attempt: 2, lastFailure: timeoutFailure('START_TO_CLOSE') } },
      {
        eventId: 7,
        eventTime: iso(t0 + 11_000),
        eventType: 'ActivityTaskTimedOut',
        attributes: { failure: timeoutFailure('START_TO_CLOSE'), scheduledEventId: 5, startedEventId: 6, retryState: 'MAXIMUM_ATTEMPTS_REACHED' },
      },
      { eventId: 8, eventTime: iso(t0 + 11_000), eventType: 'WorkflowTaskScheduled', attributes: { taskQueue, startToCloseTimeoutMs: 10_000, attempt: 1 } },
    ]);
  });

  it("heartbeat: an attempt that stops heartbeating is timed out HEARTBEAT and retried, and the next attempt's poll carries the last heartbeat details", async () => {
    const { workflowId, taskQueue, t0 } = await startWithActivity('act-heartbeat', { startToCloseTimeoutMs: 60_000, heartbeatTimeoutMs: 5_000, retryPolicy: { initialIntervalMs: 1_000 } });
    const first = (await pollActivityTask(taskQueue, 0))!;
    expect(first.heartbeatTimeoutMs).toBe(5_000);
    expect(first.heartbeatDetails).toBeUndefined();

    await advance(workflowId, 3_000);
    expect(await heartbeat(first.taskToken, [json({ row: 10 })])).toEqual({ cancelRequested: false });
    expect((await getDescription(workflowId)).pendingActivities[0]).toMatchObject({ lastHeartbeatTime: iso(t0 + 3_000), heartbeatDetails: [json({ row: 10 })] });

    // The heartbeat moved the deadline to 5 s after it.
    await advance(workflowId, 4_999);
    expect((await getDescription(workflowId)).pendingActivities[0]).toMatchObject({ state: 'STARTED', attempt: 1 });
    await advance(workflowId, 1);
    expect(await history(workflowId)).toHaveLength(5);
    expect((await getDescription(workflowId)).pendingActivities[0]).toMatchObject({
      state: 'SCHEDULED',
      attempt: 2,
      lastFailure: timeoutFailure('HEARTBEAT', { lastHeartbeatDetails: [json({ row: 10 })] }),
      nextAttemptScheduleTime: iso(t0 + 9_000),
    });
    expectError(await call('POST', '/activity-tasks/heartbeat', { taskToken: first.taskToken }), 'TASK_NOT_FOUND');

    await advance(workflowId, 1_000);
    const second = (await pollActivityTask(taskQueue, 0))!;
    expect(second.attempt).toBe(2);
    expect(second.heartbeatDetails).toEqual([json({ row: 10 })]);

    await completeActivity(second.taskToken, json('resumed from row 10'));
    expect(closingEvents(await history(workflowId))).toMatchObject([
      { eventId: 6, eventTime: iso(t0 + 9_000), eventType: 'ActivityTaskStarted', attributes: { attempt: 2, lastFailure: timeoutFailure('HEARTBEAT', { lastHeartbeatDetails: [json({ row: 10 })] }) } },
      { eventId: 7, eventType: 'ActivityTaskCompleted', attributes: { result: json('resumed from row 10'), startedEventId: 6 } },
      { eventId: 8, eventType: 'WorkflowTaskScheduled' },
    ]);
  });

  it('heartbeat: an attempt that never heartbeats times out heartbeatTimeoutMs after it started', async () => {
    const { workflowId, taskQueue, t0 } = await startWithActivity('act-heartbeat-none', { startToCloseTimeoutMs: 60_000, heartbeatTimeoutMs: 2_000, retryPolicy: { maximumAttempts: 1 } });
    await pollActivityTask(taskQueue, 0);
    await advance(workflowId, 1_999);
    expect(await history(workflowId)).toHaveLength(5);
    await advance(workflowId, 1);
    expect(closingEvents(await history(workflowId))).toMatchObject([
      { eventId: 6, eventType: 'ActivityTaskStarted', attributes: { attempt: 1 } },
      { eventId: 7, eventTime: iso(t0 + 2_000), eventType: 'ActivityTaskTimedOut', attributes: { failure: timeoutFailure('HEARTBEAT'), startedEventId: 6, retryState: 'MAXIMUM_ATTEMPTS_REACHED' } },
      { eventId: 8, eventType: 'WorkflowTaskScheduled' },
    ]);
  });

  it('schedule-to-close: ends the activity whatever attempt it is on, with retryState TIMEOUT and the last failure as cause', async () => {
    const { workflowId, taskQueue, t0 } = await startWithActivity('act-sched2close', { scheduleToCloseTimeoutMs: 10_000, retryPolicy: { initialIntervalMs: 1_000 } });
    const first = (await pollActivityTask(taskQueue, 0))!;
    expect(first).toMatchObject({ scheduleToCloseTimeoutMs: 10_000, startToCloseTimeoutMs: 10_000 });
    await failActivity(first.taskToken, { message: 'boom 1' });
    await advance(workflowId, 1_000);
    await pollActivityTask(taskQueue, 0); // attempt 2, started at t0 + 1 s: its own start-to-close would end at t0 + 11 s

    await advance(workflowId, 8_999);
    expect(await history(workflowId)).toHaveLength(5);
    await advance(workflowId, 1);
    expect(closingEvents(await history(workflowId))).toEqual([
      { eventId: 6, eventTime: iso(t0 + 1_000), eventType: 'ActivityTaskStarted', attributes: { scheduledEventId: 5, identity: 'test-worker', attempt: 2, lastFailure: { message: 'boom 1' } } },
      {
        eventId: 7,
        eventTime: iso(t0 + 10_000),
        eventType: 'ActivityTaskTimedOut',
        attributes: { failure: { ...timeoutFailure('SCHEDULE_TO_CLOSE'), cause: { message: 'boom 1' } }, scheduledEventId: 5, startedEventId: 6, retryState: 'TIMEOUT' },
      },
      { eventId: 8, eventTime: iso(t0 + 10_000), eventType: 'WorkflowTaskScheduled', attributes: { taskQueue, startToCloseTimeoutMs: 10_000, attempt: 1 } },
    ]);
    expect((await getDescription(workflowId)).pendingActivities).toEqual([]);
  });

  it('schedule-to-close: a failure whose retry could not start before the deadline fails the activity with retryState TIMEOUT', async () => {
    const { workflowId, taskQueue, t0 } = await startWithActivity('act-sched2close-retry', { scheduleToCloseTimeoutMs: 10_000, retryPolicy: { initialIntervalMs: 1_000, backoffCoefficient: 10 } });
    await failActivity((await pollActivityTask(taskQueue, 0))!.taskToken, { message: 'boom 1' });
    await advance(workflowId, 1_000);
    // The next back-off (10 s) would start attempt 3 after the deadline.
    await failActivity((await pollActivityTask(taskQueue, 0))!.taskToken, { message: 'boom 2' });
    expect(closingEvents(await history(workflowId))).toMatchObject([
      { eventId: 6, eventType: 'ActivityTaskStarted', attributes: { attempt: 2, lastFailure: { message: 'boom 1' } } },
      { eventId: 7, eventTime: iso(t0 + 1_000), eventType: 'ActivityTaskFailed', attributes: { failure: { message: 'boom 2' }, startedEventId: 6, retryState: 'TIMEOUT' } },
      { eventId: 8, eventType: 'WorkflowTaskScheduled' },
    ]);
  });
});

describe('activity cancellation', () => {
  /** Gives the workflow a second task (through a signal) and completes it with `commands`. */
  async function secondTask(workflowId: string, taskQueue: string, commands: Parameters<typeof completeWorkflowTask>[1]) {
    await sendSignal(workflowId, 'cancel-it');
    const wt = (await pollWorkflowTask(taskQueue, 0))!;
    await completeWorkflowTask(wt.taskToken, commands);
  }

  it('answers a heartbeat with cancelRequested after a RequestCancelActivityTask; POST /activity-tasks/canceled then writes Started and Canceled', async () => {
    const { workflowId, taskQueue, t0 } = await startWithActivity('act-cancel-started', { startToCloseTimeoutMs: 60_000, heartbeatTimeoutMs: 10_000 });
    const at = (await pollActivityTask(taskQueue, 0))!;
    expect(await heartbeat(at.taskToken)).toEqual({ cancelRequested: false });

    await secondTask(workflowId, taskQueue, [{ type: 'RequestCancelActivityTask', activityId: 'a1' }]);
    expect((await history(workflowId)).slice(5)).toMatchObject([
      { eventId: 6, eventType: 'WorkflowExecutionSignaled' },
      { eventId: 7, eventType: 'WorkflowTaskScheduled' },
      { eventId: 8, eventType: 'WorkflowTaskStarted' },
      { eventId: 9, eventType: 'WorkflowTaskCompleted' },
      { eventId: 10, eventTime: iso(t0), eventType: 'ActivityTaskCancelRequested', attributes: { scheduledEventId: 5, workflowTaskCompletedEventId: 9 } },
    ]);
    expect(await history(workflowId)).toHaveLength(10);
    const d = await getDescription(workflowId);
    expect(d.pendingActivities[0]).toMatchObject({ activityId: 'a1', state: 'CANCEL_REQUESTED' });
    expect(d.pendingWorkflowTask).toBeUndefined();

    expect(await heartbeat(at.taskToken, [json('half way')])).toEqual({ cancelRequested: true });
    await ok('POST', '/activity-tasks/canceled', { taskToken: at.taskToken, details: [json('stopped')], identity: 'test-worker' });
    expect((await history(workflowId)).slice(10)).toEqual([
      { eventId: 11, eventTime: iso(t0), eventType: 'ActivityTaskStarted', attributes: { scheduledEventId: 5, identity: 'test-worker', attempt: 1 } },
      {
        eventId: 12,
        eventTime: iso(t0),
        eventType: 'ActivityTaskCanceled',
        attributes: { details: [json('stopped')], latestCancelRequestedEventId: 10, scheduledEventId: 5, startedEventId: 11, identity: 'test-worker' },
      },
      { eventId: 13, eventTime: iso(t0), eventType: 'WorkflowTaskScheduled', attributes: { taskQueue, startToCloseTimeoutMs: 10_000, attempt: 1 } },
    ]);
    expect((await getDescription(workflowId)).pendingActivities).toEqual([]);
  });

  it('cancels an activity that has not started at once: CancelRequested and Canceled are written together, and its queued task is stale', async () => {
    const { workflowId, taskQueue, runId, t0 } = await startWithActivity('act-cancel-scheduled', { startToCloseTimeoutMs: 60_000 });
    await secondTask(workflowId, taskQueue, [{ type: 'RequestCancelActivityTask', activityId: 'a1' }]);
    expect((await history(workflowId)).slice(8)).toEqual([
      { eventId: 9, eventTime: iso(t0), eventType: 'WorkflowTaskCompleted', attributes: { scheduledEventId: 7, startedEventId: 8, identity: 'test-worker' } },
      { eventId: 10, eventTime: iso(t0), eventType: 'ActivityTaskCancelRequested', attributes: { scheduledEventId: 5, workflowTaskCompletedEventId: 9 } },
      { eventId: 11, eventTime: iso(t0), eventType: 'ActivityTaskCanceled', attributes: { latestCancelRequestedEventId: 10, scheduledEventId: 5, startedEventId: 0, identity: 'test-worker' } },
      { eventId: 12, eventTime: iso(t0), eventType: 'WorkflowTaskScheduled', attributes: { taskQueue, startToCloseTimeoutMs: 10_000, attempt: 1 } },
    ]);
    expect((await runState(workflowId, runId)).activities).toEqual({});
    expect(await pollActivityTask(taskQueue, 0)).toBeUndefined();
  });

  it('cancels an activity waiting out its retry back-off at once, with no Started event', async () => {
    const { workflowId, taskQueue } = await startWithActivity('act-cancel-backoff', { startToCloseTimeoutMs: 60_000, retryPolicy: { initialIntervalMs: 30_000 } });
    await failActivity((await pollActivityTask(taskQueue, 0))!.taskToken, { message: 'boom' });
    await secondTask(workflowId, taskQueue, [{ type: 'RequestCancelActivityTask', activityId: 'a1' }]);
    expect(eventsFrom(await history(workflowId), 9)).toEqual(['9 WorkflowTaskCompleted', '10 ActivityTaskCancelRequested', '11 ActivityTaskCanceled', '12 WorkflowTaskScheduled']);
    expect((await history(workflowId))[10]!.attributes).toMatchObject({ startedEventId: 0 });
    await advance(workflowId, 30_000);
    expect(await pollActivityTask(taskQueue, 0)).toBeUndefined();
  });
});

describe('ScheduleActivityTask validation and normalisation', () => {
  it('refuses a command without scheduleToCloseTimeoutMs or startToCloseTimeoutMs with BAD_COMMAND, and changes nothing', async () => {
    const { workflowId, taskQueue, runId, task } = await startAndTakeFirstTask('act-bad-command');
    const before = await runState(workflowId, runId);
    const err = expectError(
      await call('POST', '/workflow-tasks/complete', {
        taskToken: task.taskToken,
        commands: [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 1_000 }, scheduleActivityCommand('a1', { heartbeatTimeoutMs: 1_000 })],
      }),
      'BAD_COMMAND',
      /startToCloseTimeoutMs/,
    );
    expect(err.details).toMatchObject({ activityId: 'a1' });
    expect(await history(workflowId)).toHaveLength(3);
    expect(await runState(workflowId, runId)).toEqual(before);
    expect(await pollActivityTask(taskQueue, 0)).toBeUndefined();

    // The task is still the worker's: a corrected completion goes through.
    await completeWorkflowTask(task.taskToken, [scheduleActivityCommand('a1', { startToCloseTimeoutMs: 1_000 })]);
    expect(eventsFrom(await history(workflowId), 4)).toEqual(['4 WorkflowTaskCompleted', '5 ActivityTaskScheduled']);
  });

  it('normalises timeouts as Temporal does, visibly in ActivityTaskScheduled: startToClose and scheduleToStart default to (and are capped by) scheduleToClose, heartbeat is capped by startToClose', async () => {
    const { workflowId, taskQueue, task } = await startAndTakeFirstTask('act-normalise');
    await completeWorkflowTask(task.taskToken, [
      scheduleActivityCommand('only-s2c', { scheduleToCloseTimeoutMs: 30_000 }),
      scheduleActivityCommand('all-too-long', { scheduleToCloseTimeoutMs: 30_000, scheduleToStartTimeoutMs: 45_000, startToCloseTimeoutMs: 60_000, heartbeatTimeoutMs: 90_000 }),
      scheduleActivityCommand('only-start2close', { startToCloseTimeoutMs: 5_000, heartbeatTimeoutMs: 1_000 }),
      scheduleActivityCommand('shorter', { scheduleToCloseTimeoutMs: 30_000, scheduleToStartTimeoutMs: 2_000, startToCloseTimeoutMs: 7_000, taskQueue: 'elsewhere' }),
    ]);
    const scheduled = (await history(workflowId)).filter((e) => e.eventType === 'ActivityTaskScheduled');
    const defaults = { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 100_000, maximumAttempts: 0, nonRetryableErrorTypes: [] };
    expect(scheduled.map((e) => e.attributes)).toEqual([
      { activityId: 'only-s2c', activityType: 'charge', taskQueue, input: [json('only-s2c')], scheduleToCloseTimeoutMs: 30_000, scheduleToStartTimeoutMs: 30_000, startToCloseTimeoutMs: 30_000, workflowTaskCompletedEventId: 4, retryPolicy: defaults },
      {
        activityId: 'all-too-long',
        activityType: 'charge',
        taskQueue,
        input: [json('all-too-long')],
        scheduleToCloseTimeoutMs: 30_000,
        scheduleToStartTimeoutMs: 30_000,
        startToCloseTimeoutMs: 30_000,
        heartbeatTimeoutMs: 30_000,
        workflowTaskCompletedEventId: 4,
        retryPolicy: defaults,
      },
      { activityId: 'only-start2close', activityType: 'charge', taskQueue, input: [json('only-start2close')], startToCloseTimeoutMs: 5_000, heartbeatTimeoutMs: 1_000, workflowTaskCompletedEventId: 4, retryPolicy: defaults },
      {
        activityId: 'shorter',
        activityType: 'charge',
        taskQueue: 'elsewhere',
        input: [json('shorter')],
        scheduleToCloseTimeoutMs: 30_000,
        scheduleToStartTimeoutMs: 2_000,
        startToCloseTimeoutMs: 7_000,
        workflowTaskCompletedEventId: 4,
        retryPolicy: defaults,
      },
    ]);
    // The worker is told the same normalised timeouts.
    const at = (await pollActivityTask(taskQueue, 0))!;
    expect(at).toMatchObject({ activityId: 'only-s2c', scheduleToCloseTimeoutMs: 30_000, startToCloseTimeoutMs: 30_000 });
  });

  it('bounds every activity timeout by the run timeout, and defaults schedule-to-close and schedule-to-start to it', async () => {
    const { workflowId, task } = await startAndTakeFirstTask('act-normalise-run-timeout', { workflowRunTimeoutMs: 20_000 });
    await completeWorkflowTask(task.taskToken, [
      scheduleActivityCommand('start2close-only', { startToCloseTimeoutMs: 5_000 }),
      scheduleActivityCommand('longer-than-run', { scheduleToCloseTimeoutMs: 60_000, heartbeatTimeoutMs: 50_000 }),
    ]);
    const scheduled = (await history(workflowId)).filter((e) => e.eventType === 'ActivityTaskScheduled');
    expect(scheduled[0]!.attributes).toMatchObject({ scheduleToCloseTimeoutMs: 20_000, scheduleToStartTimeoutMs: 20_000, startToCloseTimeoutMs: 5_000 });
    expect(scheduled[1]!.attributes).toMatchObject({ scheduleToCloseTimeoutMs: 20_000, scheduleToStartTimeoutMs: 20_000, startToCloseTimeoutMs: 20_000, heartbeatTimeoutMs: 20_000 });
  });
});

describe('an activity closing while a workflow task runs', () => {
  it('writes its ActivityTaskStarted with its close event after the task completes, and the close event names it', async () => {
    const { workflowId, taskQueue } = await startWithActivity('act-during-task', { startToCloseTimeoutMs: 60_000 });
    const at = (await pollActivityTask(taskQueue, 0))!;
    await sendSignal(workflowId);
    const task = (await pollWorkflowTask(taskQueue, 0))!;
    await completeActivity(at.taskToken, json('done'));
    await completeWorkflowTask(task.taskToken, []);
    const events = await history(workflowId);
    expect(eventsFrom(events, 6)).toEqual([
      '6 WorkflowExecutionSignaled',
      '7 WorkflowTaskScheduled',
      '8 WorkflowTaskStarted',
      '9 WorkflowTaskCompleted',
      '10 ActivityTaskStarted',
      '11 ActivityTaskCompleted',
      '12 WorkflowTaskScheduled',
    ]);
    expect(events[10]).toMatchObject({ attributes: { scheduledEventId: 5, startedEventId: 10 } });
  });
});
