// Tasks that reach the worker in an answer instead of through a poll, end to end: eager workflow
// start (Temporal's requestEagerStart, with a Worker on the client's connection), eager
// activities, and the workflow task an activity's completion causes for the worker holding the run.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context } from 'keel/activity';
import { Client } from 'keel/client';
import { TestWorkflowEnvironment } from 'keel/testing';
import { NativeConnection, Worker } from 'keel/worker';
import { Limits } from '../../protocol/index.js';
import * as activities from './fixtures/sdk-activities.js';
import { activityThenSleep, handleSecret, tenSequentialSteps } from './fixtures/sdk-workflows.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/sdk-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

/** A connection that counts the tasks (workflow and activity) that reach it through polls. */
async function countingConnection() {
  const polled = { workflow: 0, activity: 0 };
  const counting: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const url = String(input);
    const kind = url.endsWith('/workflow-tasks/poll') ? 'workflow' : url.endsWith('/activity-tasks/poll') ? 'activity' : undefined;
    if (kind) {
      // Tasks, not answers: a workflow-task poll may bring several (protocol 3's moreTasks).
      const text = await res.clone().text();
      const answer = (text.includes('taskToken') ? JSON.parse(text) : {}) as { task?: unknown; moreTasks?: unknown[] };
      if (answer.task) polled[kind] += 1 + (answer.moreTasks?.length ?? 0);
    }
    return res;
  };
  return { polled, connection: await NativeConnection.connect({ address: env.address, fetch: counting }) };
}

describe('tasks handed over in answers', () => {
  it('a one-activity workflow started eagerly runs with no task ever coming from a poll', async () => {
    const { polled, connection } = await countingConnection();
    const worker = await Worker.create({ connection, taskQueue: 'eager-start', workflowsPath, activities, shutdownSignals: [] });
    const client = new Client({ connection });
    const result = await worker.runUntil(async () => {
      const handle = await client.workflow.start(handleSecret, { taskQueue: 'eager-start', workflowId: 'eager-start-1', args: ['o-1'], requestEagerStart: true });
      expect(handle.eagerlyStarted).toBe(true);
      return handle.result();
    });
    expect(result).toBe('o-1 (seen by the activity)');
    expect(polled).toEqual({ workflow: 0, activity: 0 });
    const started = (await env.client.workflow.getHandle('eager-start-1').fetchHistory().then(keelHistory)).events.find((e) => e.eventType === 'WorkflowTaskStarted');
    expect(started).toBeDefined();
    await connection.close();
  });

  it('ten sequential activities: each next workflow task comes back with the activity completion', async () => {
    const { polled, connection } = await countingConnection();
    const worker = await Worker.create({ connection, taskQueue: 'eager-ten', workflowsPath, activities, shutdownSignals: [] });
    const client = new Client({ connection });
    const result = await worker.runUntil(client.workflow.execute(tenSequentialSteps, { taskQueue: 'eager-ten', workflowId: 'eager-ten-1', requestEagerStart: true }));
    expect(result).toEqual(Array.from({ length: 10 }, (_, i) => `step-${i}`));
    expect(polled).toEqual({ workflow: 0, activity: 0 });
    await connection.close();
  });

  it('acknowledges the tasks it gets in answers: an eager activity running past the hand-off window is not taken back', async () => {
    const { polled, connection } = await countingConnection();
    const attempts: number[] = [];
    // The activity must outlast the service's acknowledgement window; this is its run time, not a wait for anything.
    const slowStep = async (i: number) => {
      attempts.push(Context.current().info.attempt);
      await new Promise((r) => setTimeout(r, Limits.handOffAckMs + 500));
      return `step-${i}`;
    };
    const worker = await Worker.create({ connection, taskQueue: 'eager-ack', workflowsPath, activities: { ...activities, step: slowStep }, shutdownSignals: [] });
    const client = new Client({ connection });
    const result = await worker.runUntil(client.workflow.execute(activityThenSleep, { taskQueue: 'eager-ack', workflowId: 'eager-ack-1', args: ['slow'], requestEagerStart: true }));
    expect(result).toBe('slow: step-1');
    // Once, on its first attempt, and never re-dispatched through the queue as a lost hand-off.
    expect(attempts).toEqual([1]);
    expect(polled.activity).toBe(0);
    await connection.close();
  });

  it('falls back to the task queue when no running Worker shares the connection', async () => {
    const { polled, connection } = await countingConnection();
    const worker = await Worker.create({ connection, taskQueue: 'eager-fallback', workflowsPath, activities, shutdownSignals: [] });
    // Not running yet: it takes nothing eagerly, so the start goes through the queue.
    const early = await new Client({ connection }).workflow.start(handleSecret, { taskQueue: 'eager-fallback', workflowId: 'eager-fallback-1', args: ['o-2'], requestEagerStart: true });
    expect(early.eagerlyStarted).toBe(false);
    // A client on another connection has no Worker to hand the task to.
    const elsewhere = await env.client.workflow.start(handleSecret, { taskQueue: 'eager-fallback', workflowId: 'eager-fallback-2', args: ['o-3'], requestEagerStart: true });
    expect(elsewhere.eagerlyStarted).toBe(false);
    const results = await worker.runUntil(Promise.all([early.result(), elsewhere.result()]));
    expect(results).toEqual(['o-2 (seen by the activity)', 'o-3 (seen by the activity)']);
    expect(polled.workflow).toBeGreaterThanOrEqual(2);
    await connection.close();
  });

  it('a start without requestEagerStart is not eager', async () => {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'eager-off', workflowsPath, activities, shutdownSignals: [] });
    const handle = await worker.runUntil(async () => {
      const h = await env.client.workflow.start(handleSecret, { taskQueue: 'eager-off', workflowId: 'eager-off-1', args: ['o-4'] });
      await h.result();
      return h;
    });
    expect(handle.eagerlyStarted).toBe(false);
  });
});
