// The worker's maxActivitiesPerSecond (Temporal's): activities start at most that often on it, even
// when a workflow schedules several at once (eager starts are off under a rate limit).
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import * as activities from './fixtures/rate-activities.js';
import { parallelStarts } from './fixtures/rate-workflows.js';

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
    // 4 a second: 250 ms apart at least (the limiter never lets one go early; load only adds to it).
    expect(sorted[1]! - sorted[0]!).toBeGreaterThanOrEqual(245);
    expect(sorted[2]! - sorted[1]!).toBeGreaterThanOrEqual(245);
  });
});
