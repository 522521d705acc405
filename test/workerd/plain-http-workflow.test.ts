import { describe, expect, it } from 'vitest';
import { advance, call, completeWorkflowTask, eventTypes, fromJson, history, json, ok, pollActivityTask, pollWorkflowTask, settle, startWorkflow, unique } from './helpers.js';

describe('a whole workflow over plain HTTP, no SDK', () => {
  it('runs start → activity failing twice then succeeding → timer → signal → completion with the exact event sequence', async () => {
    const wid = unique('order');
    const tq = unique('tq');
    const { runId } = await startWorkflow(wid, tq);

    // First workflow task: schedule the activity.
    let wt = (await pollWorkflowTask(tq))!;
    expect(wt.history.map((e) => e.eventType)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
    await completeWorkflowTask(wt.taskToken, [
      { type: 'ScheduleActivityTask', activityId: '1', activityType: 'charge', input: [json('card')], startToCloseTimeoutMs: 10_000, retryPolicy: { initialIntervalMs: 1000 } },
    ]);

    // The activity fails twice; retries add no events.
    for (const attempt of [1, 2]) {
      const at = (await pollActivityTask(tq))!;
      expect(at.attempt).toBe(attempt);
      await ok('POST', '/activity-tasks/fail', { taskToken: at.taskToken, failure: { message: `boom ${attempt}`, applicationFailureInfo: { type: 'Flaky' } } });
      await advance(wid, 1000 * 2 ** (attempt - 1));
    }
    const at = (await pollActivityTask(tq))!;
    expect(at.attempt).toBe(3);
    expect(eventTypes(await history(wid))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted', 'WorkflowTaskCompleted', 'ActivityTaskScheduled']);
    await ok('POST', '/activity-tasks/complete', { taskToken: at.taskToken, result: json('charged') });

    // Second task sees the result (started with attempt 3, carrying the last failure) and starts a timer.
    wt = (await pollWorkflowTask(tq))!;
    const started = wt.history.find((e) => e.eventType === 'ActivityTaskStarted')!;
    expect(started.attributes).toMatchObject({ attempt: 3, lastFailure: { message: 'boom 2' } });
    expect(fromJson(wt.history.find((e) => e.eventType === 'ActivityTaskCompleted')!.attributes.result)).toBe('charged');
    await completeWorkflowTask(wt.taskToken, [{ type: 'StartTimer', timerId: 't1', startToFireTimeoutMs: 60_000 }]);

    await advance(wid, 60_000);
    wt = (await pollWorkflowTask(tq))!;
    expect(wt.history.at(-3)!.eventType).toBe('TimerFired');
    await completeWorkflowTask(wt.taskToken, []);

    await ok('POST', `/workflows/${wid}/signal`, { signalName: 'approve', input: [json(true)] });
    await settle(wid);
    wt = (await pollWorkflowTask(tq))!;
    await completeWorkflowTask(wt.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }]);

    expect(eventTypes(await history(wid, runId))).toEqual([
      'WorkflowExecutionStarted',
      'WorkflowTaskScheduled',
      'WorkflowTaskStarted',
      'WorkflowTaskCompleted',
      'ActivityTaskScheduled',
      'ActivityTaskStarted',
      'ActivityTaskCompleted',
      'WorkflowTaskScheduled',
      'WorkflowTaskStarted',
      'WorkflowTaskCompleted',
      'TimerStarted',
      'TimerFired',
      'WorkflowTaskScheduled',
      'WorkflowTaskStarted',
      'WorkflowTaskCompleted',
      'WorkflowExecutionSignaled',
      'WorkflowTaskScheduled',
      'WorkflowTaskStarted',
      'WorkflowTaskCompleted',
      'WorkflowExecutionCompleted',
    ]);
    const events = await history(wid, runId);
    expect(events.map((e) => e.eventId)).toEqual(events.map((_, i) => i + 1));
    const described = await ok('GET', `/workflows/${wid}`);
    expect(described.status).toBe('COMPLETED');
    const close = await call('GET', `/workflows/${wid}/history`, { closeEventOnly: true, waitNewEvent: true });
    expect(fromJson(close.body.events[0].attributes.result)).toBe('done');
  });
});
