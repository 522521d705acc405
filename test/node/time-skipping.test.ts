// TestWorkflowEnvironment.advanceTime: a workflow's clock moves forward and what came due fires
// at once; the move survives a restart of the service; and only local test services allow it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, Connection, KeelServiceError } from 'keel/client';
import { TestWorkflowEnvironment, startLocalService } from 'keel/testing';
import { NativeConnection, Worker } from 'keel/worker';
import * as activities from './fixtures/activities.js';
import { sleeper } from './fixtures/cli-workflows.js';
import { onSamePort } from './fixtures/ports.js';
import { waitFor } from './fixtures/wait.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/cli-workflows.ts', import.meta.url));
const DAY = 86_400_000;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function timerStarted(client: Client, workflowId: string) {
  await waitFor(`${workflowId} to start its timer`, async () => (await client.workflow.getHandle(workflowId).fetchHistory().then(keelHistory)).events.some((e) => e.eventType === 'TimerStarted'));
}

describe('advanceTime', () => {
  it('fires a 10-day timer at once, and the workflow sees the moved time', async () => {
    const env = await TestWorkflowEnvironment.createLocal();
    cleanups.push(() => env.teardown());
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'skip', workflowsPath, activities, shutdownSignals: [] });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(sleeper, { taskQueue: 'skip', workflowId: 'skip-1', args: [10 * DAY] });
      await timerStarted(env.client, 'skip-1');
      const before = Date.now();
      const now = await env.advanceTime('skip-1', '10 days');
      expect(now.getTime() - before).toBeGreaterThanOrEqual(10 * DAY);
      expect(await handle.result()).toBe(`woke after ${10 * DAY} ms`);
      const { events } = await handle.fetchHistory().then(keelHistory);
      const fired = events.find((e) => e.eventType === 'TimerFired')!;
      expect(Date.parse(fired.eventTime) - before).toBeGreaterThanOrEqual(10 * DAY);
    });
    await expect(env.advanceTime('no-such-workflow', '1 day')).rejects.toMatchObject({ code: 'WORKFLOW_NOT_FOUND' });
  });

  it('keeps a moved clock across a restart of the service', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'keel-skip-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    let env = await TestWorkflowEnvironment.createLocal({ server: { dataDir } });
    const port = Number(env.address.split(':').pop());
    cleanups.push(() => env.teardown());
    // The worker has a connection of its own: it keeps polling through the restart.
    const worker = await Worker.create({ connection: await NativeConnection.connect({ address: env.address }), taskQueue: 'skip-restart', workflowsPath, activities, shutdownSignals: [] });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });
    await env.client.workflow.start(sleeper, { taskQueue: 'skip-restart', workflowId: 'skip-2', args: [10 * DAY] });
    await timerStarted(env.client, 'skip-2');
    await env.advanceTime('skip-2', '5 days');

    await env.teardown();
    env = await onSamePort(() => TestWorkflowEnvironment.createLocal({ server: { dataDir, port } }));
    // Five more days make ten only if the first five were kept.
    await env.advanceTime('skip-2', '5 days');
    expect(await env.client.workflow.result('skip-2')).toBe(`woke after ${10 * DAY} ms`);
  });

  it('is refused by a service that runs on real time', async () => {
    const service = await startLocalService();
    cleanups.push(() => service.stop());
    const connection = await Connection.connect({ address: service.address });
    const err = await connection.call('advanceWorkflowTime', { byMs: DAY }, { namespace: 'default', params: { workflowId: 'w' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeelServiceError);
    expect(err).toMatchObject({ code: 'FEATURE_DISABLED', status: 403 });
  });
});

describe('createTimeSkipping', () => {
  it('skips a 30-day sleep while the test awaits the result, as Temporal\'s time-skipping environment', async () => {
    const env = await TestWorkflowEnvironment.createTimeSkipping();
    cleanups.push(() => env.teardown());
    expect(env.supportsTimeSkipping).toBe(true);
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'auto-skip', workflowsPath, activities, shutdownSignals: [] });
    const started = Date.now();
    // Without skipping this would wait 30 days (and the test time out).
    expect(await worker.runUntil(env.client.workflow.execute(sleeper, { taskQueue: 'auto-skip', workflowId: 'auto-skip-1', args: [30 * DAY] }))).toBe(`woke after ${30 * DAY} ms`);
    const { events } = await env.client.workflow.getHandle('auto-skip-1').fetchHistory().then(keelHistory);
    const fired = events.find((e) => e.eventType === 'TimerFired')!;
    expect(Date.parse(fired.eventTime) - started).toBeGreaterThanOrEqual(30 * DAY);
  });

  it('env.sleep moves running workflows forward; currentTimeMs counts what was skipped', async () => {
    const env = await TestWorkflowEnvironment.createTimeSkipping();
    cleanups.push(() => env.teardown());
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'env-sleep', workflowsPath, activities, shutdownSignals: [] });
    await worker.runUntil(async () => {
      const before = await env.currentTimeMs();
      const handle = await env.client.workflow.start(sleeper, { taskQueue: 'env-sleep', workflowId: 'env-sleep-1', args: [2 * DAY] });
      await timerStarted(env.client, 'env-sleep-1');
      await waitFor('env-sleep-1 to be listed as running', async () => (await env.client.workflow.count("WorkflowId = 'env-sleep-1' AND ExecutionStatus = 'Running'")).count === 1);
      // Not awaited, the workflow's time stands still; env.sleep moves it past its timer.
      await env.sleep('2 days');
      expect(await env.currentTimeMs()).toBeGreaterThanOrEqual(before + 2 * DAY);
      const { events } = await handle.fetchHistory().then(keelHistory);
      expect(events.some((e) => e.eventType === 'TimerFired')).toBe(true);
      expect(await handle.result()).toBe(`woke after ${2 * DAY} ms`);
    });
  });
});
