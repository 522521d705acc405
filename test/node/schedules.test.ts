// Schedules as a Temporal user writes them, against a real local service: client.schedule's
// create, describe, trigger, backfill, list, update, pause/unpause and delete, with a worker
// running the workflows the schedule starts.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleClientInterceptor, type ScheduleSummary } from 'keel/client';
import { defaultPayloadConverter } from 'keel/common';
import { keelHistory } from './fixtures/keel-history.js';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import { brokenReport, report } from './fixtures/schedule-workflows.js';
import { waitFor } from './fixtures/wait.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/schedule-workflows.ts', import.meta.url));
const taskQueue = 'schedules-e2e';
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, shutdownSignals: [] });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

describe('schedules', () => {
  it('creates a schedule, triggers and backfills it, and the workflows it starts run to completion', async () => {
    const handle = await env.client.schedule.create({
      scheduleId: 'daily-report',
      spec: { calendars: [{ hour: 9, dayOfWeek: [{ start: 'MONDAY', end: 'FRIDAY' }] }], timezone: 'Europe/Paris' },
      action: { type: 'startWorkflow', workflowType: report, workflowId: 'report', taskQueue, args: ['daily'] },
      memo: { team: 'finance' },
    });
    const described = await handle.describe();
    expect(described).toMatchObject({
      scheduleId: 'daily-report',
      action: { type: 'startWorkflow', workflowType: 'report', workflowId: 'report', taskQueue, args: ['daily'] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, pauseOnFailure: false },
      state: { paused: false },
      memo: { team: 'finance' },
      spec: { timezone: 'Europe/Paris', calendars: [{ hour: [{ start: 9, end: 9, step: 1 }], dayOfWeek: [{ start: 'MONDAY', end: 'FRIDAY', step: 1 }] }] },
    });
    expect(described.info.nextActionTimes).toHaveLength(10);
    for (const t of described.info.nextActionTimes) {
      expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', weekday: 'short' }).format(t)).toMatch(/^(Mon|Tue|Wed|Thu|Fri),? 09$/);
    }

    await handle.trigger();
    await handle.backfill({ start: new Date('2026-01-05T00:00:00Z'), end: new Date('2026-01-06T23:59:59Z'), overlap: ScheduleOverlapPolicy.ALLOW_ALL });
    const after = await handle.describe();
    expect(after.info.numActionsTaken).toBe(3);
    const [, monday, tuesday] = after.info.recentActions;
    expect(monday!.action.workflow.workflowId).toBe('report-2026-01-05T08:00:00Z');
    expect(tuesday!.scheduledAt).toEqual(new Date('2026-01-06T08:00:00Z'));
    for (const r of after.info.recentActions) {
      const result = await env.client.workflow.getHandle(r.action.workflow.workflowId, r.action.workflow.firstExecutionRunId).result();
      expect(result).toBe(`daily report by ${r.action.workflow.workflowId}`);
    }
    // The schedule learns on its next look that they closed.
    await waitFor('the schedule to see its workflows closed', async () => (await handle.describe()).info.runningActions.length === 0);
  });

  it('takes actions at their times: an interval schedule fires by its alarm', async () => {
    const handle = await env.client.schedule.create({
      scheduleId: 'every-second',
      spec: { intervals: [{ every: '1s' }] },
      action: { type: 'startWorkflow', workflowType: 'report', taskQueue, args: ['tick'] },
      policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
      state: { remainingActions: 2 },
    });
    const done = await waitFor('two actions', async () => {
      const d = await handle.describe();
      return d.info.numActionsTaken === 2 && d;
    }, 30_000);
    expect(done.state.remainingActions).toBe(0);
    expect(done.info.nextActionTimes).toEqual([]);
    expect(done.info.recentActions[0]!.action.workflow.workflowId).toMatch(/^every-second-workflow-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await handle.delete();
  });

  it('pauses on a failed workflow with pauseOnFailure, and unpauses', async () => {
    const handle = await env.client.schedule.create({
      scheduleId: 'fragile',
      spec: { cronExpressions: ['0 3 * * *'] },
      action: { type: 'startWorkflow', workflowType: brokenReport, taskQueue, retry: { maximumAttempts: 1 } },
      policies: { pauseOnFailure: true },
    });
    await handle.trigger();
    const paused = await waitFor('the schedule to pause', async () => {
      const d = await handle.describe();
      return d.state.paused && d;
    });
    expect(paused.state.note).toMatch(/failed/);
    await handle.unpause('fixed it');
    expect((await handle.describe()).state).toEqual({ paused: false, note: 'fixed it' });
  });

  it('updates with the updater function, lists, and deletes; its errors are Temporal’s', async () => {
    const handle = await env.client.schedule.create({
      scheduleId: 'weekly',
      spec: { cronExpressions: ['0 6 * * MON'] },
      action: { type: 'startWorkflow', workflowType: report, taskQueue, args: ['weekly'] },
      state: { paused: true, note: 'not yet' },
    });
    await expect(env.client.schedule.create({ scheduleId: 'weekly', spec: {}, action: { type: 'startWorkflow', workflowType: report, taskQueue } })).rejects.toBeInstanceOf(ScheduleAlreadyRunning);

    await handle.update((prev) => ({ ...prev, spec: { intervals: [{ every: '2h', offset: '30m' }] }, policies: { ...prev.policies, overlap: ScheduleOverlapPolicy.BUFFER_ONE } }));
    const updated = await handle.describe();
    expect(updated.spec.intervals).toEqual([{ every: 2 * 3_600_000, offset: 30 * 60_000 }]);
    expect(updated.policies.overlap).toBe('BUFFER_ONE');
    expect(updated.state).toMatchObject({ paused: true, note: 'not yet' });
    expect(updated.info.lastUpdatedAt).toBeInstanceOf(Date);

    const listed: ScheduleSummary[] = [];
    for await (const s of env.client.schedule.list()) listed.push(s);
    expect(listed.find((s) => s.scheduleId === 'weekly')).toMatchObject({ action: { workflowType: 'report' }, state: { paused: true, note: 'not yet' } });

    await handle.delete();
    const error = await handle.describe().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScheduleNotFoundError);
    expect((error as ScheduleNotFoundError).scheduleId).toBe('weekly');
  });

  it('runs schedule client interceptors on create; the headers they add reach every workflow the schedule starts', async () => {
    const seen: string[] = [];
    const tracing: ScheduleClientInterceptor = {
      async create(input, next) {
        seen.push(`${input.options.scheduleId}:${input.options.action.workflowType}`);
        return next({ ...input, headers: { ...input.headers, traceparent: defaultPayloadConverter.toPayload('00-abc-def-01') } });
      },
    };
    const client = new Client({ connection: env.client.connection, interceptors: { schedule: [tracing] } });
    const handle = await client.schedule.create({
      scheduleId: 'traced',
      spec: { cronExpressions: ['@daily'] },
      action: { type: 'startWorkflow', workflowType: report, taskQueue, args: ['traced'] },
    });
    expect(seen).toEqual(['traced:report']);
    await handle.trigger();
    const [action] = (await handle.describe()).info.recentActions;
    const history = await client.workflow.getHandle(action!.action.workflow.workflowId).fetchHistory().then(keelHistory);
    const header = (history.events[0]!.attributes as { header?: Record<string, never> }).header;
    expect(defaultPayloadConverter.fromPayload(header!['traceparent']!)).toBe('00-abc-def-01');
    await handle.delete();
  });
});
