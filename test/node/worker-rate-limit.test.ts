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
  it('spaces the starts of activities scheduled together at least 1/rate apart', async () => {
    const taskQueue = 'rate-limited';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, maxActivitiesPerSecond: 4, shutdownSignals: [] });
    const starts = await worker.runUntil(env.client.workflow.execute(parallelStarts, { taskQueue, workflowId: 'rate-1', args: [3] }));
    const sorted = [...starts].sort((a, b) => a - b);
    // 4 a second: the limiter releases them 250 ms apart at least, never early. Each start is read
    // inside the activity, a few ms after its release; when the machine delays one activity's start
    // more than the next one's, their gap looks that much shorter (243 ms was seen under a busy
    // suite), so the check allows 25 ms of it. Without the limiter the starts are ~0–5 ms apart.
    expect(sorted[1]! - sorted[0]!).toBeGreaterThanOrEqual(225);
    expect(sorted[2]! - sorted[1]!).toBeGreaterThanOrEqual(225);
    expect(sorted[2]! - sorted[0]!).toBeGreaterThanOrEqual(475);
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
