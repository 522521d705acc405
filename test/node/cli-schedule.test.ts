// `keel schedule …` as a user runs it (the built CLI as a child process) against a local service,
// with Temporal CLI's flags.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { keel } from './fixtures/keel-cli.js';

let env: TestWorkflowEnvironment;
const address = () => ({ KEEL_ADDRESS: env.address });

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('keel schedule', () => {
  it('creates, describes, lists, toggles, triggers, backfills, updates and deletes a schedule', async () => {
    const created = await keel(
      ['schedule', 'create', '--schedule-id', 'cli-sched', '--calendar', '{"dayOfWeek":"Mon-Fri","hour":"9","minute":"30"}', '--time-zone', 'Europe/Paris',
        '--type', 'report', '--task-queue', 'cli-sched', '--workflow-id', 'cli-report', '--input', '"daily"', '--overlap-policy', 'AllowAll', '--notes', 'made by the CLI'],
      address(),
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);

    const described = JSON.parse((await keel(['schedule', 'describe', '--schedule-id', 'cli-sched', '-o', 'json'], address())).stdout);
    expect(described).toMatchObject({
      spec: { cronExpressions: ['0 30 9 * * Mon-Fri *'], timezone: 'Europe/Paris' },
      action: { workflowType: 'report', workflowId: 'cli-report', args: ['daily'] },
      policies: { overlap: 'ALLOW_ALL' },
      state: { paused: false, note: 'made by the CLI' },
    });
    expect(described.info.nextActionTimes).toHaveLength(10);

    expect((await keel(['schedule', 'toggle', '--schedule-id', 'cli-sched', '--pause', '--reason', 'holiday'], address())).code).toBe(0);
    expect((await keel(['schedule', 'trigger', '--schedule-id', 'cli-sched'], address())).code).toBe(0);
    const backfill = await keel(['schedule', 'backfill', '--schedule-id', 'cli-sched', '--start-time', '2026-01-05T00:00:00Z', '--end-time', '2026-01-06T23:00:00Z'], address());
    expect(backfill.stderr).toBe('');

    const text = (await keel(['schedule', 'describe', '--schedule-id', 'cli-sched'], address())).stdout;
    expect(text).toMatch(/Paused\s+true/);
    expect(text).toMatch(/Notes\s+holiday/);
    expect(text).toMatch(/ActionsTaken\s+3/);
    expect(text).toContain('cli-report-2026-01-05T08:30:00Z');

    const listed = await keel(['schedule', 'list'], address());
    expect(listed.stdout).toMatch(/cli-sched\s+report\s+true\s+holiday/);

    const updated = await keel(['schedule', 'update', '--schedule-id', 'cli-sched', '--interval', '1d/6h', '--type', 'report', '--task-queue', 'cli-sched'], address());
    expect(updated.stderr).toBe('');
    const after = JSON.parse((await keel(['schedule', 'describe', '--schedule-id', 'cli-sched', '-o', 'json'], address())).stdout);
    expect(after.spec.intervals).toEqual([{ every: 86_400_000, offset: 6 * 3_600_000 }]);
    expect(after.info.nextActionTimes[0]).toMatch(/T06:00:00\.000Z$/);

    expect((await keel(['schedule', 'delete', '--schedule-id', 'cli-sched'], address())).code).toBe(0);
    const gone = await keel(['schedule', 'describe', '--schedule-id', 'cli-sched'], address());
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/No schedule with this id/);
  });

  it('refuses a schedule without times, and an unknown overlap policy, with one line', async () => {
    const none = await keel(['schedule', 'create', '--schedule-id', 'x', '--type', 'report', '--task-queue', 'q'], address());
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/--interval, --calendar or --cron/);
    const bad = await keel(['schedule', 'create', '--schedule-id', 'x', '--interval', '1h', '--overlap-policy', 'Sometimes', '--type', 'report', '--task-queue', 'q'], address());
    expect(bad.stderr).toMatch(/--overlap-policy 'Sometimes' is not one of Skip, BufferOne/);
  });
});
