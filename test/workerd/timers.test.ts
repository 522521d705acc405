/**
 * Timers: started by a command, fired exactly when due, cancelled for good; and the one
 * alarm, which is always set to the earliest thing the run waits for. Every test runs on a
 * frozen object clock.
 */
import { describe, expect, it } from 'vitest';
import {
  advance,
  alarmAt,
  call,
  completeWorkflowTask,
  eventsFrom,
  expectError,
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

describe('timers', () => {
  it('StartTimer writes TimerStarted, and the timer fires exactly when due, not a moment before, and only once', async () => {
    const { workflowId, taskQueue, runId, t0, task } = await startAndTakeFirstTask('timer-fire');
    await completeWorkflowTask(task.taskToken, [{ type: 'StartTimer', timerId: 't1', startToFireTimeoutMs: 60_000 }]);
    expect((await history(workflowId)).slice(4)).toEqual([
      { eventId: 5, eventTime: iso(t0), eventType: 'TimerStarted', attributes: { timerId: 't1', startToFireTimeoutMs: 60_000, workflowTaskCompletedEventId: 4 } },
    ]);
    expect((await runState(workflowId, runId)).timers).toEqual({ t1: { timerId: 't1', startedEventId: 5, fireAt: t0 + 60_000 } });
    expect(await alarmAt(workflowId)).toBe(t0 + 60_000);

    await advance(workflowId, 59_999);
    expect(await history(workflowId)).toHaveLength(5);
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();

    await advance(workflowId, 1);
    expect((await history(workflowId)).slice(5)).toEqual([
      { eventId: 6, eventTime: iso(t0 + 60_000), eventType: 'TimerFired', attributes: { timerId: 't1', startedEventId: 5 } },
      { eventId: 7, eventTime: iso(t0 + 60_000), eventType: 'WorkflowTaskScheduled', attributes: { taskQueue, startToCloseTimeoutMs: 10_000, attempt: 1 } },
    ]);
    expect((await runState(workflowId, runId)).timers).toEqual({});
    const wt = (await pollWorkflowTask(taskQueue, 0))!;
    expect(eventsFrom(wt.history, 6)).toEqual(['6 TimerFired', '7 WorkflowTaskScheduled', '8 WorkflowTaskStarted']);
    await completeWorkflowTask(wt.taskToken, []);

    await advance(workflowId, 120_000);
    expect((await history(workflowId)).filter((e) => e.eventType === 'TimerFired')).toHaveLength(1);
    expect(await history(workflowId)).toHaveLength(9);
    expect(await alarmAt(workflowId)).toBeNull();
  });

  it("counts from the worker's requestedAtMs, kept within [the task's start, now], when the completion waited in the service", async () => {
    const { workflowId, taskQueue, runId, t0, task } = await startAndTakeFirstTask('timer-anchor');
    await advance(workflowId, 300); // the completion arrives 300 ms after the task started
    const sleep = (timerId: string, requestedAtMs: number) => ({ type: 'StartTimer', timerId, startToFireTimeoutMs: 1_000, requestedAtMs }) as const;
    await completeWorkflowTask(task.taskToken, [sleep('asked', t0 + 20), sleep('behind', t0 - 5_000), sleep('ahead', t0 + 60_000)]);
    const started = (await history(workflowId)).filter((e) => e.eventType === 'TimerStarted');
    expect(started.map((e) => [e.eventTime, e.attributes])).toEqual([
      [iso(t0 + 300), { timerId: 'asked', startToFireTimeoutMs: 1_000, workflowTaskCompletedEventId: 4, anchorTime: iso(t0 + 20) }],
      // A worker clock behind: from the task's start, the workflow's clock; ahead: from now, as without it.
      [iso(t0 + 300), { timerId: 'behind', startToFireTimeoutMs: 1_000, workflowTaskCompletedEventId: 4, anchorTime: iso(t0) }],
      [iso(t0 + 300), { timerId: 'ahead', startToFireTimeoutMs: 1_000, workflowTaskCompletedEventId: 4 }],
    ]);
    expect((await runState(workflowId, runId)).timers).toMatchObject({ asked: { fireAt: t0 + 1_020 }, behind: { fireAt: t0 + 1_000 }, ahead: { fireAt: t0 + 1_300 } });
    expect(await alarmAt(workflowId)).toBe(t0 + 1_000);

    const fired = async () => (await history(workflowId)).filter((e) => e.eventType === 'TimerFired').map((e) => [e.eventTime, e.attributes.timerId]);
    await advance(workflowId, 699); // t0 + 999
    expect(await fired()).toEqual([]);
    await advance(workflowId, 1);
    expect(await fired()).toEqual([[iso(t0 + 1_000), 'behind']]);
    await advance(workflowId, 19);
    expect(await fired()).toHaveLength(1);
    await advance(workflowId, 1); // t0 + 1020
    expect((await history(workflowId)).filter((e) => e.eventType === 'TimerFired').map((e) => [e.eventTime, e.attributes.timerId])).toEqual([
      [iso(t0 + 1_000), 'behind'],
      [iso(t0 + 1_020), 'asked'],
    ]);
    // The workflow's clock after the sleep (its next task's start) is at least its clock before + the duration.
    const wt = (await pollWorkflowTask(taskQueue, 0))!;
    expect(Date.parse(wt.history.at(-1)!.eventTime) - t0).toBeGreaterThanOrEqual(1_000);
  });

  it('refuses a requestedAtMs that is not a whole, non-negative number of ms, and writes nothing', async () => {
    const { workflowId, task } = await startAndTakeFirstTask('timer-anchor-bad');
    for (const requestedAtMs of [-1, 1.5, '2026-01-01T00:00:00Z']) {
      expectError(await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands: [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 10, requestedAtMs }] }), 'INVALID_ARGUMENT');
    }
    expect(await history(workflowId)).toHaveLength(3);
  });

  it('CancelTimer writes TimerCanceled, and the timer never fires', async () => {
    const { workflowId, taskQueue, runId, t0, task } = await startAndTakeFirstTask('timer-cancel');
    await completeWorkflowTask(task.taskToken, [{ type: 'StartTimer', timerId: 't1', startToFireTimeoutMs: 10_000 }]);
    await advance(workflowId, 4_000);
    await sendSignal(workflowId, 'stop-waiting');
    const wt = (await pollWorkflowTask(taskQueue, 0))!;
    await completeWorkflowTask(wt.taskToken, [{ type: 'CancelTimer', timerId: 't1' }]);

    expect((await history(workflowId)).slice(8)).toEqual([
      { eventId: 9, eventTime: iso(t0 + 4_000), eventType: 'WorkflowTaskCompleted', attributes: { scheduledEventId: 7, startedEventId: 8, identity: 'test-worker' } },
      { eventId: 10, eventTime: iso(t0 + 4_000), eventType: 'TimerCanceled', attributes: { timerId: 't1', startedEventId: 5, workflowTaskCompletedEventId: 9, identity: 'test-worker' } },
    ]);
    expect((await runState(workflowId, runId)).timers).toEqual({});
    expect(await alarmAt(workflowId)).toBeNull();

    await advance(workflowId, 60_000);
    expect(await history(workflowId)).toHaveLength(10);
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
  });

  it('refuses to cancel a timer that is not pending, with UNKNOWN_TIMER, and changes nothing', async () => {
    const { workflowId, runId, task } = await startAndTakeFirstTask('timer-cancel-unknown');
    const before = await runState(workflowId, runId);
    expectError(await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands: [{ type: 'CancelTimer', timerId: 'nope' }] }), 'UNKNOWN_TIMER');
    expect(await history(workflowId)).toHaveLength(3);
    expect(await runState(workflowId, runId)).toEqual(before);
  });

  it('fires timers due together in the order they were due, each once, and the workflow sees them all in one task', async () => {
    const { workflowId, taskQueue, t0, task } = await startAndTakeFirstTask('timer-many');
    await completeWorkflowTask(task.taskToken, [
      { type: 'StartTimer', timerId: 'three', startToFireTimeoutMs: 3_000 },
      { type: 'StartTimer', timerId: 'one', startToFireTimeoutMs: 1_000 },
      { type: 'StartTimer', timerId: 'two', startToFireTimeoutMs: 2_000 },
    ]);
    expect(await alarmAt(workflowId)).toBe(t0 + 1_000);
    await advance(workflowId, 5_000);

    const events = await history(workflowId);
    const fired = events.filter((e) => e.eventType === 'TimerFired');
    expect(fired.map((e) => e.attributes)).toEqual([
      { timerId: 'one', startedEventId: 6 },
      { timerId: 'two', startedEventId: 7 },
      { timerId: 'three', startedEventId: 5 },
    ]);
    expect(events.filter((e) => e.eventType === 'WorkflowTaskScheduled')).toHaveLength(2);
    const wt = (await pollWorkflowTask(taskQueue, 0))!;
    expect(wt.history.filter((e) => e.eventType === 'TimerFired')).toHaveLength(3);
    expect(wt.history.at(-1)!.eventType).toBe('WorkflowTaskStarted');
  });
});

describe('the alarm', () => {
  it('is always set to the earliest thing the run waits for: a timer before a later activity timeout, then the task timeout, then the heartbeat, then start-to-close', async () => {
    const { workflowId, taskQueue, runId, t0, task } = await startAndTakeFirstTask('alarm-earliest');
    await completeWorkflowTask(task.taskToken, [
      scheduleActivityCommand('a1', { startToCloseTimeoutMs: 60_000, heartbeatTimeoutMs: 45_000 }),
      { type: 'StartTimer', timerId: 't1', startToFireTimeoutMs: 30_000 },
    ]);
    const at = (await pollActivityTask(taskQueue, 0))!;

    // Waiting for: timer at 30 s, heartbeat at 45 s, start-to-close at 60 s.
    const s = await runState(workflowId, runId);
    expect(s.timers.t1.fireAt).toBe(t0 + 30_000);
    expect(s.activities['5']).toMatchObject({ startedTime: t0, heartbeatTimeoutMs: 45_000, startToCloseTimeoutMs: 60_000 });
    expect(await alarmAt(workflowId)).toBe(t0 + 30_000);

    // The timer fires; its workflow task is taken, whose 10 s timeout is now the earliest.
    await advance(workflowId, 30_000);
    const wt = (await pollWorkflowTask(taskQueue, 0))!;
    expect(wt.history.some((e) => e.eventType === 'TimerFired')).toBe(true);
    expect(await alarmAt(workflowId)).toBe(t0 + 40_000);

    // The task completes: the heartbeat deadline is next.
    await completeWorkflowTask(wt.taskToken, []);
    expect(await alarmAt(workflowId)).toBe(t0 + 45_000);

    // A heartbeat pushes its deadline past start-to-close, which becomes the earliest.
    await ok('POST', '/activity-tasks/heartbeat', { taskToken: at.taskToken, details: [json(1)] });
    expect(await alarmAt(workflowId)).toBe(t0 + 60_000);

    // The activity completes: nothing is left to wait for but the new workflow task, which has no deadline until started.
    await ok('POST', '/activity-tasks/complete', { taskToken: at.taskToken, result: json('ok') });
    await pollWorkflowTask(taskQueue, 0);
    expect(await alarmAt(workflowId)).toBe(t0 + 40_000);
  });
});
