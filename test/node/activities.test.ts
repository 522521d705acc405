// Activities end to end: ordering, retries, failures and heartbeat timeouts.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from 'keel/client';
import { ActivityFailure, ApplicationFailure } from 'keel/common';
import { TestWorkflowEnvironment } from 'keel/testing';
import { NativeConnection, Worker } from 'keel/worker';
import * as activities from './fixtures/sdk-activities.js';
import { chargeOrder, resumeAfterFailure, resumeFromHeartbeat, retryFlaky, tenSequentialSteps } from './fixtures/sdk-workflows.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/sdk-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

const newWorker = (taskQueue: string) => Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, shutdownSignals: [] });

describe('activities', () => {
  it('runs activities eagerly: the worker that schedules them gets them with its completion, never from a poll', async () => {
    // Count the activity tasks that reach this worker through a poll of its activity queue.
    let polledActivityTasks = 0;
    const counting: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (String(input).endsWith('/activity-tasks/poll') && (await res.clone().text()).includes('taskToken')) polledActivityTasks++;
      return res;
    };
    const connection = await NativeConnection.connect({ address: env.address, fetch: counting });
    const worker = await Worker.create({ connection, taskQueue: 'act-eager', workflowsPath, activities, shutdownSignals: [] });
    const result = await worker.runUntil(env.client.workflow.execute(tenSequentialSteps, { taskQueue: 'act-eager', workflowId: 'act-eager-1' }));
    expect(result).toEqual(Array.from({ length: 10 }, (_, i) => `step-${i}`));
    expect(polledActivityTasks).toBe(0);
    await connection.close();
  });

  it('ten sequential activities return their results in order', async () => {
    const worker = await newWorker('act-ten');
    const result = await worker.runUntil(env.client.workflow.execute(tenSequentialSteps, { taskQueue: 'act-ten', workflowId: 'act-ten-1' }));
    expect(result).toEqual(Array.from({ length: 10 }, (_, i) => `step-${i}`));
    expect(activities.seen.get('act-ten-1')?.calls).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('an activity that fails twice is retried and succeeds on attempt 3', async () => {
    const worker = await newWorker('act-retry');
    const result = await worker.runUntil(env.client.workflow.execute(retryFlaky, { taskQueue: 'act-retry', workflowId: 'act-retry-1' }));
    expect(result).toBe(3);
    expect(activities.seen.get('act-retry-1')?.attempts).toEqual([1, 2, 3]);
  });

  it('a non-retryable activity failure fails the workflow with WorkflowFailedError → ActivityFailure → ApplicationFailure', async () => {
    const worker = await newWorker('act-nonretryable');
    const err = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(chargeOrder, { taskQueue: 'act-nonretryable', workflowId: 'act-nonretryable-1', args: ['order-7'] });
      return await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
    });
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = (err as WorkflowFailedError).cause;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    expect((activityFailure as ActivityFailure).activityType).toBe('chargeCard');
    const appFailure = (activityFailure as ActivityFailure).cause;
    expect(appFailure).toBeInstanceOf(ApplicationFailure);
    expect((appFailure as ApplicationFailure).type).toBe('CardDeclined');
    expect((appFailure as ApplicationFailure).message).toBe('card declined for order-7');
    expect((appFailure as ApplicationFailure).nonRetryable).toBe(true);
    expect((appFailure as ApplicationFailure).details).toEqual([{ orderId: 'order-7', code: 51 }]);
    // Not retried although the retry policy allows 5 attempts.
    expect(activities.seen.get('act-nonretryable-1')?.attempts).toEqual([1]);
  });

  it('a heartbeat timeout retries the activity, and the next attempt receives the last heartbeat details', async () => {
    const worker = await newWorker('act-heartbeat');
    const result = await worker.runUntil(
      env.client.workflow.execute(resumeFromHeartbeat, { taskQueue: 'act-heartbeat', workflowId: 'act-heartbeat-1', args: ['page 3 of 7'] }),
    );
    expect(result).toEqual({ progress: 'page 3 of 7' });
    const seen = activities.seen.get('act-heartbeat-1')!;
    expect(seen.attempts).toEqual([1, 2]);
    expect(seen.heartbeatDetails).toEqual([undefined, { progress: 'page 3 of 7' }]);
  });

  it('an attempt that fails hands its latest heartbeat details, even one not sent yet, to the next attempt', async () => {
    const worker = await newWorker('act-heartbeat-fail');
    const result = await worker.runUntil(env.client.workflow.execute(resumeAfterFailure, { taskQueue: 'act-heartbeat-fail', workflowId: 'act-heartbeat-fail-1' }));
    expect(result).toBe('third');
    expect(activities.seen.get('act-heartbeat-fail-1')?.attempts).toEqual([1, 2]);
  });
});
