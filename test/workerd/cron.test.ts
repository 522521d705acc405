/**
 * Cron workflows: the first run waits for the schedule's first firing, each closing run starts the
 * next on the schedule under the same workflow id, and termination, cancellation and the execution
 * timeout end the cron.
 */
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../protocol/index.js';
import {
  advance,
  call,
  completeWorkflowTask,
  eventTypes,
  expectError,
  freezeClock,
  getDescription,
  history,
  json,
  ok,
  pollWorkflowTask,
  startWorkflow,
  unique,
} from './helpers.js';

const MINUTE = 60_000;
/** ms from `t` to the next whole minute after it. */
const toNextMinute = (t: number) => Math.floor(t / MINUTE) * MINUTE + MINUTE - t;
const newRunIdOf = (e: HistoryEvent | undefined) => (e?.attributes as { newExecutionRunId?: string } | undefined)?.newExecutionRunId;

async function startCron(prefix: string, extra: Record<string, unknown> = {}) {
  const workflowId = unique(prefix);
  const taskQueue = unique(`${prefix}-tq`);
  const t0 = await freezeClock(workflowId);
  const { runId } = await startWorkflow(workflowId, taskQueue, { cronSchedule: '* * * * *', ...extra });
  return { workflowId, taskQueue, runId, t0 };
}

describe('cron schedules', () => {
  it('waits for the first firing, then starts the next run on the schedule when a run completes, carrying its result', async () => {
    const { workflowId, taskQueue, runId, t0 } = await startCron('cron-basic');
    const first = toNextMinute(t0);
    const started = (await history(workflowId, runId))[0]!;
    expect(started.attributes).toMatchObject({ cronSchedule: '* * * * *', firstWorkflowTaskBackoffMs: first });
    expect(await getDescription(workflowId)).toMatchObject({ executionTime: new Date(t0 + first).toISOString(), cronSchedule: '* * * * *' });
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();

    await advance(workflowId, first);
    const task = (await pollWorkflowTask(taskQueue))!;
    await advance(workflowId, 5_000); // the run takes 5 s
    await completeWorkflowTask(task.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('one') }]);

    const close = (await history(workflowId, runId)).at(-1)!;
    expect(close).toMatchObject({ eventType: 'WorkflowExecutionCompleted', attributes: { result: json('one'), newExecutionRunId: expect.any(String) } });
    expect((await getDescription(workflowId, runId)).status).toBe('COMPLETED');
    const secondRunId = newRunIdOf(close)!;
    const second = await history(workflowId);
    expect(eventTypes(second)).toEqual(['WorkflowExecutionStarted']);
    expect(second[0]!.attributes).toMatchObject({
      cronSchedule: '* * * * *',
      initiator: 'CRON_SCHEDULE',
      attempt: 1,
      continuedExecutionRunId: runId,
      firstExecutionRunId: runId,
      lastCompletionResult: [json('one')],
      firstWorkflowTaskBackoffMs: 55_000, // from 5 s past the minute to the next minute
    });
    expect(await getDescription(workflowId)).toMatchObject({ execution: { runId: secondRunId }, status: 'RUNNING' });
    await advance(workflowId, 54_999);
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
    await advance(workflowId, 1);
    expect((await pollWorkflowTask(taskQueue))!.workflowExecution.runId).toBe(secondRunId);
  });

  it('continues after a failed run (once its retries are spent) with the failure, and keeps the last result', async () => {
    const { workflowId, taskQueue, runId, t0 } = await startCron('cron-fail');
    await advance(workflowId, toNextMinute(t0));
    await completeWorkflowTask((await pollWorkflowTask(taskQueue))!.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('ok') }]);
    const secondRunId = newRunIdOf((await history(workflowId, runId)).at(-1))!;
    await advance(workflowId, MINUTE);
    const failure = { message: 'boom', applicationFailureInfo: { type: 'Oops' } };
    await completeWorkflowTask((await pollWorkflowTask(taskQueue))!.taskToken, [{ type: 'FailWorkflowExecution', failure }]);
    const failed = (await history(workflowId, secondRunId)).at(-1)!;
    expect(failed).toMatchObject({ eventType: 'WorkflowExecutionFailed', attributes: { retryState: 'RETRY_POLICY_NOT_SET', newExecutionRunId: expect.any(String) } });
    const third = await history(workflowId, newRunIdOf(failed));
    expect(third[0]!.attributes).toMatchObject({ initiator: 'CRON_SCHEDULE', lastCompletionResult: [json('ok')], continuedFailure: failure, firstWorkflowTaskBackoffMs: MINUTE });
    expect((await getDescription(workflowId, runId)).status).toBe('COMPLETED');
  });

  it('ends the cron on termination and on cancellation', async () => {
    const a = await startCron('cron-term');
    await ok('POST', `/workflows/${a.workflowId}/terminate`, { reason: 'stop' });
    expect((await history(a.workflowId)).at(-1)).toMatchObject({ eventType: 'WorkflowExecutionTerminated' });
    expect(newRunIdOf((await history(a.workflowId)).at(-1))).toBeUndefined();
    expect((await getDescription(a.workflowId)).execution.runId).toBe(a.runId);

    const b = await startCron('cron-cancel');
    await advance(b.workflowId, toNextMinute(b.t0));
    await ok('POST', `/workflows/${b.workflowId}/cancel`, {});
    await completeWorkflowTask((await pollWorkflowTask(b.taskQueue))!.taskToken, [{ type: 'CancelWorkflowExecution' }]);
    expect((await history(b.workflowId)).at(-1)).toMatchObject({ eventType: 'WorkflowExecutionCanceled' });
    expect((await getDescription(b.workflowId)).execution.runId).toBe(b.runId);
  });

  it('continues after a run timeout, and the execution timeout bounds the whole cron', async () => {
    const { workflowId, taskQueue, runId, t0 } = await startCron('cron-timeouts', { cronSchedule: '@every 1m', workflowRunTimeoutMs: 30_000, workflowExecutionTimeoutMs: 150_000 });
    expect((await history(workflowId))[0]!.attributes).toMatchObject({ firstWorkflowTaskBackoffMs: MINUTE - (t0 % 1000) });
    await advance(workflowId, MINUTE);
    await completeWorkflowTask((await pollWorkflowTask(taskQueue))!.taskToken, []);
    await advance(workflowId, 30_000);
    const timedOut = (await history(workflowId, runId)).at(-1)!;
    expect(timedOut).toMatchObject({ eventType: 'WorkflowExecutionTimedOut', attributes: { newExecutionRunId: expect.any(String) } });
    // The second run fires at 2 min; the third would at 3 min, past the execution timeout (2.5 min).
    await advance(workflowId, 30_000);
    await completeWorkflowTask((await pollWorkflowTask(taskQueue))!.taskToken, [{ type: 'CompleteWorkflowExecution' }]);
    const last = (await history(workflowId)).at(-1)!;
    expect(last.eventType).toBe('WorkflowExecutionCompleted');
    expect(newRunIdOf(last)).toBeUndefined();
  });

  it('keeps the schedule when a cron run continues as new', async () => {
    const { workflowId, taskQueue, runId, t0 } = await startCron('cron-can');
    await advance(workflowId, toNextMinute(t0));
    await completeWorkflowTask((await pollWorkflowTask(taskQueue))!.taskToken, [
      { type: 'ContinueAsNewWorkflowExecution', workflowType: 'order', taskQueue, input: [json('y')] },
    ]);
    const next = await history(workflowId);
    expect(next[0]!.attributes).toMatchObject({ cronSchedule: '* * * * *', initiator: 'WORKFLOW', continuedExecutionRunId: runId });
    expect(next[0]!.attributes).not.toHaveProperty('firstWorkflowTaskBackoffMs');
    expect(await getDescription(workflowId)).toMatchObject({ cronSchedule: '* * * * *', status: 'RUNNING' });
  });

  it("reads a CRON_TZ schedule's clock times in its zone", async () => {
    // 09:00 in Kolkata (UTC+5:30, no clock changes) is 03:30 UTC.
    const { workflowId, t0 } = await startCron('cron-zone', { cronSchedule: 'CRON_TZ=Asia/Kolkata 0 9 * * *' });
    const day = 24 * 60 * MINUTE;
    const offset = 3.5 * 60 * MINUTE;
    const due = Math.floor((t0 - offset) / day) * day + day + offset; // the next 03:30 UTC after t0
    expect((await history(workflowId))[0]!.attributes).toMatchObject({ cronSchedule: 'CRON_TZ=Asia/Kolkata 0 9 * * *', firstWorkflowTaskBackoffMs: due - t0 });
    expectError(await call('POST', '/workflows', { workflowId: unique('cron-zone-bad'), workflowType: 'w', taskQueue: 'q', cronSchedule: 'CRON_TZ=Mars/Olympus 0 9 * * *' }), 'INVALID_ARGUMENT', /cronSchedule.*Mars\/Olympus/);
  });

  it('refuses a bad schedule at start, naming the field, and changes nothing', async () => {
    const workflowId = unique('cron-bad');
    const err = expectError(await call('POST', '/workflows', { workflowId, workflowType: 'w', taskQueue: 'q', cronSchedule: '61 * * * *' }), 'INVALID_ARGUMENT', /cronSchedule.*minute/);
    expect(err.details).toMatchObject({ field: 'cronSchedule' });
    expectError(await call('POST', '/workflows', { workflowId, workflowType: 'w', taskQueue: 'q', cronSchedule: '@hourly', startDelayMs: 1000 }), 'INVALID_ARGUMENT', /startDelay/);
    expectError(await call('POST', `/workflows/${workflowId}/signal-with-start`, { workflowType: 'w', taskQueue: 'q', cronSchedule: 'often', signalName: 's' }), 'INVALID_ARGUMENT', /cronSchedule/);
    expectError(await call('GET', `/workflows/${workflowId}`), 'WORKFLOW_NOT_FOUND');
  });

  it('signal-with-start starts a cron workflow with the signal waiting for its first task', async () => {
    const workflowId = unique('cron-sws');
    const taskQueue = unique('cron-sws-tq');
    const t0 = await freezeClock(workflowId);
    await ok('POST', `/workflows/${workflowId}/signal-with-start`, { workflowType: 'w', taskQueue, cronSchedule: '* * * * *', signalName: 'go', signalInput: [json(1)] });
    expect(eventTypes(await history(workflowId))).toEqual(['WorkflowExecutionStarted', 'WorkflowExecutionSignaled']);
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
    await advance(workflowId, toNextMinute(t0));
    expect(await pollWorkflowTask(taskQueue)).toBeDefined();
  });
});

describe('lastCompletionResult across cron and continue-as-new', () => {
  it("a cron run that continues as new hands the chain's last result to the continued run (workflowInfo().lastResult)", async () => {
    const { workflowId, taskQueue, t0 } = await startCron('cron-can-last');
    await advance(workflowId, toNextMinute(t0));
    await completeWorkflowTask((await pollWorkflowTask(taskQueue))!.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('one') }]);
    // The next run, on the schedule, has the first run's result ...
    await advance(workflowId, MINUTE);
    const second = (await pollWorkflowTask(taskQueue))!;
    expect(second.history[0]!.attributes).toMatchObject({ lastCompletionResult: [json('one')] });
    // ... and keeps handing it on when it continues as new.
    await completeWorkflowTask(second.taskToken, [{ type: 'ContinueAsNewWorkflowExecution', input: [json('again')] }]);
    const third = await history(workflowId);
    expect(third[0]!.attributes).toMatchObject({ initiator: 'WORKFLOW', lastCompletionResult: [json('one')], cronSchedule: '* * * * *' });
  });
});
