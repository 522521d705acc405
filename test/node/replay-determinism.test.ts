// Replay end to end: determinism errors after a code change, and the sandbox's deterministic
// Math.random(), Date.now() and uuid4() across replays.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { DeterminismViolationError, Worker } from 'keel/worker';
import * as activities from './fixtures/sdk-activities.js';
import { activityThenSleep, recordNondeterminism, valuesQuery, type DeterministicValues } from './fixtures/sdk-workflows.js';
import { waitForPoller } from './fixtures/wait.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/sdk-workflows.ts', import.meta.url));
const changedWorkflowsPath = fileURLToPath(new URL('./fixtures/sdk-workflows-changed.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('replay', () => {
  it('runReplayHistory passes on the original code and throws DeterminismViolationError, naming the event and both commands, after a change', async () => {
    const taskQueue = 'replay-determinism';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, shutdownSignals: [] });
    const handle = await env.client.workflow.start(activityThenSleep, { taskQueue, workflowId: 'replay-determinism-1', args: ['order'] });
    expect(await worker.runUntil(handle.result())).toBe('order: step-1');
    const history = await handle.fetchHistory().then(keelHistory);
    const scheduled = history.events.find((e) => e.eventType === 'ActivityTaskScheduled');
    expect(scheduled).toBeDefined();

    await expect(Worker.runReplayHistory({ workflowsPath }, history, 'replay-determinism-1')).resolves.toBeUndefined();

    const err = await Worker.runReplayHistory({ workflowsPath: changedWorkflowsPath }, history, 'replay-determinism-1').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeterminismViolationError);
    const message = (err as Error).message;
    expect(message).toContain(`event ${scheduled!.eventId}`);
    expect(message).toContain('ActivityTaskScheduled(activityType=step, activityId=1)');
    expect(message).toContain('StartTimer(timerId=1)');
  });

  it('Math.random(), Date.now() and uuid4() give the same values on replay and to a query after the cache was dropped', async () => {
    const taskQueue = 'replay-random';
    const workflowId = 'replay-random-1';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, shutdownSignals: [] });
    const handle = await env.client.workflow.start(recordNondeterminism, { taskQueue, workflowId });
    const values: DeterministicValues[] = await worker.runUntil(handle.result());

    expect(values).toHaveLength(2);
    const [before, after] = values as [DeterministicValues, DeterministicValues];
    // Real values, not constants: they differ across the sleep, and time moved on by the sleep.
    expect(before.random).not.toBe(after.random);
    expect(before.uuid).not.toBe(after.uuid);
    expect(before.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(after.now - before.now).toBeGreaterThanOrEqual(50);

    // Replaying the history makes the same values, or the result would not match.
    await expect(Worker.runReplayHistory({ workflowsPath }, await handle.fetchHistory().then(keelHistory), workflowId)).resolves.toBeUndefined();

    // A new worker that caches nothing answers the query by replaying from event 1.
    const fresh = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath,
      maxCachedWorkflows: 0,
      identity: 'replay-random-uncached',
      shutdownSignals: [],
    });
    const queried = await fresh.runUntil(async () => {
      await waitForPoller(env, taskQueue, 'replay-random-uncached');
      return await handle.query(valuesQuery);
    });
    expect(fresh.cachedWorkflows).toBe(0);
    expect(queried).toEqual(values);
  });
});
