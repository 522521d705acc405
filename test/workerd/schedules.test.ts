// Schedules (src/schedule-object.ts) through the HTTP API, with the schedule object's clock moved
// forward and its alarm run instead of waiting for time.
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { ScheduleObject } from '../../src/schedule-object.js';
import { scheduleStub } from '../../src/stubs.js';
import { NS, call, completeWorkflowTask, json, ok, pollWorkflowTask, testEnv, unique } from './helpers.js';

const HOUR = 3_600_000;
const stub = (id: string) => scheduleStub(testEnv, NS, id);

/** Moves the schedule's clock forward and runs its alarm, as if that much time had passed. */
async function advanceSchedule(id: string, ms: number): Promise<void> {
  await runInDurableObject(stub(id), (o: ScheduleObject) => o.clock.advance(ms));
  await runDurableObjectAlarm(stub(id));
}

function create(id: string, taskQueue: string, extra: { policies?: object; state?: object; spec?: object; initialPatch?: object } = {}) {
  return ok('POST', '/schedules', {
    scheduleId: id,
    schedule: {
      spec: extra.spec ?? { intervals: [{ everyMs: HOUR }] },
      action: { startWorkflow: { workflowId: `${id}-wf`, workflowType: 'report', taskQueue, input: [json('daily')] } },
      ...(extra.policies ? { policies: extra.policies } : {}),
      ...(extra.state ? { state: extra.state } : {}),
    },
    memo: { owner: json('ops') },
    ...(extra.initialPatch ? { initialPatch: extra.initialPatch } : {}),
  });
}

const describeSchedule = (id: string) => ok('GET', `/schedules/${id}`);
const terminate = (workflowId: string) => ok('POST', `/workflows/${encodeURIComponent(workflowId)}/terminate`, { reason: 'test' });
const statusOf = async (workflowId: string) => (await ok('GET', `/workflows/${encodeURIComponent(workflowId)}`)).status;

describe('schedules', () => {
  it('starts the action at each due time, as <workflow id>-<time>, and describes recent and upcoming actions', async () => {
    const id = unique('sched');
    await create(id, unique('q'));
    const before = await describeSchedule(id);
    expect(before.info.futureActionTimes).toHaveLength(10);
    expect(before.info.recentActions).toEqual([]);
    expect(before.memo).toEqual({ owner: json('ops') });

    await advanceSchedule(id, HOUR);
    const after = await describeSchedule(id);
    expect(after.info.actionCount).toBe(1);
    const [action] = after.info.recentActions;
    expect(action.scheduleTime).toBe(before.info.futureActionTimes[0]);
    expect(action.startWorkflowResult.workflowId).toBe(`${id}-wf-${before.info.futureActionTimes[0].replace('.000Z', 'Z')}`);
    expect(after.info.runningWorkflows).toEqual([action.startWorkflowResult]);
    const wf = await ok('GET', `/workflows/${encodeURIComponent(action.startWorkflowResult.workflowId)}`);
    expect(wf).toMatchObject({ workflowType: 'report', status: 'RUNNING', searchAttributes: expect.objectContaining({ TemporalScheduledById: id }) });
  });

  it('SKIP (the default) drops an action while the last workflow runs, and starts again once it closed', async () => {
    const id = unique('sched');
    await create(id, unique('q'));
    await advanceSchedule(id, HOUR);
    await advanceSchedule(id, HOUR);
    let d = await describeSchedule(id);
    expect(d.info).toMatchObject({ actionCount: 1, overlapSkipped: 1 });
    await terminate(d.info.runningWorkflows[0].workflowId);
    await advanceSchedule(id, HOUR);
    d = await describeSchedule(id);
    expect(d.info).toMatchObject({ actionCount: 2, overlapSkipped: 1 });
    expect(d.info.recentActions[0].startWorkflowStatus).toBe('TERMINATED');
  });

  it('BUFFER_ONE starts one waiting action when the running workflow closes, and drops the rest', async () => {
    const id = unique('sched');
    await create(id, unique('q'), { policies: { overlapPolicy: 'BUFFER_ONE' } });
    await advanceSchedule(id, HOUR);
    await advanceSchedule(id, HOUR);
    await advanceSchedule(id, HOUR);
    let d = await describeSchedule(id);
    expect(d.info).toMatchObject({ actionCount: 1, bufferSize: 1, overlapSkipped: 1 });
    await terminate(d.info.runningWorkflows[0].workflowId);
    // The schedule watches the running workflow while a start waits on it.
    await runDurableObjectAlarm(stub(id));
    d = await describeSchedule(id);
    expect(d.info).toMatchObject({ actionCount: 2, bufferSize: 0 });
  });

  it('TERMINATE_OTHER ends the running workflow and starts the new one at once; CANCEL_OTHER asks it to cancel', async () => {
    const id = unique('sched');
    await create(id, unique('q'), { policies: { overlapPolicy: 'TERMINATE_OTHER' } });
    await advanceSchedule(id, HOUR);
    const first = (await describeSchedule(id)).info.runningWorkflows[0].workflowId;
    await advanceSchedule(id, HOUR);
    const d = await describeSchedule(id);
    expect(await statusOf(first)).toBe('TERMINATED');
    expect(d.info.actionCount).toBe(2);
    expect(d.info.runningWorkflows).toHaveLength(1);

    const c = unique('sched');
    await create(c, unique('q'), { policies: { overlapPolicy: 'CANCEL_OTHER' } });
    await advanceSchedule(c, HOUR);
    const running = (await describeSchedule(c)).info.runningWorkflows[0].workflowId;
    await advanceSchedule(c, HOUR);
    const events = (await ok('GET', `/workflows/${encodeURIComponent(running)}/history`)).events.map((e: { eventType: string }) => e.eventType);
    expect(events).toContain('WorkflowExecutionCancelRequested');
    expect((await describeSchedule(c)).info).toMatchObject({ actionCount: 1, bufferSize: 1 });
  });

  it('takes a spec whose first action is past the latest alarm workerd allows', async () => {
    const id = unique('sched');
    await create(id, unique('q'), { spec: { intervals: [{ everyMs: HOUR }], startTime: '2500-01-01T00:00:00Z' } });
    expect((await describeSchedule(id)).info.futureActionTimes[0]).toBe('2500-01-01T00:00:00.000Z');
    await runDurableObjectAlarm(stub(id));
    expect((await describeSchedule(id)).info.actionCount).toBe(0);
  });

  it('ALLOW_ALL starts each action whatever runs', async () => {
    const id = unique('sched');
    await create(id, unique('q'), { policies: { overlapPolicy: 'ALLOW_ALL' } });
    await advanceSchedule(id, HOUR);
    await advanceSchedule(id, HOUR);
    expect((await describeSchedule(id)).info).toMatchObject({ actionCount: 2, overlapSkipped: 0 });
  });

  it('counts actions missed by more than the catch-up window, and takes the recent ones', async () => {
    const id = unique('sched');
    await create(id, unique('q'), { policies: { overlapPolicy: 'ALLOW_ALL', catchupWindowMs: 90 * 60_000 } });
    await advanceSchedule(id, 5 * HOUR);
    const d = await describeSchedule(id);
    expect(d.info.missedCatchupWindow + d.info.actionCount).toBe(5);
    expect(d.info.actionCount).toBeGreaterThanOrEqual(1);
    expect(d.info.actionCount).toBeLessThanOrEqual(2);
  });

  it('pauses on a failed workflow when pauseOnFailure is set', async () => {
    const id = unique('sched');
    const taskQueue = unique('q');
    await create(id, taskQueue, { policies: { pauseOnFailure: true } });
    await advanceSchedule(id, HOUR);
    const task = await pollWorkflowTask(taskQueue);
    await completeWorkflowTask(task!.taskToken, [{ type: 'FailWorkflowExecution', failure: { message: 'broke' } }]);
    await runDurableObjectAlarm(stub(id));
    const d = await describeSchedule(id);
    expect(d.schedule.state).toMatchObject({ paused: true, note: expect.stringContaining('failed') });
    expect(d.info.futureActionTimes).toEqual([]);
    await advanceSchedule(id, HOUR);
    expect((await describeSchedule(id)).info.actionCount).toBe(1);
  });

  it('takes at most remainingActions scheduled actions', async () => {
    const id = unique('sched');
    await create(id, unique('q'), { policies: { overlapPolicy: 'ALLOW_ALL' }, state: { limitedActions: true, remainingActions: 2 } });
    expect((await describeSchedule(id)).info.futureActionTimes).toHaveLength(2);
    for (let i = 0; i < 3; i++) await advanceSchedule(id, HOUR);
    const d = await describeSchedule(id);
    expect(d.info.actionCount).toBe(2);
    expect(d.schedule.state.remainingActions).toBe(0);
  });

  it('triggers now and backfills a range, even while paused; pause and unpause keep a note', async () => {
    const id = unique('sched');
    await create(id, unique('q'), { policies: { overlapPolicy: 'ALLOW_ALL' } });
    await ok('POST', `/schedules/${id}/patch`, { pause: 'maintenance' });
    let d = await describeSchedule(id);
    expect(d.schedule.state).toMatchObject({ paused: true, note: 'maintenance' });
    await ok('POST', `/schedules/${id}/patch`, { triggerImmediately: {}, requestId: 'trigger-1' });
    // A retry of the same request (its answer lost) triggers nothing more.
    await ok('POST', `/schedules/${id}/patch`, { triggerImmediately: {}, requestId: 'trigger-1' });
    await ok('POST', `/schedules/${id}/patch`, { backfill: [{ startTime: '2026-01-01T00:00:00Z', endTime: '2026-01-01T03:00:00Z' }] });
    d = await describeSchedule(id);
    expect(d.info.actionCount).toBe(5);
    expect(d.info.recentActions.slice(1).map((a: { scheduleTime: string }) => a.scheduleTime)).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z', '2026-01-01T02:00:00.000Z', '2026-01-01T03:00:00.000Z']);
    expect(d.info.recentActions[1].startWorkflowResult.workflowId).toBe(`${id}-wf-2026-01-01T00:00:00Z`);
    await ok('POST', `/schedules/${id}/patch`, { unpause: '' });
    expect((await describeSchedule(id)).schedule.state).toMatchObject({ paused: false, note: 'Unpaused' });
  });

  it('updates with a conflict token, refuses a stale one, and refuses a bad spec', async () => {
    const id = unique('sched');
    const taskQueue = unique('q');
    await create(id, taskQueue);
    const d = await describeSchedule(id);
    const schedule = { ...d.schedule, spec: { cronStrings: ['0 12 * * *'], timezone: 'Europe/Paris' } };
    await ok('POST', `/schedules/${id}/update`, { schedule, conflictToken: d.conflictToken });
    const after = await describeSchedule(id);
    expect(after.schedule.spec.cronStrings).toEqual(['0 12 * * *']);
    expect(after.info.futureActionTimes.every((t: string) => /T1[01]:00:00/.test(t))).toBe(true);
    const stale = await call('POST', `/schedules/${id}/update`, { schedule, conflictToken: d.conflictToken });
    expect(stale.body.error.code).toBe('SCHEDULE_CONFLICT');
    const bad = await call('POST', `/schedules/${id}/update`, { schedule: { ...schedule, spec: { cronStrings: ['0 25 * * *'] } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/hour/);
    const badAttributes = await call('POST', `/schedules/${id}/update`, {
      schedule: { ...schedule, action: { startWorkflow: { ...schedule.action.startWorkflow, searchAttributes: { WorkflowId: 'taken' } } } },
    });
    expect(badAttributes.body.error.code).toBe('INVALID_ARGUMENT');
    expect((await describeSchedule(id)).schedule.spec.cronStrings).toEqual(['0 12 * * *']);
  });

  it('refuses a second schedule with the same id, answers SCHEDULE_NOT_FOUND once deleted, and lists through visibility', async () => {
    const id = unique('sched');
    await create(id, unique('q'));
    const again = await call('POST', '/schedules', { scheduleId: id, schedule: { spec: {}, action: { startWorkflow: { workflowId: 'x', workflowType: 't', taskQueue: 'q' } } } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('SCHEDULE_ALREADY_RUNNING');
    const listed = await ok('GET', '/schedules', { pageSize: 1000 });
    expect(listed.schedules.find((s: { scheduleId: string }) => s.scheduleId === id)).toMatchObject({ info: { workflowType: 'report', paused: false } });
    await ok('POST', `/schedules/${id}/delete`, {});
    const gone = await call('GET', `/schedules/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('SCHEDULE_NOT_FOUND');
    const after = await ok('GET', '/schedules', { pageSize: 1000 });
    expect(after.schedules.find((s: { scheduleId: string }) => s.scheduleId === id)).toBeUndefined();
  });
});
