/**
 * Workers Analytics Engine (src/metrics/analytics.ts) through the real binding: the workerd pool
 * binds ANALYTICS as wrangler.toml's [[analytics_engine_datasets]] does (vitest.config.ts). Locally
 * that is miniflare's LocalAnalyticsEngineDataset, whose writeDataPoint accepts a point and keeps
 * nothing, so these tests watch the calls made on the binding object the queue object holds (each
 * call still goes through to the binding); what Analytics Engine stores, and its SQL API, cannot be
 * observed here. Cloudflare's published limits are checked on every point written.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { taskQueueStub } from '../../src/stubs.js';
import { partitionStub } from '../../src/task-queue.js';
import { NS, pollWorkflowTask, settle, startWorkflow, testEnv, unique } from './helpers.js';

type Dataset = { writeDataPoint(point: AnalyticsEngineDataPoint): void };
type QueueEnv = { ANALYTICS?: Dataset };

/**
 * Runs `body` while the ANALYTICS binding of the queue object's env is watched (or replaced by
 * `replace`), restoring it after: the binding object is shared with other objects of the isolate.
 */
async function withBinding<T>(taskQueue: string, watch: (env: QueueEnv, dataset: Dataset) => () => void, body: () => Promise<T>): Promise<T> {
  const restore = await runInDurableObject(partitionStub(testEnv, NS, taskQueue, 'workflow'), (o) => {
    const env = (o as unknown as { env: QueueEnv }).env;
    return watch(env, env.ANALYTICS!);
  });
  try {
    return await body();
  } finally {
    restore();
  }
}

/** Analytics Engine's limits (https://developers.cloudflare.com/analytics/analytics-engine/limits/, read 2026-12-06). */
function withinLimits(p: AnalyticsEngineDataPoint): boolean {
  const bytes = (v: unknown) => (typeof v === 'string' ? new TextEncoder().encode(v).length : (v as ArrayBuffer | null)?.byteLength ?? 0);
  return (p.blobs ?? []).length <= 20 && (p.doubles ?? []).length <= 20 && (p.indexes ?? []).length <= 1 && (p.indexes ?? []).every((i) => bytes(i) <= 96) && (p.blobs ?? []).reduce((n: number, b) => n + bytes(b), 0) <= 16 * 1024;
}

describe('Workers Analytics Engine', () => {
  it('writes each task queue event (added, dispatched with its wait, polls with a task and empty) through the binding', async () => {
    const tq = unique('tq');
    const points: AnalyticsEngineDataPoint[] = [];
    const task = await withBinding(
      tq,
      (_env, dataset) => {
        const write = dataset.writeDataPoint;
        dataset.writeDataPoint = function (point) {
          points.push(point);
          return write.call(this, point);
        };
        return () => void (dataset.writeDataPoint = write);
      },
      async () => {
        const wid = unique('ae');
        await startWorkflow(wid, tq);
        await settle(wid);
        const polled = await pollWorkflowTask(tq);
        expect(await taskQueueStub(testEnv, NS, tq, 'workflow').poll('ae-worker', 10)).toBeNull();
        return polled;
      },
    );
    expect(task).toBeDefined();
    const ours = points.filter((p) => p.blobs?.[1] === tq);
    expect(ours.map((p) => p.blobs![2])).toEqual(['added', 'dispatched', 'poll_with_task', 'poll_empty']);
    for (const p of ours) {
      expect(p.blobs).toEqual([NS, tq, p.blobs![2], 'workflow']);
      expect(p.indexes).toEqual([NS]);
      expect(p.doubles![0]).toBe(1);
      expect(withinLimits(p)).toBe(true);
    }
    expect(ours[1]!.doubles![1]).toBeGreaterThanOrEqual(0);
  });

  it('a binding whose writes throw costs no task: the queue hands the task out all the same', async () => {
    const tq = unique('tq');
    let calls = 0;
    const task = await withBinding(
      tq,
      (_env, dataset) => {
        const write = dataset.writeDataPoint;
        dataset.writeDataPoint = () => {
          calls++;
          throw new Error('Analytics Engine refused the point');
        };
        return () => void (dataset.writeDataPoint = write);
      },
      async () => {
        const wid = unique('ae-throws');
        await startWorkflow(wid, tq);
        await settle(wid);
        return pollWorkflowTask(tq);
      },
    );
    expect(calls).toBeGreaterThan(0);
    expect(task?.workflowExecution.workflowId).toMatch(/^ae-throws/);
  });

  it('without the binding nothing is written and the queue works as before', async () => {
    const tq = unique('tq');
    let calls = 0;
    const task = await withBinding(
      tq,
      (env, dataset) => {
        const write = dataset.writeDataPoint;
        dataset.writeDataPoint = function (point) {
          calls++;
          return write.call(this, point);
        };
        delete env.ANALYTICS;
        return () => {
          env.ANALYTICS = dataset;
          dataset.writeDataPoint = write;
        };
      },
      async () => {
        const wid = unique('ae-absent');
        await startWorkflow(wid, tq);
        await settle(wid);
        return pollWorkflowTask(tq);
      },
    );
    expect(task?.workflowExecution.workflowId).toMatch(/^ae-absent/);
    expect(calls).toBe(0);
  });
});
