// A task queue split over four partitions (the default), busy (adds and polls spread), end to end: a client on its own
// connection (no eager start, so every first workflow task goes through the queue) and several
// workers, each with its polls landing on partitions at random. Tasks queued before any worker
// polls, spread over the partitions, and tasks added while they poll all reach a worker, once.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from 'keel/client';
import { startLocalService, type LocalService } from 'keel/testing';
import { NativeConnection, Worker } from 'keel/worker';
import * as activities from './fixtures/activities.js';
import { keelHistory } from './fixtures/keel-history.js';
import { waitFor } from './fixtures/wait.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/workflows.ts', import.meta.url));
let service: LocalService;

beforeAll(async () => {
  // Spread from the first task, as a busy queue is (a quiet one keeps everything at its root).
  service = await startLocalService({ uiDir: false, bindings: { KEEL_TASK_QUEUE_PARTITIONS: JSON.stringify({ default: 4, spreadAbovePerSecond: 0 }) } });
});
afterAll(async () => {
  await service?.stop();
});

describe('a task queue with four partitions', () => {
  it('three workers run every workflow once: those queued before they polled and those started while they poll', async () => {
    const taskQueue = 'partitioned';
    const client = new Client({ connection: await Connection.connect({ address: service.address }) });
    const start = (i: number) => client.workflow.start('hello', { taskQueue, workflowId: `partitioned-${i}`, args: [`n${i}`] });
    const queued = await Promise.all(Array.from({ length: 12 }, (_, i) => start(i)));
    const backlog = () => client.connection.call('describeTaskQueue', { kind: 'workflow' }, { namespace: 'default', params: { taskQueue } }).then((d) => d.backlogCount);
    // Each start's task leaves its workflow's outbox after the start answers.
    await waitFor('the 12 first tasks in the backlog', async () => (await backlog()) === 12);

    const connections = await Promise.all([0, 1, 2].map(() => NativeConnection.connect({ address: service.address })));
    const workers = await Promise.all(connections.map((connection, i) => Worker.create({ connection, taskQueue, workflowsPath, activities, identity: `worker-${i}`, shutdownSignals: [] })));
    const running = workers.map((w) => w.run());
    try {
      const later = await Promise.all(Array.from({ length: 24 }, (_, i) => start(12 + i)));
      const results = await Promise.all([...queued, ...later].map((h) => h.result()));
      expect(results).toEqual(Array.from({ length: 36 }, (_, i) => `Hello, n${i}!`));
      for (const h of [...queued, ...later]) {
        const types = (await keelHistory(await h.fetchHistory())).events.map((e) => e.eventType);
        // Each task reached one worker once: as many starts as schedules, one activity run.
        expect(types.filter((t) => t === 'WorkflowTaskStarted').length).toBe(types.filter((t) => t === 'WorkflowTaskScheduled').length);
        expect(types.filter((t) => t === 'ActivityTaskStarted')).toHaveLength(1);
      }
      const after = await client.connection.call('describeTaskQueue', { kind: 'workflow' }, { namespace: 'default', params: { taskQueue } });
      expect(after.backlogCount).toBe(0);
      expect(after.pollers.map((p) => p.identity).sort()).toEqual(['worker-0', 'worker-1', 'worker-2']);
    } finally {
      for (const w of workers) w.shutdown();
      await Promise.all(running);
      await Promise.all(connections.map((c) => c.close()));
    }
  });
});
