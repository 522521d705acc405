// client.workflow.signalWithStart end to end: on a missing workflow it starts it with the signal
// as its first input; on a running one it only signals.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import { addItem, cart, checkout, itemsQuery } from './fixtures/model-workflows.js';
import { recordedHistory } from './fixtures/recorded-histories.js';
import { waitFor } from './fixtures/wait.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/model-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('signalWithStart', () => {
  it('starts a missing workflow with the signal, then signals the running one without a second run', async () => {
    const taskQueue = 'signal-with-start';
    const workflowId = 'sws-cart-1';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, shutdownSignals: [] });
    const result = await worker.runUntil(async () => {
      const first = await env.client.workflow.signalWithStart(cart, { workflowId, taskQueue, args: ['ada'], signal: addItem, signalArgs: ['book'] });
      expect(first.signaledRunId).toEqual(expect.any(String));
      const second = await env.client.workflow.signalWithStart(cart, { workflowId, taskQueue, args: ['ignored'], signal: addItem, signalArgs: ['pen'] });
      expect(second.signaledRunId).toBe(first.signaledRunId);
      await waitFor('both items', async () => (await first.query(itemsQuery)).length === 2);
      await first.signal(checkout);
      return first.result();
    });
    expect(result).toBe('ada: book, pen');

    const history = await env.client.workflow.getHandle(workflowId).fetchHistory().then(keelHistory);
    expect(history.events.slice(0, 3).map((e) => e.eventType)).toEqual(['WorkflowExecutionStarted', 'WorkflowExecutionSignaled', 'WorkflowTaskScheduled']);
    expect(history.events.filter((e) => e.eventType === 'WorkflowExecutionStarted')).toHaveLength(1);
    for (const h of [history, recordedHistory('signal-with-start', history)]) {
      await expect(Worker.runReplayHistory({ workflowsPath }, h, workflowId)).resolves.toBeUndefined();
    }
  });
});
