/**
 * Workflow executions from a client's side: start (with Temporal's id reuse and
 * conflict policies), timeouts, describe, signal, cancellation and termination. Each
 * test asserts what history and the run's stored state show afterwards.
 */
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../protocol/index.js';
import { shardCount } from '../../src/shard-polls.js';
import {
  advance,
  call,
  completeWorkflowTask,
  eventTypes,
  expectError,
  freezeClock,
  fromJson,
  history,
  json,
  ok,
  pollActivityTask,
  pollWorkflowTask,
  runState,
  settle,
  startAndCompleteFirstTask,
  startWorkflow,
  storedState,
  testEnv,
  unique,
} from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type CloseHow = 'complete' | 'fail' | 'terminate';

/** Starts a run and closes it the way `how` says; returns its run id. */
async function closedRun(wid: string, tq: string, how: CloseHow): Promise<string> {
  const { runId } = await startWorkflow(wid, tq);
  if (how === 'terminate') {
    await ok('POST', `/workflows/${wid}/terminate`, { reason: 'test' });
    return runId;
  }
  const task = (await pollWorkflowTask(tq))!;
  expect(task.workflowExecution.runId).toBe(runId);
  await completeWorkflowTask(task.taskToken, [
    how === 'complete' ? { type: 'CompleteWorkflowExecution', result: json('ok') } : { type: 'FailWorkflowExecution', failure: { message: 'it broke' } },
  ]);
  return runId;
}

const describeRun = (wid: string, runId?: string) => ok('GET', `/workflows/${wid}`, runId ? { runId } : undefined);

describe('start', () => {
  it('answers a new runId and writes WorkflowExecutionStarted followed by the first workflow task', async () => {
    const wid = unique('start');
    const tq = unique('tq');
    const res = await call('POST', '/workflows', { workflowId: wid, workflowType: 'order', taskQueue: tq, input: [json(42)], identity: 'client-1' });
    expect(res.status).toBe(200);
    // Protocol 8: with shards, the answer says how many (a client sends its next starts on their channels).
    expect(res.body).toEqual({ runId: expect.stringMatching(UUID), started: true, ...shardCount(testEnv) });
    const runId = res.body.runId as string;

    const events = await history(wid);
    expect(eventTypes(events)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);
    expect(events[0]!.attributes).toMatchObject({ workflowType: 'order', taskQueue: tq, identity: 'client-1', attempt: 1, originalExecutionRunId: runId, firstExecutionRunId: runId });
    expect(fromJson((events[0]!.attributes as { input: never[] }).input[0])).toBe(42);
    expect(events[1]!.attributes).toMatchObject({ taskQueue: tq, attempt: 1 });

    const d = await describeRun(wid);
    expect(d).toMatchObject({ execution: { workflowId: wid, runId }, workflowType: 'order', taskQueue: tq, status: 'RUNNING', historyLength: 2, firstRunId: runId });
    expect(d.pendingWorkflowTask).toMatchObject({ state: 'SCHEDULED', attempt: 1 });
    const task = (await pollWorkflowTask(tq))!;
    expect(task.workflowExecution).toEqual({ workflowId: wid, runId });
  });
});

describe('id reuse policies against a closed run', () => {
  it.each<[CloseHow]>([['complete'], ['fail'], ['terminate']])('ALLOW_DUPLICATE (the default) starts a new run after the last one ended by %s', async (how) => {
    const wid = unique('reuse-allow');
    const tq = unique('tq');
    const first = await closedRun(wid, tq, how);
    for (const policy of [undefined, 'ALLOW_DUPLICATE']) {
      const before = (await describeRun(wid)).execution.runId;
      const { runId, started } = await startWorkflow(wid, tq, policy ? { workflowIdReusePolicy: policy } : {});
      expect(started).toBe(true);
      expect(runId).not.toBe(before);
      expect((await describeRun(wid)).execution.runId).toBe(runId);
      expect(eventTypes(await history(wid, runId))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);
      await ok('POST', `/workflows/${wid}/terminate`, {});
    }
    // The first run is kept as it was.
    expect((await describeRun(wid, first)).status).toBe({ complete: 'COMPLETED', fail: 'FAILED', terminate: 'TERMINATED' }[how]);
  });

  it('ALLOW_DUPLICATE_FAILED_ONLY refuses after a completed run and changes nothing', async () => {
    const wid = unique('reuse-failed-only');
    const tq = unique('tq');
    const first = await closedRun(wid, tq, 'complete');
    const before = await storedState(wid);
    const res = await call('POST', '/workflows', { workflowId: wid, workflowType: 'order', taskQueue: tq, workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' });
    const err = expectError(res, 'WORKFLOW_ALREADY_STARTED', /ALLOW_DUPLICATE_FAILED_ONLY/);
    expect(err.details).toEqual({ workflowId: wid, runId: first, workflowType: 'order' });
    expect(await storedState(wid)).toEqual(before);
  });

  it.each<[CloseHow]>([['fail'], ['terminate']])('ALLOW_DUPLICATE_FAILED_ONLY starts a new run after the last one ended by %s', async (how) => {
    const wid = unique('reuse-failed-only-ok');
    const tq = unique('tq');
    const first = await closedRun(wid, tq, how);
    const { runId, started } = await startWorkflow(wid, tq, { workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' });
    expect(started).toBe(true);
    expect(runId).not.toBe(first);
    expect((await describeRun(wid)).status).toBe('RUNNING');
  });

  it.each<[CloseHow]>([['complete'], ['fail'], ['terminate']])('REJECT_DUPLICATE refuses another run after one ended by %s and changes nothing', async (how) => {
    const wid = unique('reuse-reject');
    const tq = unique('tq');
    const first = await closedRun(wid, tq, how);
    const before = await storedState(wid);
    const res = await call('POST', '/workflows', { workflowId: wid, workflowType: 'order', taskQueue: tq, workflowIdReusePolicy: 'REJECT_DUPLICATE' });
    const err = expectError(res, 'WORKFLOW_ALREADY_STARTED', /REJECT_DUPLICATE/);
    expect(err.details).toMatchObject({ workflowId: wid, runId: first });
    expect(await storedState(wid)).toEqual(before);
  });
});

describe('id conflict policies against a running run', () => {
  it('FAIL (the default) answers 409 WORKFLOW_ALREADY_STARTED naming the running run, and changes nothing', async () => {
    const wid = unique('conflict-fail');
    const tq = unique('tq');
    const { runId } = await startWorkflow(wid, tq);
    await settle(wid);
    const before = await storedState(wid);
    for (const extra of [{}, { workflowIdConflictPolicy: 'FAIL' }]) {
      const res = await call('POST', '/workflows', { workflowId: wid, workflowType: 'order', taskQueue: tq, ...extra });
      const err = expectError(res, 'WORKFLOW_ALREADY_STARTED', /USE_EXISTING|TERMINATE_EXISTING/);
      expect(err.details).toEqual({ workflowId: wid, runId, workflowType: 'order' });
    }
    expect(await storedState(wid)).toEqual(before);
  });

  it('USE_EXISTING answers the running run with started:false and writes nothing', async () => {
    const wid = unique('conflict-use');
    const tq = unique('tq');
    const { runId } = await startWorkflow(wid, tq);
    await settle(wid);
    const before = await storedState(wid);
    const res = await startWorkflow(wid, tq, { workflowIdConflictPolicy: 'USE_EXISTING', input: [json('other input')] });
    expect(res).toEqual({ runId, started: false, ...shardCount(testEnv) });
    expect(await storedState(wid)).toEqual(before);
  });

  it('TERMINATE_EXISTING terminates the running run and starts a new one', async () => {
    const wid = unique('conflict-terminate');
    const tq = unique('tq');
    const { runId: oldRun } = await startWorkflow(wid, tq);
    const oldTask = (await pollWorkflowTask(tq))!;
    const { runId: newRun, started } = await startWorkflow(wid, tq, { workflowIdConflictPolicy: 'TERMINATE_EXISTING', identity: 'client-2' });
    expect(started).toBe(true);
    expect(newRun).not.toBe(oldRun);

    const oldEvents = await history(wid, oldRun);
    expect(eventTypes(oldEvents)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted', 'WorkflowExecutionTerminated']);
    expect(oldEvents.at(-1)!.attributes).toMatchObject({ identity: 'client-2' });
    expect((await describeRun(wid, oldRun)).status).toBe('TERMINATED');
    expect(await describeRun(wid)).toMatchObject({ execution: { runId: newRun }, status: 'RUNNING' });

    // The old run's task is gone; the new run's first task is what the queue hands out.
    expectError(await call('POST', '/workflow-tasks/complete', { taskToken: oldTask.taskToken, commands: [] }), 'TASK_NOT_FOUND');
    const task = (await pollWorkflowTask(tq))!;
    expect(task.workflowExecution.runId).toBe(newRun);
  });

  it('the reuse policy TERMINATE_IF_RUNNING (Temporal\'s older spelling) terminates the running run and starts a new one', async () => {
    const wid = unique('terminate-if-running');
    const tq = unique('tq');
    const { runId: oldRun } = await startWorkflow(wid, tq);
    const { runId: newRun, started } = await startWorkflow(wid, tq, { workflowIdReusePolicy: 'TERMINATE_IF_RUNNING' });
    expect(started).toBe(true);
    expect((await history(wid, oldRun)).at(-1)!.eventType).toBe('WorkflowExecutionTerminated');
    expect(await describeRun(wid)).toMatchObject({ execution: { runId: newRun }, status: 'RUNNING' });
  });
});

describe('timeouts', () => {
  it('a run timeout closes the run with WorkflowExecutionTimedOut and drops its pending work', async () => {
    const wid = unique('run-timeout');
    const tq = unique('tq');
    const t0 = await freezeClock(wid);
    const { runId } = await startAndCompleteFirstTask(wid, tq, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 3_600_000 }], { workflowRunTimeoutMs: 60_000 });
    await advance(wid, 59_999);
    expect((await describeRun(wid)).status).toBe('RUNNING');
    await advance(wid, 1);
    const events = await history(wid, runId);
    // Temporal's retry state for a run timeout without a retry policy.
    expect(events.at(-1)).toMatchObject({ eventType: 'WorkflowExecutionTimedOut', attributes: { retryState: 'RETRY_POLICY_NOT_SET' } });
    const d = await describeRun(wid);
    expect(d).toMatchObject({ status: 'TIMED_OUT', workflowRunTimeoutMs: 60_000, historyLength: events.length });
    expect(d.closeTime).toBe(new Date(t0 + 60_000).toISOString());
    expect((await runState(wid, runId)).timers).toEqual({});
    // The timer that was pending never fires.
    await advance(wid, 3_600_000);
    expect(await history(wid, runId)).toEqual(events);
  });

  it('an execution timeout closes the run with WorkflowExecutionTimedOut, even with a workflow task outstanding', async () => {
    const wid = unique('exec-timeout');
    const tq = unique('tq');
    const t0 = await freezeClock(wid);
    const { runId } = await startWorkflow(wid, tq, { workflowExecutionTimeoutMs: 30_000, workflowTaskTimeoutMs: 120_000 });
    const task = (await pollWorkflowTask(tq))!;
    const started = (await history(wid))[0]!;
    expect(started.attributes).toMatchObject({ workflowExecutionTimeoutMs: 30_000, workflowExecutionExpirationTime: new Date(t0 + 30_000).toISOString() });
    await advance(wid, 29_999);
    expect((await describeRun(wid)).status).toBe('RUNNING');
    await advance(wid, 1);
    const events = await history(wid, runId);
    expect(eventTypes(events)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted', 'WorkflowExecutionTimedOut']);
    expect(events.at(-1)!.attributes).toEqual({ retryState: 'TIMEOUT' });
    expect(await describeRun(wid)).toMatchObject({ status: 'TIMED_OUT', workflowExecutionTimeoutMs: 30_000 });
    expect((await describeRun(wid)).pendingWorkflowTask).toBeUndefined();
    expectError(await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands: [] }), 'TASK_NOT_FOUND');
  });
});

describe('describe', () => {
  it('shows the memo and search attributes the run was started with', async () => {
    const wid = unique('memo');
    const tq = unique('tq');
    const memo = { note: json({ text: 'hello' }), owner: json('ana') };
    const searchAttributes = { CustomerId: 'c-17', Priority: 3, Tags: ['a', 'b'] };
    await startWorkflow(wid, tq, { memo, searchAttributes });
    const d = await describeRun(wid);
    expect(d.memo).toEqual(memo);
    expect(d.searchAttributes).toEqual(searchAttributes);
    expect((await history(wid))[0]!.attributes).toMatchObject({ memo, searchAttributes });
  });

  it('describes the run a runId names, not only the latest', async () => {
    const wid = unique('describe-run');
    const tq = unique('tq');
    const first = await closedRun(wid, tq, 'terminate');
    const { runId: second } = await startWorkflow(wid, tq);
    expect(await describeRun(wid, first)).toMatchObject({ execution: { workflowId: wid, runId: first }, status: 'TERMINATED', historyLength: 3 });
    expect(await describeRun(wid, second)).toMatchObject({ execution: { workflowId: wid, runId: second }, status: 'RUNNING', historyLength: 2 });
    expect(await describeRun(wid)).toMatchObject({ execution: { runId: second } });
  });
});

describe('signal', () => {
  it('writes WorkflowExecutionSignaled with name, input and identity, and a workflow task follows', async () => {
    const wid = unique('signal');
    const tq = unique('tq');
    const { runId } = await startAndCompleteFirstTask(wid, tq);
    const before = (await history(wid)).length;
    await ok('POST', `/workflows/${wid}/signal`, { signalName: 'approve', input: [json(true), json('by ana')], identity: 'cli@laptop' });
    const events = (await history(wid)).slice(before);
    expect(eventTypes(events)).toEqual(['WorkflowExecutionSignaled', 'WorkflowTaskScheduled']);
    expect(events[0]!.attributes).toEqual({ signalName: 'approve', input: [json(true), json('by ana')], identity: 'cli@laptop' });

    const task = (await pollWorkflowTask(tq))!;
    expect(task.workflowExecution.runId).toBe(runId);
    expect(eventTypes(task.history).slice(-3)).toEqual(['WorkflowExecutionSignaled', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
  });

  it('a signal that arrives while a workflow task runs is written after that task completes, then a new task follows', async () => {
    const wid = unique('signal-buffered');
    const tq = unique('tq');
    await startWorkflow(wid, tq);
    const task = (await pollWorkflowTask(tq))!;
    await ok('POST', `/workflows/${wid}/signal`, { signalName: 'late' });
    expect(eventTypes(await history(wid))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
    await completeWorkflowTask(task.taskToken, []);
    expect(eventTypes(await history(wid)).slice(3)).toEqual(['WorkflowTaskCompleted', 'WorkflowExecutionSignaled', 'WorkflowTaskScheduled']);
    expect((await pollWorkflowTask(tq))!.history.at(-3)!.eventType).toBe('WorkflowExecutionSignaled');
  });
});

describe('cancellation request', () => {
  it('writes WorkflowExecutionCancelRequested once, however often it is asked, and a workflow task follows', async () => {
    const wid = unique('cancel');
    const tq = unique('tq');
    await startAndCompleteFirstTask(wid, tq);
    const before = (await history(wid)).length;
    await ok('POST', `/workflows/${wid}/cancel`, { reason: 'customer asked', identity: 'ops' });
    const afterFirst = await storedState(wid);
    await ok('POST', `/workflows/${wid}/cancel`, { reason: 'asked again', identity: 'ops' });
    const events = (await history(wid)).slice(before);
    expect(eventTypes(events)).toEqual(['WorkflowExecutionCancelRequested', 'WorkflowTaskScheduled']);
    expect(events[0]!.attributes).toEqual({ cause: 'customer asked', identity: 'ops' });
    expect((await storedState(wid)).events).toEqual(afterFirst.events);

    // The workflow sees the request and cancels itself.
    const task = (await pollWorkflowTask(tq))!;
    expect(task.history.some((e) => e.eventType === 'WorkflowExecutionCancelRequested')).toBe(true);
    await completeWorkflowTask(task.taskToken, [{ type: 'CancelWorkflowExecution' }]);
    expect((await describeRun(wid)).status).toBe('CANCELED');
  });
});

describe('terminate', () => {
  it('writes WorkflowExecutionTerminated with the reason, drops the pending workflow task, activities and timers, and refuses the old task later', async () => {
    const wid = unique('terminate');
    const tq = unique('tq');
    const { runId } = await startAndCompleteFirstTask(wid, tq, [
      { type: 'ScheduleActivityTask', activityId: 'a1', activityType: 'charge', startToCloseTimeoutMs: 60_000 },
      { type: 'ScheduleActivityTask', activityId: 'a2', activityType: 'ship', startToCloseTimeoutMs: 60_000 },
      { type: 'StartTimer', timerId: 't1', startToFireTimeoutMs: 60_000 },
    ]);
    const activity = (await pollActivityTask(tq))!;
    await ok('POST', `/workflows/${wid}/signal`, { signalName: 'poke' });
    const task = (await pollWorkflowTask(tq))!;
    expect((await describeRun(wid)).pendingActivities).toHaveLength(2);

    await ok('POST', `/workflows/${wid}/terminate`, { reason: 'stuck order', details: [json({ ticket: 7 })], identity: 'ops' });
    const events = await history(wid, runId);
    expect(events.at(-1)).toMatchObject({ eventType: 'WorkflowExecutionTerminated', attributes: { reason: 'stuck order', details: [json({ ticket: 7 })], identity: 'ops' } });
    const d = await describeRun(wid);
    expect(d.status).toBe('TERMINATED');
    expect(d.pendingActivities).toEqual([]);
    expect(d.pendingWorkflowTask).toBeUndefined();
    expect(await runState(wid, runId)).toMatchObject({ activities: {}, timers: {}, buffered: [] });

    // Late answers from workers are refused and change nothing.
    const state = await storedState(wid);
    expectError(await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands: [{ type: 'CompleteWorkflowExecution' }] }), 'TASK_NOT_FOUND');
    expectError(await call('POST', '/activity-tasks/complete', { taskToken: activity.taskToken, result: json('late') }), 'TASK_NOT_FOUND');
    expectError(await call('POST', '/activity-tasks/heartbeat', { taskToken: activity.taskToken }), 'TASK_NOT_FOUND');
    // The second activity, still in the backlog, is never handed out; the timer never fires.
    expect(await pollActivityTask(tq, 50)).toBeUndefined();
    await advance(wid, 120_000);
    expect(await storedState(wid)).toMatchObject({ events: state.events, runs: state.runs });
    expect(await history(wid, runId)).toEqual(events satisfies HistoryEvent[]);
  });
});
