// Group commit end to end (protocol 5, the worker's `batchCompletions`): completions of tasks the
// service keeps in one shard, made while an exchange for that shard is in flight, queue behind it and
// go together in one `/tasks/batch` exchange when it returns; each caller gets its own answer, and the
// runs complete as they do with single exchanges. With the option off, each goes alone at once.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'keel/client';
import { TestWorkflowEnvironment } from 'keel/testing';
import { NativeConnection, Worker } from 'keel/worker';
import { DEFAULT_WORKFLOW_SHARDS } from '../../sdk/testing/local-service.js';
import { shardOf } from '../../src/workflow-shards.js';
import { speculativeSteps, type StepActivities } from './fixtures/speculative-workflows.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/speculative-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

/** Waits for `done()` with a bound on the tries, yielding to the event loop between them. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (done()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/**
 * A connection that records the completion exchanges it sends (their paths and, for a batch, the
 * kinds of its items); the first workflow-task completion's answer reaches the worker only once
 * `release` is called.
 */
async function holdingConnection() {
  const sent: Array<{ path: string; kinds?: string[] }> = [];
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let held = false;
  const holding: typeof fetch = async (input, init) => {
    const path = new URL(String(input)).pathname.replace(/^.*\/namespaces\/[^/]+/, '');
    if (/complete|fail|batch/.test(path)) {
      const body = JSON.parse(String(init?.body ?? '{}')) as { items?: Array<{ kind: string }> };
      sent.push({ path, ...(body.items ? { kinds: body.items.map((i) => i.kind) } : {}) });
    }
    const res = await fetch(input, init);
    if (path === '/workflow-tasks/complete' && !held) {
      held = true;
      await released;
    }
    return res;
  };
  return { sent, release, connection: await NativeConnection.connect({ address: env.address, fetch: holding }) };
}

/** `n` workflow ids the service keeps in one shard. */
function idsInOneShard(prefix: string, n: number): string[] {
  const ids: string[] = [];
  for (let i = 0; ids.length < n; i++) if (shardOf(`${prefix}-${i}`, DEFAULT_WORKFLOW_SHARDS) === 0) ids.push(`${prefix}-${i}`);
  return ids;
}

/** The workflows report each step to a sink; these tests do not read it. */
const sinks = { steps: { done: { fn: () => undefined } } };
const activities: StepActivities = { step: async (i) => `step-${i}`, quick: async (s) => `quick-${s}` };
/** What the worker's completions wait behind, per shard (sdk/worker/shard-exchanges.ts). */
const queuedIn = (worker: Worker) => [...(worker as unknown as { exchanges: { shards: Map<string, unknown[]> } }).exchanges.shards.values()].reduce((n, q) => n + q.length, 0);

describe('completions of one shard in one exchange', () => {
  it('completions made while one is in flight go in one /tasks/batch exchange, and every run completes with its own result', async () => {
    const taskQueue = 'batch-on';
    const { sent, release, connection } = await holdingConnection();
    const worker = await Worker.create({ connection, taskQueue, workflowsPath, activities, sinks, shutdownSignals: [] });
    const client = new Client({ connection });
    const ids = idsInOneShard(taskQueue, 6);
    const results = worker.runUntil(async () => {
      const handles = await Promise.all(ids.map((workflowId) => client.workflow.start(speculativeSteps, { taskQueue, workflowId, args: [2] })));
      // The first completion is held on its way back; the other five queue behind it.
      await until(() => queuedIn(worker) === ids.length - 1, 'five completions queued behind the first');
      expect(sent.filter((s) => s.path === '/workflow-tasks/complete')).toHaveLength(1);
      release();
      return Promise.all(handles.map((h) => h.result()));
    });
    for (const r of await results) expect(r.results).toEqual(['step-0', 'step-1']);
    expect(sent.find((s) => s.path === '/tasks/batch')?.kinds).toEqual(Array(ids.length - 1).fill('completeWorkflowTask'));
    const stats = (worker as unknown as { exchanges: { stats: { batches: number; batchedItems: number } } }).exchanges.stats;
    expect(stats.batches).toBeGreaterThanOrEqual(1);
    expect(stats.batchedItems).toBeGreaterThanOrEqual(ids.length - 1);
    // Every history replays against the workflow code.
    for (const workflowId of ids) await Worker.runReplayHistory({ workflowsPath }, await client.workflow.getHandle(workflowId).fetchHistory());
  });

  it('with batchCompletions off, each completion goes alone at once, in flight beside the held one', async () => {
    const taskQueue = 'batch-off';
    const { sent, release, connection } = await holdingConnection();
    const worker = await Worker.create({ connection, taskQueue, workflowsPath, activities, sinks, shutdownSignals: [], batchCompletions: false });
    const client = new Client({ connection });
    const ids = idsInOneShard(taskQueue, 4);
    const results = worker.runUntil(async () => {
      const handles = await Promise.all(ids.map((workflowId) => client.workflow.start(speculativeSteps, { taskQueue, workflowId, args: [1] })));
      await until(() => sent.filter((s) => s.path === '/workflow-tasks/complete').length === ids.length, 'every first completion sent');
      release();
      return Promise.all(handles.map((h) => h.result()));
    });
    for (const r of await results) expect(r.results).toEqual(['step-0']);
    expect(sent.some((s) => s.path === '/tasks/batch')).toBe(false);
  });
});
