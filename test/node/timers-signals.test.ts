// Durable timers, conditions and signals end to end.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import * as activities from './fixtures/sdk-activities.js';
import { addItem, collectItems, finish, itemsQuery, sleepFor, unblock, waitForUnblock } from './fixtures/sdk-workflows.js';
import { waitFor } from './fixtures/wait.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/sdk-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

const newWorker = (taskQueue: string) => Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, shutdownSignals: [] });

describe('timers and conditions', () => {
  it('sleep waits on a durable timer for at least its duration', async () => {
    const worker = await newWorker('timer-sleep');
    const elapsed = await worker.runUntil(env.client.workflow.execute(sleepFor, { taskQueue: 'timer-sleep', workflowId: 'timer-sleep-1', args: [50] }));
    expect(elapsed).toBeGreaterThanOrEqual(50);
    const { events } = await env.client.workflow.getHandle('timer-sleep-1').fetchHistory().then(keelHistory);
    const types = events.map((e) => e.eventType);
    expect(types).toContain('TimerStarted');
    expect(types).toContain('TimerFired');
  });

  it('condition with a timeout resolves false when the timeout passes first', async () => {
    const worker = await newWorker('cond-timeout');
    const result = await worker.runUntil(env.client.workflow.execute(waitForUnblock, { taskQueue: 'cond-timeout', workflowId: 'cond-timeout-1', args: ['50ms'] }));
    expect(result).toBe(false);
  });

  it('condition with a timeout resolves true when a signal satisfies it first', async () => {
    const worker = await newWorker('cond-signal');
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(waitForUnblock, { taskQueue: 'cond-signal', workflowId: 'cond-signal-1', args: ['1 day'] });
      // Signalled only once the condition's timer runs: a signal that reaches the first workflow
      // task satisfies the condition before it ever starts a timer.
      await waitFor('the condition\'s timer to start', async () => (await handle.fetchHistory().then(keelHistory)).events.some((e) => e.eventType === 'TimerStarted'));
      await handle.signal(unblock);
      return await handle.result();
    });
    expect(result).toBe(true);
    const { events } = await env.client.workflow.getHandle('cond-signal-1').fetchHistory().then(keelHistory);
    // The condition's timer was not needed any more, so the workflow cancelled it.
    expect(events.map((e) => e.eventType)).toContain('TimerCanceled');
    expect(events.map((e) => e.eventType)).not.toContain('TimerFired');
  });
});

describe('signals', () => {
  it('delivers signals sent right after start, before any worker runs, in order', async () => {
    const handle = await env.client.workflow.start(collectItems, { taskQueue: 'signals-before', workflowId: 'signals-before-1' });
    await handle.signal(addItem, 'a');
    await handle.signal(addItem, 'b');
    await handle.signal(finish);
    const worker = await newWorker('signals-before');
    const result = await worker.runUntil(handle.result());
    expect(result).toEqual(['a', 'b']);
  });

  it('delivers signals sent while the workflow runs', async () => {
    const worker = await newWorker('signals-during');
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(collectItems, { taskQueue: 'signals-during', workflowId: 'signals-during-1' });
      // The workflow is running (it answers queries) before the signals come.
      expect(await handle.query(itemsQuery)).toEqual([]);
      await handle.signal(addItem, 'first');
      await waitFor('the first signal to be handled', async () => (await handle.query(itemsQuery)).length === 1);
      await handle.signal(addItem, 'second');
      await handle.signal(finish);
      return await handle.result();
    });
    expect(result).toEqual(['first', 'second']);
  });
});
