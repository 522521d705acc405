// Queries, describe and history end to end.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import * as activities from './fixtures/sdk-activities.js';
import { sleepUntilWoken, sleeperState, wake } from './fixtures/sdk-workflows.js';
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

describe('queries, describe and history', () => {
  it('answers a query while the workflow sleeps and after it completed; describe and fetchHistory show status and events', async () => {
    const taskQueue = 'query-sleeper';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, shutdownSignals: [] });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(sleepUntilWoken, { taskQueue, workflowId: 'query-sleeper-1' });

      // Sleeping: on a day-long durable timer.
      await waitFor('the workflow to start its timer', async () => (await handle.fetchHistory().then(keelHistory)).events.some((e) => e.eventType === 'TimerStarted'));
      expect(await handle.query(sleeperState)).toBe('sleeping');
      const running = await handle.describe();
      expect(running.status.name).toBe('RUNNING');
      expect(running.type).toBe('sleepUntilWoken');
      expect(running.taskQueue).toBe(taskQueue);
      expect(running.workflowId).toBe('query-sleeper-1');
      expect(running.runId).toBe(handle.firstExecutionRunId);
      expect(running.closeTime).toBeUndefined();
      expect((await handle.fetchHistory().then(keelHistory)).events.map((e) => e.eventType)).toEqual([
        'WorkflowExecutionStarted',
        'WorkflowTaskScheduled',
        'WorkflowTaskStarted',
        'WorkflowTaskCompleted',
        'TimerStarted',
      ]);

      await handle.signal(wake);
      expect(await handle.result()).toBe('woken by signal');

      // Completed: the query is answered by replaying the closed run's history.
      expect(await handle.query(sleeperState)).toBe('woken by signal');
      const closed = await handle.describe();
      expect(closed.status.name).toBe('COMPLETED');
      expect(closed.closeTime).toBeInstanceOf(Date);
      const { events } = await handle.fetchHistory().then(keelHistory);
      expect(closed.historyLength).toBe(events.length);
      expect(events.map((e) => e.eventId)).toEqual(events.map((_, i) => i + 1));
      expect(events.map((e) => e.eventType)).toEqual([
        'WorkflowExecutionStarted',
        'WorkflowTaskScheduled',
        'WorkflowTaskStarted',
        'WorkflowTaskCompleted',
        'TimerStarted',
        'WorkflowExecutionSignaled',
        'WorkflowTaskScheduled',
        'WorkflowTaskStarted',
        'WorkflowTaskCompleted',
        'TimerCanceled',
        'WorkflowExecutionCompleted',
      ]);
    });
  });
});
