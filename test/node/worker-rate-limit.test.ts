// The worker's maxActivitiesPerSecond (Temporal's): activities start at most that often on it, even
// when a workflow schedules several at once (eager starts are off under a rate limit). And
// maxTaskQueueActivitiesPerSecond: the service's task queue hands activities out at most that often
// across every worker polling it.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import * as activities from './fixtures/rate-activities.js';
import { parallelStarts } from './fixtures/rate-workflows.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/rate-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('maxActivitiesPerSecond', () => {
  it('spaces the starts of activities scheduled together 1/rate apart: the last of three at 4 a second starts at least two intervals after their scheduling', async () => {
    const taskQueue = 'rate-limited';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, maxActivitiesPerSecond: 4, shutdownSignals: [] });
    const handle = await env.client.workflow.start(parallelStarts, { taskQueue, workflowId: 'rate-1', args: [3] });
    const starts = await worker.runUntil(handle.result());
    // 4 a second: the limiter releases them 250 ms apart, the first no earlier than the task that
    // scheduled them completed. A start is read inside its activity, some delay after its release,
    // and delays differ, so the gap between two starts can look shorter than 250 ms on a busy
    // machine; the last start, though, comes at least two intervals after the scheduling, whatever
    // the delays. (workerd's clock only lags, so the event's time is never after the real moment.)
    // Without the limiter all three start within a few ms of it.
    const { events } = keelHistory(await handle.fetchHistory());
    const scheduledAt = Date.parse(events.find((e) => e.eventType === 'ActivityTaskScheduled')!.eventTime);
    expect(starts).toHaveLength(3);
    expect(Math.max(...starts) - scheduledAt).toBeGreaterThanOrEqual(490);
  });
});

describe('maxTaskQueueActivitiesPerSecond', () => {
  it('spaces the starts across two workers polling the queue: the task queue hands out at most that many a second', async () => {
    const taskQueue = 'queue-rate-limited';
    const options = { connection: env.nativeConnection, taskQueue, workflowsPath, activities, maxTaskQueueActivitiesPerSecond: 4, shutdownSignals: [] as NodeJS.Signals[] };
    const one = await Worker.create(options);
    const two = await Worker.create({ ...options, identity: 'second-worker' });
    const handle = await env.client.workflow.start(parallelStarts, { taskQueue, workflowId: 'queue-rate-1', args: [5] });
    await one.runUntil(two.runUntil(handle.result()));
    // When the service started each activity (ActivityTaskStarted's time): 4 a second for the whole
    // queue, whichever worker ran it, so five starts span at least four intervals (1 s; 10% is left
    // for the hop from the queue to the workflow object under load). Unlimited, 20 pollers take
    // all five within milliseconds.
    const { events } = keelHistory(await handle.fetchHistory());
    const started = events.filter((e) => e.eventType === 'ActivityTaskStarted').map((e) => Date.parse(e.eventTime)).sort((a, b) => a - b);
    expect(started).toHaveLength(5);
    expect(started.at(-1)! - started[0]!).toBeGreaterThanOrEqual(900);
  });
});
