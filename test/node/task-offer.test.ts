// A start from a client without a Worker on its connection (no eager start): the run's first
// workflow task goes, started, to the worker's waiting poll (src/engine/task-offer.ts). The SDK
// takes it as any polled task; its WorkflowTaskStarted names the worker, as Temporal's does.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import * as activities from './fixtures/sdk-activities.js';
import { handleSecret } from './fixtures/sdk-workflows.js';
import { keelHistory } from './fixtures/keel-history.js';
import { waitForPoller } from './fixtures/wait.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/sdk-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('a first workflow task offered to a waiting worker', () => {
  it('runs the workflow, and its first WorkflowTaskStarted names the worker that polled it', async () => {
    const worker = await Worker.create({ connection: env.nativeConnection, identity: 'offer-worker', taskQueue: 'offer-e2e', workflowsPath, activities, shutdownSignals: [] });
    const result = await worker.runUntil(async () => {
      await waitForPoller(env, 'offer-e2e', 'offer-worker');
      return env.client.workflow.execute(handleSecret, { taskQueue: 'offer-e2e', workflowId: 'offer-e2e-1', args: ['o-1'] });
    });
    expect(result).toBe('o-1 (seen by the activity)');
    const events = (await env.client.workflow.getHandle('offer-e2e-1').fetchHistory().then(keelHistory)).events;
    const starts = events.filter((e) => e.eventType === 'WorkflowTaskStarted');
    expect(starts.length).toBeGreaterThan(0);
    for (const e of starts) expect(e.attributes).toMatchObject({ identity: 'offer-worker' });
    expect(events.map((e) => e.eventType).slice(0, 4)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted', 'WorkflowTaskCompleted']);
  });
});
