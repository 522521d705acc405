// Cron workflows and the workflow retry on run timeout, end to end against the local service
// with time skipping: runs start on the schedule under one workflow id, each sees the last result
// (and failure), and a timed-out run is retried by its policy.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeelServiceError } from 'keel/client';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import { cronTick, slowFirstAttempt, type TickReport } from './fixtures/cron-workflows.js';
import { recordedHistory } from './fixtures/recorded-histories.js';
import { waitFor } from './fixtures/wait.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/cron-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

/** The run of `workflowId` after `runId`, once `runId` has closed and named it. */
async function nextRunOf(workflowId: string, runId: string): Promise<string> {
  return waitFor(`run ${runId} of ${workflowId} to close with a next run`, async () => {
    const close = (await env.client.workflow.getHandle(workflowId, runId).fetchHistory().then(keelHistory)).events.at(-1)!;
    return (close.attributes as { newExecutionRunId?: string }).newExecutionRunId;
  });
}

describe('cron schedules', () => {
  it('starts runs on the schedule under one workflow id; each sees the last result and failure', async () => {
    const taskQueue = 'cron-e2e';
    const workflowId = 'cron-every-hour';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, shutdownSignals: [] });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(cronTick, { taskQueue, workflowId, args: [2], cronSchedule: '@every 1h' });
      expect((await handle.describe()).raw).toMatchObject({ cronSchedule: '@every 1h', status: 'RUNNING' });
      const first = handle.firstExecutionRunId;

      await env.advanceTime(workflowId, '1 hour');
      // Without followRuns, a completed cron run answers its own result (Temporal's client).
      const firstResult = (await env.client.workflow.getHandle(workflowId, first, { followRuns: false }).result()) as TickReport;
      expect(firstResult).toMatchObject({ tick: 1, cronSchedule: '@every 1h' });
      expect(firstResult.waitedMs).toBeGreaterThan(3_599_000);
      const second = await nextRunOf(workflowId, first);

      await env.advanceTime(workflowId, '1 hour');
      const third = await nextRunOf(workflowId, second);
      const secondClose = (await env.client.workflow.getHandle(workflowId, second).fetchHistory().then(keelHistory)).events.at(-1)!;
      expect(secondClose).toMatchObject({ eventType: 'WorkflowExecutionFailed', attributes: { retryState: 'RETRY_POLICY_NOT_SET' } });

      await env.advanceTime(workflowId, '1 hour');
      const thirdResult = await env.client.workflow.getHandle(workflowId, third, { followRuns: false }).result();
      expect(thirdResult).toEqual({ tick: 3, cronSchedule: '@every 1h', waitedMs: expect.any(Number), lastFailure: 'tick 2 failed' });
      const thirdHistory = await env.client.workflow.getHandle(workflowId, third).fetchHistory().then(keelHistory);
      expect(thirdHistory.events[0]).toMatchObject({ attributes: { initiator: 'CRON_SCHEDULE', firstExecutionRunId: first, continuedExecutionRunId: second } });
      for (const h of [thirdHistory, recordedHistory('cron-third-run', thirdHistory)]) {
        await expect(Worker.runReplayHistory({ workflowsPath }, h, workflowId)).resolves.toBeUndefined();
      }

      // Termination ends the cron: the current run is the last.
      await handle.terminate('enough');
      const current = await env.client.workflow.getHandle(workflowId).describe();
      expect(current.status.name).toBe('TERMINATED');
      expect((await env.client.workflow.getHandle(workflowId).fetchHistory().then(keelHistory)).events.at(-1)!.attributes).not.toHaveProperty('newExecutionRunId');
    });
  });

  it('refuses a bad schedule at start, naming the field', async () => {
    const err = await env.client.workflow.start(cronTick, { taskQueue: 'cron-e2e', workflowId: 'cron-bad', args: [0], cronSchedule: '* * * *' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeelServiceError);
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^cronSchedule: .*it takes 5/) });
  });
});

describe('workflow retry on run timeout', () => {
  it('retries a run that times out as a new attempt; result() follows it', async () => {
    const taskQueue = 'run-timeout-retry';
    const workflowId = 'slow-first-attempt';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, shutdownSignals: [] });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(slowFirstAttempt, { taskQueue, workflowId, workflowRunTimeout: '1 minute', retry: { initialInterval: '10ms', maximumAttempts: 2 } });
      await waitFor('the first attempt to sleep', async () => (await handle.fetchHistory().then(keelHistory)).events.some((e) => e.eventType === 'TimerStarted'));
      await env.advanceTime(workflowId, '1 minute');
      expect(await handle.result()).toBe("done on attempt 2 after 'workflow timeout'");
      const first = await env.client.workflow.getHandle(workflowId, handle.firstExecutionRunId).fetchHistory().then(keelHistory);
      expect(first.events.at(-1)).toMatchObject({ eventType: 'WorkflowExecutionTimedOut', attributes: { retryState: 'IN_PROGRESS', newExecutionRunId: expect.any(String) } });
      for (const h of [first, recordedHistory('run-timeout-first-attempt', first)]) {
        await expect(Worker.runReplayHistory({ workflowsPath }, h, workflowId)).resolves.toBeUndefined();
      }
    });
  });
});
