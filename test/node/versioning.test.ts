// Versioning end to end: patched() / deprecatePatch(). A run that took the old path before the
// patch replays it under the patched code; a new run takes the new branch and records a
// core_patch marker; Worker.runReplayHistory passes on both (histories committed as fixtures).
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { DeterminismViolationError, Worker } from 'keel/worker';
import { proceed, versioned } from './fixtures/patch-workflows-v2.js';
import { recordedHistory as fixture } from './fixtures/recorded-histories.js';
import { waitFor } from './fixtures/wait.js';
import { keelHistory } from './fixtures/keel-history.js';

const path = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const v1 = path('patch-workflows-v1.ts');
const v2 = path('patch-workflows-v2.ts');
const v3 = path('patch-workflows-v3.ts');
const activities = { step: async (name: string) => `${name} step` };
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('versioning: patched and deprecatePatch', () => {
  it('a run started before the patch replays the old path under v2; a new run takes the new branch with a core_patch marker', async () => {
    const taskQueue = 'versioning';
    const make = (workflowsPath: string, identity: string) =>
      Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, identity, maxCachedWorkflows: 0, shutdownSignals: [] });

    // v1 runs the old step, then waits for the signal.
    const old = await env.client.workflow.start(versioned, { taskQueue, workflowId: 'versioning-old' });
    const worker1 = await make(v1, 'v1');
    await worker1.runUntil(
      waitFor('the old run to wait for its signal', async () => {
        const events = (await old.fetchHistory().then(keelHistory)).events;
        return events.some((e) => e.eventType === 'ActivityTaskCompleted') && events.at(-1)?.eventType === 'WorkflowTaskCompleted';
      }),
    );

    // v2 picks the run up (no cache: it replays the v1 task), and it finishes on the old path.
    const worker2 = await make(v2, 'v2');
    const fresh = await env.client.workflow.start(versioned, { taskQueue, workflowId: 'versioning-new' });
    const [oldResult, newResult] = await worker2.runUntil(async () => {
      await old.signal(proceed);
      await fresh.signal(proceed);
      return Promise.all([old.result(), fresh.result()]);
    });
    expect(oldResult).toBe('old step');
    expect(newResult).toBe('new step');

    const oldHistory = await old.fetchHistory().then(keelHistory);
    const newHistory = await fresh.fetchHistory().then(keelHistory);
    expect(oldHistory.events.filter((e) => e.eventType === 'MarkerRecorded')).toEqual([]);
    const markers = newHistory.events.filter((e) => e.eventType === 'MarkerRecorded');
    expect(markers).toHaveLength(1);
    const marker = markers[0] as Extract<(typeof markers)[number], { eventType: 'MarkerRecorded' }>;
    expect(marker.attributes.markerName).toBe('core_patch');
    const data = marker.attributes.details['patch_data']![0]!;
    expect(JSON.parse(Buffer.from(data.data, 'base64').toString('utf8'))).toEqual({ id: 'new-step', deprecated: false });
    // The marker comes before the activity it chose.
    expect(newHistory.events.findIndex((e) => e.eventType === 'MarkerRecorded')).toBeLessThan(
      newHistory.events.findIndex((e) => e.eventType === 'ActivityTaskScheduled'),
    );

    // Replays: the committed fixtures (recorded by this test) and the fresh histories.
    for (const history of [oldHistory, fixture('patched-before-patch', oldHistory)]) {
      await expect(Worker.runReplayHistory({ workflowsPath: v1 }, history, 'versioning-old')).resolves.toBeUndefined();
      await expect(Worker.runReplayHistory({ workflowsPath: v2 }, history, 'versioning-old')).resolves.toBeUndefined();
    }
    for (const history of [newHistory, fixture('patched-after-patch', newHistory)]) {
      await expect(Worker.runReplayHistory({ workflowsPath: v2 }, history, 'versioning-new')).resolves.toBeUndefined();
      await expect(Worker.runReplayHistory({ workflowsPath: v3 }, history, 'versioning-new')).resolves.toBeUndefined();
      await expect(Worker.runReplayHistory({ workflowsPath: v1 }, history, 'versioning-new')).rejects.toThrow(DeterminismViolationError);
    }
  });

  it('deprecatePatch records a deprecated marker that v2 (patched) replays as taken', async () => {
    const taskQueue = 'versioning-deprecated';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: v3, activities, shutdownSignals: [] });
    const handle = await env.client.workflow.start(versioned, { taskQueue, workflowId: 'versioning-deprecated' });
    expect(await worker.runUntil(async () => (await handle.signal(proceed), handle.result()))).toBe('new step');
    const history = await handle.fetchHistory().then(keelHistory);
    const marker = history.events.find((e) => e.eventType === 'MarkerRecorded');
    expect(marker).toBeDefined();
    for (const h of [history, fixture('deprecated-patch', history)]) {
      await expect(Worker.runReplayHistory({ workflowsPath: v3 }, h, 'versioning-deprecated')).resolves.toBeUndefined();
      await expect(Worker.runReplayHistory({ workflowsPath: v2 }, h, 'versioning-deprecated')).resolves.toBeUndefined();
    }
  });
});
