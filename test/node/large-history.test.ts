// A workflow task whose history is too big for one answer (issue 12.1, 15.1): the service sends
// its first page with a nextPageToken and the worker reads the rest before it runs the task, so a
// run with megabytes of signals is served instead of stuck; its query is answered the same way.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import { Limits } from '../../protocol/index.js';
import * as activities from './fixtures/sdk-activities.js';
import { addItem, finish, itemLengthsQuery, measureItems } from './fixtures/sdk-workflows.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/sdk-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('histories bigger than one answer', () => {
  it('a cold worker reads a paged workflow task history and completes the run; a query replays it too', async () => {
    const taskQueue = 'large-history';
    const handle = await env.client.workflow.start(measureItems, { taskQueue, workflowId: 'large-history-1' });
    // Four signals of ~1.6 MB each while no worker runs: the next task's history is ~6.5 MB.
    const items = ['a', 'b', 'c', 'd'].map((c) => c.repeat(1_200_000));
    for (const item of items) await handle.signal(addItem, item);
    const { events } = await handle.fetchHistory();
    const bytes = JSON.stringify(events).length;
    expect(bytes).toBeGreaterThan(Limits.maxHistoryPageBytes);

    // maxCachedWorkflows 0: every task, and the query, replays the whole (paged) history.
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, shutdownSignals: [], maxCachedWorkflows: 0 });
    const { result, queried } = await worker.runUntil(async () => {
      await handle.signal(finish);
      const result = await handle.result();
      // The closed run's query replays its whole history, paged the same way.
      return { result, queried: await handle.query(itemLengthsQuery) };
    });
    expect(result).toEqual(items.map((i) => i.length));
    expect(queried).toEqual(result);
  });
});
