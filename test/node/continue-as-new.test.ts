// Continue-as-new end to end: a loop of 50 runs carrying its state in the arguments; result()
// follows the chain to the last run's value; every run is in the visibility store.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowContinuedAsNewError } from 'keel/client';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import { counterLoop } from './fixtures/model-workflows.js';
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

describe('continue-as-new', () => {
  it('a loop of 50 runs carries its state; result() returns the last run\'s value; each run has a fresh history', async () => {
    const taskQueue = 'continue-as-new';
    const workflowId = 'can-loop-1';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, shutdownSignals: [] });
    const handle = await env.client.workflow.start(counterLoop, { taskQueue, workflowId, args: [1, 0, 50], memo: { owner: 'ada' } });
    const result = await worker.runUntil(handle.result());
    expect(result).toMatchObject({ total: (50 * 51) / 2, run: 50, firstRunId: handle.firstExecutionRunId, memo: { lastTen: 40 } });
    expect(result.continuedFrom).toEqual(expect.any(String));

    // The first run closed with WorkflowExecutionContinuedAsNew naming the second.
    const first = env.client.workflow.getHandle(workflowId, handle.firstExecutionRunId);
    const firstHistory = await first.fetchHistory().then(keelHistory);
    const close = firstHistory.events.at(-1)!;
    expect(close.eventType).toBe('WorkflowExecutionContinuedAsNew');
    const secondRunId = (close.attributes as { newExecutionRunId: string }).newExecutionRunId;
    await expect(env.client.workflow.result(workflowId, handle.firstExecutionRunId, { followRuns: false })).rejects.toBeInstanceOf(WorkflowContinuedAsNewError);
    expect((await first.describe()).status.name).toBe('CONTINUED_AS_NEW');

    // The second run starts afresh: event 1 is its start, continuing the first, in the same chain, memo kept.
    const second = await env.client.workflow.getHandle(workflowId, secondRunId).fetchHistory().then(keelHistory);
    expect(second.events[0]).toMatchObject({
      eventId: 1,
      eventType: 'WorkflowExecutionStarted',
      attributes: { continuedExecutionRunId: handle.firstExecutionRunId, firstExecutionRunId: handle.firstExecutionRunId, workflowType: 'counterLoop', taskQueue },
    });
    expect(Object.keys((second.events[0]!.attributes as { memo?: object }).memo ?? {})).toEqual(['owner']);

    // Visibility sees every run: 49 continued, 1 completed.
    await waitFor('every run in the visibility store', async () => {
      const { count } = await env.client.workflow.count(`WorkflowId = '${workflowId}' AND ExecutionStatus = 'ContinuedAsNew'`);
      return count === 49;
    });
    expect((await env.client.workflow.count(`WorkflowId = '${workflowId}'`)).count).toBe(50);

    for (const h of [firstHistory, recordedHistory('continue-as-new-first-run', firstHistory)]) {
      await expect(Worker.runReplayHistory({ workflowsPath }, h, workflowId)).resolves.toBeUndefined();
    }
  });

  it('does not keep a run that continued as new in the worker cache: it gets no more tasks', async () => {
    const taskQueue = 'continue-as-new-cache';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, shutdownSignals: [] });
    const cached = await worker.runUntil(async () => {
      const result = await env.client.workflow.execute(counterLoop, { taskQueue, workflowId: 'can-cache-1', args: [1, 0, 3] });
      expect(result.run).toBe(3);
      // Read while the worker runs (stopping clears the cache): a run is let go before its closing completion is sent.
      return worker.cachedWorkflows;
    });
    // Runs 1 and 2 closed with ContinueAsNew, run 3 with Complete: none is held.
    expect(cached).toBe(0);
  });
});
