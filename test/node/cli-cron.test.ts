// `keel workflow start --cron` as a user runs it (the built CLI as a child process) against a local
// service: the schedule reaches the service, describe shows it, and a bad one fails with one line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { keel } from './fixtures/keel-cli.js';
import { keelHistory } from './fixtures/keel-history.js';

let env: TestWorkflowEnvironment;
const address = () => ({ KEEL_ADDRESS: env.address });

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('keel workflow start --cron', () => {
  it('starts a cron workflow that describe shows with its schedule', async () => {
    const started = await keel(['workflow', 'start', '--type', 'report', '-t', 'cli-cron', '-w', 'cli-cron-1', '--cron', '0 6 * * MON-FRI'], address());
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    const text = await keel(['workflow', 'describe', '-w', 'cli-cron-1'], address());
    expect(text.stdout).toMatch(/CronSchedule\s+0 6 \* \* MON-FRI/);
    const doc = JSON.parse((await keel(['workflow', 'describe', '-w', 'cli-cron-1', '-o', 'json'], address())).stdout) as { cronSchedule: string; status: string };
    expect(doc).toMatchObject({ cronSchedule: '0 6 * * MON-FRI', status: 'RUNNING' });
    // The first run waits for the schedule's first firing.
    expect((await env.client.workflow.getHandle('cli-cron-1').fetchHistory().then(keelHistory)).events[0]!.attributes).toMatchObject({ firstWorkflowTaskBackoffMs: expect.any(Number) });
  });

  it('fails with one line naming the field when the schedule is malformed', async () => {
    const bad = await keel(['workflow', 'start', '--type', 'report', '-t', 'cli-cron', '-w', 'cli-cron-2', '--cron', '0 25 * * *'], address());
    expect(bad.code).toBe(1);
    expect(bad.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(bad.stderr).toMatch(/cronSchedule: .*hour '25' has 25, outside 0–23/);
  });
});
