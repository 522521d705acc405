// The workflow retry policy end to end: a run that fails is retried as a new run of the chain,
// and result() follows it to the attempt that succeeds.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from 'keel/client';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import { flaky } from './fixtures/model-workflows.js';
import { recordedHistory } from './fixtures/recorded-histories.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/model-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('workflow retry policy', () => {
  it('retries a failed run as a new attempt after the back-off; result() follows to its value', async () => {
    const taskQueue = 'workflow-retry';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, shutdownSignals: [] });
    const handle = await env.client.workflow.start(flaky, { taskQueue, workflowId: 'wf-retry-1', args: ['job'], retry: { initialInterval: '50ms', maximumAttempts: 3 } });
    // Without a policy the failure is final.
    const once = await env.client.workflow.start(flaky, { taskQueue, workflowId: 'wf-retry-2', args: ['job'] });
    const [result, err] = await worker.runUntil(Promise.all([handle.result(), once.result().catch((e: unknown) => e)]));
    expect(result).toBe('job succeeded on attempt 2');
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).retryState).toBe('RETRY_POLICY_NOT_SET');

    const first = await env.client.workflow.getHandle('wf-retry-1', handle.firstExecutionRunId).fetchHistory().then(keelHistory);
    expect(first.events.at(-1)).toMatchObject({ eventType: 'WorkflowExecutionFailed', attributes: { retryState: 'IN_PROGRESS' } });
    const second = await env.client.workflow.getHandle('wf-retry-1').fetchHistory().then(keelHistory);
    expect(second.events[0]).toMatchObject({ attributes: { attempt: 2, firstWorkflowTaskBackoffMs: 50, continuedExecutionRunId: handle.firstExecutionRunId } });
    for (const h of [first, recordedHistory('workflow-retry-first-attempt', first)]) {
      await expect(Worker.runReplayHistory({ workflowsPath }, h, 'wf-retry-1')).resolves.toBeUndefined();
    }
  });
});
