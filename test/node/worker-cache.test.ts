// Sticky execution and the worker's cache of runs: a cached run gets only its new events,
// and a run evicted from the cache is rebuilt by replaying its full history.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowTask } from 'keel/protocol';
import { TestWorkflowEnvironment } from 'keel/testing';
import { NativeConnection, Worker } from 'keel/worker';
import * as activities from './fixtures/sdk-activities.js';
import { keelHistory } from './fixtures/keel-history.js';
import { waitFor } from './fixtures/wait.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/sdk-workflows.ts', import.meta.url));
const expected = Array.from({ length: 10 }, (_, i) => `step-${i}`);
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

/** A connection that records every workflow task the worker receives: polled, or in the answer to an activity's completion. */
async function recordingConnection(tasks: WorkflowTask[]): Promise<NativeConnection> {
  const connection = await NativeConnection.connect({ address: env.address });
  const call = connection.call.bind(connection);
  connection.call = (async (endpoint, request, options) => {
    const res = await call(endpoint, request, options);
    const task = endpoint === 'pollWorkflowTask' ? (res as { task?: WorkflowTask }).task : endpoint === 'completeActivityTask' ? (res as { workflowTask?: WorkflowTask }).workflowTask : undefined;
    if (task) tasks.push(task);
    return res;
  }) as typeof connection.call;
  return connection;
}

/** A connection that counts the worker's workflow-task polls by the queue they went to. */
async function pollCountingConnection(): Promise<{ connection: NativeConnection; polls: Map<string, number> }> {
  const polls = new Map<string, number>();
  const connection = await NativeConnection.connect({ address: env.address });
  const call = connection.call.bind(connection);
  connection.call = (async (endpoint, request, options) => {
    if (endpoint === 'pollWorkflowTask') polls.set(options!.params!.taskQueue!, (polls.get(options!.params!.taskQueue!) ?? 0) + 1);
    return call(endpoint, request, options);
  }) as typeof connection.call;
  return { connection, polls };
}

describe('the worker cache', () => {
  it('sends a cached run only the events after its last task, so a task costs the same however long the history', async () => {
    const tasks: WorkflowTask[] = [];
    // Without speculative tasks: each step's workflow task is handed to the worker, to be looked at.
    const worker = await Worker.create({ connection: await recordingConnection(tasks), taskQueue: 'sticky', workflowsPath, activities, speculativeWorkflowTasks: false, shutdownSignals: [] });
    const result = await worker.runUntil(env.client.workflow.execute('tenSequentialSteps', { taskQueue: 'sticky', workflowId: 'sticky-1' }));
    expect(result).toEqual(expected);
    const [first, ...later] = tasks;
    expect(first!.history[0]!.eventId).toBe(1);
    expect(later.length).toBe(10);
    for (const task of later) {
      // Each later task starts right after the previous task's WorkflowTaskStarted…
      expect(task.history[0]!.eventId).toBe(task.previousStartedEventId + 1);
      // …and carries the same handful of events, not the growing history.
      expect(task.history.length).toBeLessThanOrEqual(7);
    }
  });

  it('rebuilds runs evicted from a one-run cache by full replay, and every run completes correctly', async () => {
    const tasks: WorkflowTask[] = [];
    const worker = await Worker.create({ connection: await recordingConnection(tasks), taskQueue: 'evict', workflowsPath, activities, maxCachedWorkflows: 1, shutdownSignals: [] });
    const results = await worker.runUntil(
      Promise.all([1, 2, 3].map((i) => env.client.workflow.execute('tenSequentialSteps', { taskQueue: 'evict', workflowId: `evict-${i}` }))),
    );
    for (const r of results) expect(r).toEqual(expected);
    expect(worker.cachedWorkflows).toBeLessThanOrEqual(1);
  });

  it('a worker the service took for dead (its sticky queue closed) moves to a new sticky queue: no polling on the closed one, and its runs are sticky again', async () => {
    const { connection, polls } = await pollCountingConnection();
    const worker = await Worker.create({ connection, taskQueue: 'dead-alive', workflowsPath, activities, shutdownSignals: [] });
    const sticky = (worker as unknown as { sticky: { name: string; secret: string } }).sticky;
    const closed = sticky.name;
    await worker.runUntil(async () => {
      // A worker polls its sticky queue only while it holds a run: one waits, held.
      const held = await env.client.workflow.start('waitForUnblock', { taskQueue: 'dead-alive', workflowId: 'dead-alive-held', args: ['1 minute'] });
      await waitFor('the worker to poll its sticky queue', () => (polls.get(closed) ?? 0) > 0);
      // What the service does to a worker it takes for dead (src/workflow-object/dead-polls.ts).
      await env.nativeConnection.call('shutdownWorker', { stickyTaskQueue: closed, stickyQueueSecret: sticky.secret, identity: 'test' }, { namespace: env.namespace });
      await waitFor('a new sticky queue', () => sticky.name !== closed);
      const pollsAtReplace = polls.get(closed)!;
      expect(await env.client.workflow.execute('tenSequentialSteps', { taskQueue: 'dead-alive', workflowId: 'dead-alive-1' })).toEqual(expected);
      // Each sticky poller learnt of the closing once; none polled the closed queue again.
      expect(polls.get(closed)! - pollsAtReplace).toBeLessThanOrEqual(8);
      await held.signal('unblock');
      expect(await held.result()).toBe(true);
    });
    const scheduled = (await env.client.workflow.getHandle('dead-alive-1').fetchHistory().then(keelHistory)).events.filter((e) => e.eventType === 'WorkflowTaskScheduled');
    expect(scheduled.slice(1).map((e) => (e.attributes as { taskQueue: string }).taskQueue)).toEqual(Array(10).fill(sticky.name));
    await connection.close();
  });

  it('polls its sticky queue only while it holds a run: none before its first run, from then on while one is held', async () => {
    const { connection, polls } = await pollCountingConnection();
    const worker = await Worker.create({ connection, taskQueue: 'sticky-held', workflowsPath, activities, shutdownSignals: [] });
    const sticky = (worker as unknown as { sticky: { name: string } }).sticky.name;
    await worker.runUntil(async () => {
      // The normal queue is polled from the start; the sticky queue not while nothing is held.
      await waitFor('the worker to poll its normal queue', () => (polls.get('sticky-held') ?? 0) > 0);
      expect(polls.get(sticky) ?? 0).toBe(0);
      const held = await env.client.workflow.start('waitForUnblock', { taskQueue: 'sticky-held', workflowId: 'sticky-held-1', args: ['1 minute'] });
      await waitFor('a run held', () => worker.cachedWorkflows === 1);
      await waitFor('the worker to poll its sticky queue', () => (polls.get(sticky) ?? 0) > 0);
      // The run's next task (the signal's) reaches it on its sticky queue.
      await held.signal('unblock');
      expect(await held.result()).toBe(true);
    });
    const scheduled = (await env.client.workflow.getHandle('sticky-held-1').fetchHistory().then(keelHistory)).events.filter((e) => e.eventType === 'WorkflowTaskScheduled');
    expect((scheduled.at(-1)!.attributes as { taskQueue: string }).taskQueue).toBe(sticky);
    await connection.close();
  });

  it('replays the full history on every task when the cache is off', async () => {
    const tasks: WorkflowTask[] = [];
    const worker = await Worker.create({ connection: await recordingConnection(tasks), taskQueue: 'nocache', workflowsPath, activities, maxCachedWorkflows: 0, shutdownSignals: [] });
    const result = await worker.runUntil(env.client.workflow.execute('tenSequentialSteps', { taskQueue: 'nocache', workflowId: 'nocache-1' }));
    expect(result).toEqual(expected);
    expect(tasks.every((t) => t.history[0]!.eventId === 1)).toBe(true);
    expect(worker.cachedWorkflows).toBe(0);
  });
});
