// Local activities end to end: they run in the workflow's worker within the workflow task, each
// outcome is a core_local_activity marker, retries follow the policy (in place, or on a workflow
// timer past the local retry threshold), and replay reads the markers instead of running them.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { DeterminismViolationError, Worker } from 'keel/worker';
import * as activities from './fixtures/local-activities.js';
import { localCancelled, localDeadline, localFails, localFlaky, localGreet, localSlowRetry } from './fixtures/local-activity-workflows.js';
import { recordedHistory } from './fixtures/recorded-histories.js';
import { waitFor } from './fixtures/wait.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/local-activity-workflows.ts', import.meta.url));
const changedPath = fileURLToPath(new URL('./fixtures/local-activity-workflows-changed.ts', import.meta.url));
const taskQueue = 'local-activities';
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, shutdownSignals: [] });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

const markers = (events: { eventType: string; attributes: unknown }[]) =>
  events.filter((e) => e.eventType === 'MarkerRecorded').map((e) => (e.attributes as { markerName: string }).markerName);

describe('local activities', () => {
  it('run in the worker with Context info.isLocal, recorded as markers with no activity task events', async () => {
    const handle = await env.client.workflow.start(localGreet, { taskQueue, workflowId: 'la-greet', args: ['ann'] });
    expect(await handle.result()).toBe('hello ann from greet (isLocal=true); hello ann again from greet (isLocal=true)');
    const history = await handle.fetchHistory().then(keelHistory);
    expect(markers(history.events)).toEqual(['core_local_activity', 'core_local_activity']);
    expect(history.events.some((e) => e.eventType.startsWith('ActivityTask'))).toBe(false);

    // Replay reads the markers: the activity does not run again.
    const before = activities.invocations['greet'];
    for (const h of [history, recordedHistory('local-activity-greet', history)]) {
      await expect(Worker.runReplayHistory({ workflowsPath }, h, 'la-greet')).resolves.toBeUndefined();
    }
    expect(activities.invocations['greet']).toBe(before);

    // A change of the local activity's type is a determinism error that names the marker.
    const err = await Worker.runReplayHistory({ workflowsPath: changedPath }, history, 'la-greet').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeterminismViolationError);
    expect((err as Error).message).toMatch(/history recorded local activity greet \(seq 1, core_local_activity marker\) but the workflow ran flakyLocal/);
  });

  it('retries by the policy in the worker, then succeeds; one marker records the outcome', async () => {
    const handle = await env.client.workflow.start(localFlaky, { taskQueue, workflowId: 'la-flaky', args: ['k1', 2] });
    expect(await handle.result()).toBe('k1 succeeded on attempt 3');
    expect(activities.invocations['flaky:k1']).toBe(3);
    const { events } = await handle.fetchHistory().then(keelHistory);
    expect(markers(events)).toEqual(['core_local_activity']);
  });

  it('surfaces the final failure as an ActivityFailure caused by the ApplicationFailure', async () => {
    const handle = await env.client.workflow.start(localFails, { taskQueue, workflowId: 'la-fails' });
    expect(await handle.result()).toBe('Activity task failed: alwaysFails ← Unlucky: no luck');
    expect(activities.invocations['alwaysFails']).toBe(2);
    const marker = (await handle.fetchHistory().then(keelHistory)).events.find((e) => e.eventType === 'MarkerRecorded')!;
    expect(marker.attributes).toMatchObject({ markerName: 'core_local_activity', failure: { message: 'no luck' } });
  });

  it('stops retrying in place when the schedule-to-close timeout leaves no room for another attempt', async () => {
    const handle = await env.client.workflow.start(localDeadline, { taskQueue, workflowId: 'la-deadline', args: ['k3'] });
    expect(await handle.result()).toBe('gave up: Flaky');
    expect(activities.invocations['flaky:k3']).toBeGreaterThan(1);
    expect(markers((await handle.fetchHistory().then(keelHistory)).events)).toEqual(['core_local_activity']);
  });

  it('waits on a workflow timer when the back-off passes the local retry threshold, then tries again', async () => {
    const handle = await env.client.workflow.start(localSlowRetry, { taskQueue, workflowId: 'la-slow', args: ['k2'] });
    await waitFor('the back-off timer', async () => (await handle.fetchHistory().then(keelHistory)).events.some((e) => e.eventType === 'TimerStarted'));
    const { events } = await handle.fetchHistory().then(keelHistory);
    expect(events.find((e) => e.eventType === 'TimerStarted')!.attributes).toMatchObject({ startToFireTimeoutMs: 120_000 });
    await env.advanceTime('la-slow', '2 minutes');
    expect(await handle.result()).toBe('k2 succeeded on attempt 2');
    expect(markers((await handle.fetchHistory().then(keelHistory)).events)).toEqual(['core_local_activity', 'core_local_activity']);
  });

  it('is cancelled through its scope before it runs: it never runs and nothing is recorded', async () => {
    const before = activities.invocations['greet'] ?? 0;
    const handle = await env.client.workflow.start(localCancelled, { taskQueue, workflowId: 'la-cancel' });
    expect(await handle.result()).toBe('cancelled');
    expect(activities.invocations['greet'] ?? 0).toBe(before);
    expect(markers((await handle.fetchHistory().then(keelHistory)).events)).toEqual([]);
  });
});
