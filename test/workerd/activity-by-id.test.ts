/**
 * Activities acted on by workflow id + activity id (asynchronous completion): complete, fail,
 * report cancellation and heartbeat reach the activity's current attempt as the task-token
 * endpoints do, with the same errors; a retried completion with its request id is harmless; and
 * the activity's timeouts still fire while it waits. Every test runs on a frozen object clock.
 */
import { describe, expect, it } from 'vitest';
import type { CommandOf, HistoryEvent } from '../../protocol/index.js';
import {
  advance,
  call,
  completeWorkflowTask,
  expectError,
  getDescription,
  history,
  json,
  ok,
  pollActivityTask,
  pollWorkflowTask,
  scheduleActivityCommand,
  startAndTakeFirstTask,
} from './helpers.js';

/** Starts a workflow whose first task schedules activity 'a1' with `options`, and takes that activity's task. */
async function startWithActivity(prefix: string, options: Partial<CommandOf<'ScheduleActivityTask'>> = { startToCloseTimeoutMs: 60_000 }) {
  const s = await startAndTakeFirstTask(prefix);
  await completeWorkflowTask(s.task.taskToken, [scheduleActivityCommand('a1', options)]);
  const activity = (await pollActivityTask(s.taskQueue, 0))!;
  return { ...s, activity };
}

const byId = (workflowId: string, act: 'complete' | 'fail' | 'canceled' | 'heartbeat', body: Record<string, unknown>, activityId = 'a1') =>
  call('POST', `/workflows/${encodeURIComponent(workflowId)}/activities/${encodeURIComponent(activityId)}/${act}`, { identity: 'async-completer', ...body });

const closing = (events: HistoryEvent[]) => events.filter((e) => e.eventId > 5).map((e) => e.eventType);

describe('activities by workflow id + activity id', () => {
  it('completes the activity by its ids: the workflow gets the result, the completer is recorded', async () => {
    const { workflowId, runId } = await startWithActivity('byid-complete');
    const res = await byId(workflowId, 'complete', { runId, result: json('done later'), requestId: 'r1' });
    expect(res.status).toBe(200);
    const events = await history(workflowId);
    expect(closing(events)).toEqual(['ActivityTaskStarted', 'ActivityTaskCompleted', 'WorkflowTaskScheduled']);
    expect(events.find((e) => e.eventType === 'ActivityTaskCompleted')).toMatchObject({ attributes: { result: json('done later'), scheduledEventId: 5, identity: 'async-completer' } });
    expect((await getDescription(workflowId)).pendingActivities).toEqual([]);

    // The same request again (a retry after a lost answer) is answered as before and writes nothing.
    expect((await byId(workflowId, 'complete', { runId, result: json('done later'), requestId: 'r1' })).status).toBe(200);
    expect((await history(workflowId)).length).toBe(events.length);
    // A new request for the same activity finds it gone.
    expectError(await byId(workflowId, 'complete', { result: json('again') }), 'TASK_NOT_FOUND', /no pending activity 'a1'.*already completed/);
    expectError(await byId(workflowId, 'complete', { result: json('x'), requestId: 'r1' }), 'REQUEST_ID_CONFLICT');
  });

  it('fails the current attempt by its ids, which the retry policy retries; then the task token of that attempt is stale', async () => {
    const { workflowId, taskQueue, activity } = await startWithActivity('byid-fail', { startToCloseTimeoutMs: 60_000, retryPolicy: { initialIntervalMs: 1_000, maximumAttempts: 2 } });
    await ok('POST', `/workflows/${workflowId}/activities/a1/fail`, { failure: { message: 'failed elsewhere' }, identity: 'async-completer' });
    const [pending] = (await getDescription(workflowId)).pendingActivities;
    expect(pending).toMatchObject({ activityId: 'a1', attempt: 2, lastFailure: { message: 'failed elsewhere' } });
    expectError(await call('POST', '/activity-tasks/complete', { taskToken: activity.taskToken, result: json('late') }), 'TASK_NOT_FOUND');

    await advance(workflowId, 1_000);
    expect((await pollActivityTask(taskQueue, 0))!.attempt).toBe(2);
    await ok('POST', `/workflows/${workflowId}/activities/a1/fail`, { failure: { message: 'failed again' } });
    const events = await history(workflowId);
    expect(events.find((e) => e.eventType === 'ActivityTaskFailed')).toMatchObject({ attributes: { failure: { message: 'failed again' }, retryState: 'MAXIMUM_ATTEMPTS_REACHED' } });
  });

  it('heartbeats by its ids, answering whether cancellation was requested, and reports the cancellation', async () => {
    const { workflowId, taskQueue } = await startWithActivity('byid-cancel', { startToCloseTimeoutMs: 60_000, heartbeatTimeoutMs: 10_000 });
    expect(await ok('POST', `/workflows/${workflowId}/activities/a1/heartbeat`, { details: [json(1)] })).toEqual({ cancelRequested: false });

    // The workflow asks to cancel the activity (through a signal's task, as a workflow would).
    await ok('POST', `/workflows/${workflowId}/signal`, { signalName: 'stop', input: [] });
    const task = (await pollWorkflowTask(taskQueue, 0))!;
    await completeWorkflowTask(task.taskToken, [{ type: 'RequestCancelActivityTask', activityId: 'a1' }]);

    expect(await ok('POST', `/workflows/${workflowId}/activities/a1/heartbeat`, { details: [json(2)] })).toEqual({ cancelRequested: true });
    expect((await byId(workflowId, 'canceled', { details: [json('stopped')] })).status).toBe(200);
    const canceled = (await history(workflowId)).find((e) => e.eventType === 'ActivityTaskCanceled');
    expect(canceled).toMatchObject({ attributes: { details: [json('stopped')], scheduledEventId: 5, identity: 'async-completer' } });
  });

  it("keeps the activity's timeouts while it waits: a missed heartbeat times it out, after which completing it is refused", async () => {
    const { workflowId } = await startWithActivity('byid-timeout', { startToCloseTimeoutMs: 60_000, heartbeatTimeoutMs: 5_000, retryPolicy: { maximumAttempts: 1 } });
    await advance(workflowId, 4_000);
    await ok('POST', `/workflows/${workflowId}/activities/a1/heartbeat`, {});
    await advance(workflowId, 4_000);
    expect((await getDescription(workflowId)).pendingActivities).toHaveLength(1);
    await advance(workflowId, 1_000);
    const timedOut = (await history(workflowId)).find((e) => e.eventType === 'ActivityTaskTimedOut');
    expect(timedOut).toMatchObject({ attributes: { failure: { timeoutFailureInfo: { timeoutType: 'HEARTBEAT' } } } });
    expectError(await byId(workflowId, 'complete', { result: json('too late') }), 'TASK_NOT_FOUND', /no pending activity 'a1'/);
  });

  it('answers an unknown workflow, run or activity, and a closed run, with errors that say so', async () => {
    const { workflowId, runId } = await startWithActivity('byid-errors');
    expectError(await byId('no-such-workflow-byid', 'complete', {}), 'WORKFLOW_NOT_FOUND');
    expectError(await byId(workflowId, 'complete', { runId: 'no-such-run' }), 'WORKFLOW_NOT_FOUND', /no run 'no-such-run'/);
    expectError(await byId(workflowId, 'heartbeat', {}, 'nope'), 'TASK_NOT_FOUND', /no pending activity 'nope'.*never scheduled/);
    expectError(await byId(workflowId, 'fail', {}), 'INVALID_ARGUMENT', /failure/);
    await ok('POST', `/workflows/${workflowId}/terminate`, { reason: 'test' });
    expectError(await byId(workflowId, 'complete', { runId }), 'TASK_NOT_FOUND', /run has closed \(TERMINATED\)/);
  });
});
