// Queries end to end, the rest of Temporal's behaviour: the built-in __stack_trace, answers while the
// workflow sleeps and after it closed (by replay), QueryNotRegisteredError, QueryFailedError,
// QueryRejectedError by reject condition, and a clear error when no worker answers.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, KeelServiceError, QueryFailedError, QueryNotRegisteredError, QueryRejectedError, WorkflowFailedError } from 'keel/client';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import { counter, failing, failsAtOnce, finish, sleeper, total } from './fixtures/update-workflows.js';
import { waitFor } from './fixtures/wait.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/update-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('queries', () => {
  it('answers while the workflow sleeps and after it completed (by replay); __stack_trace names the timer', async () => {
    const taskQueue = 'queries-sleeper';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, shutdownSignals: [] });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(sleeper, { taskQueue, workflowId: 'q-sleeper' });
      await waitFor('the timer to start', async () => (await handle.fetchHistory().then(keelHistory)).events.some((e) => e.eventType === 'TimerStarted'));
      expect(await handle.query(total)).toBe(7);
      expect(await handle.query<string>('__stack_trace')).toMatch(/^timer 1 \(86400000ms\)$/m);
      await env.advanceTime('q-sleeper', '1 day');
      expect(await handle.result()).toBe('slept');
      expect(await handle.query(total)).toBe(7);
      expect(await handle.query<string>('__stack_trace')).toMatch(/workflow completed/);
    });
  });

  it('QueryNotRegisteredError lists the registered queries; a handler that throws gives QueryFailedError', async () => {
    const taskQueue = 'queries-errors';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, shutdownSignals: [] });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(counter, { taskQueue, workflowId: 'q-errors', args: [1] });
      const unknown = await handle.query('nope').catch((e: unknown) => e);
      expect(unknown).toBeInstanceOf(QueryNotRegisteredError);
      expect((unknown as Error).message).toMatch(/Workflow did not register a handler for nope\. Registered queries: \[__stack_trace total failing\]/);
      const thrown = await handle.query(failing).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(QueryFailedError);
      expect((thrown as Error).message).toMatch(/this query always fails/);
      await handle.signal(finish);
      await handle.result();
    });
  });

  it('queryRejectCondition: NOT_OPEN refuses a closed run, NOT_COMPLETED_CLEANLY a failed one, with its status', async () => {
    const taskQueue = 'queries-reject';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, shutdownSignals: [] });
    const notOpen = new Client({ connection: env.nativeConnection, workflow: { queryRejectCondition: 'NOT_OPEN' } });
    const notClean = new Client({ connection: env.nativeConnection, workflow: { queryRejectCondition: 'NOT_COMPLETED_CLEANLY' } });
    await worker.runUntil(async () => {
      const ok = await env.client.workflow.start(counter, { taskQueue, workflowId: 'q-reject-ok', args: [3] });
      expect(await notOpen.workflow.getHandle('q-reject-ok').query(total)).toBe(3);
      await ok.signal(finish);
      await ok.result();
      const closed = await notOpen.workflow.getHandle('q-reject-ok').query(total).catch((e: unknown) => e);
      expect(closed).toBeInstanceOf(QueryRejectedError);
      expect((closed as QueryRejectedError).status).toBe('COMPLETED');
      expect(await notClean.workflow.getHandle('q-reject-ok').query(total)).toBe(3);

      const failed = await env.client.workflow.start(failsAtOnce, { taskQueue, workflowId: 'q-reject-failed' });
      await expect(failed.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      const rejected = await notClean.workflow.getHandle('q-reject-failed').query(total).catch((e: unknown) => e);
      expect(rejected).toBeInstanceOf(QueryRejectedError);
      expect((rejected as QueryRejectedError).status).toBe('FAILED');
      expect(await env.client.workflow.getHandle('q-reject-failed').query(total)).toBe(0);
    });
  });
});

describe('queries without a worker', () => {
  let quick: TestWorkflowEnvironment;
  beforeAll(async () => {
    quick = await TestWorkflowEnvironment.createLocal({ server: { bindings: { KEEL_LONG_POLL_MS: '1000' } } });
  });
  afterAll(async () => {
    await quick?.teardown();
  });

  it('a query to a task queue no worker polls fails with QUERY_TIMEOUT after the bounded wait', async () => {
    const handle = await quick.client.workflow.start(sleeper, { taskQueue: 'nobody-answers', workflowId: 'q-no-worker' });
    const started = Date.now();
    const err = await handle.query(total).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeelServiceError);
    expect((err as KeelServiceError).code).toBe('QUERY_TIMEOUT');
    expect((err as Error).message).toMatch(/No worker answered query 'total' within 1 s; is a worker polling task queue 'nobody-answers'\?/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
