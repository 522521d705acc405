// Protocol 6 end to end: the SDK worker learns the service's shard count from its first workflow-task
// poll's answer and then long-polls its normal queue at every shard too (sdk/worker/shard-pollers.ts);
// new runs' first tasks reach it there (src/workflow-object/shard-polls.ts). A stopping worker ends its
// shard polls (`/workers/shutdown`): the service answers each, none is left for the worker to abandon.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowTask } from 'keel/protocol';
import { TestWorkflowEnvironment } from 'keel/testing';
import { NativeConnection, Worker } from 'keel/worker';
import * as activities from './fixtures/sdk-activities.js';
import { handleSecret } from './fixtures/sdk-workflows.js';
import { waitFor, waitForPoller } from './fixtures/wait.js';
import { SHARDS, createShardedService } from './fixtures/sharded-service.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/sdk-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createShardedService();
});
afterAll(async () => {
  await env?.teardown();
});

/** A connection that watches the worker's shard polls: in flight, answered (with the tasks they brought), failed. */
async function watchedConnection() {
  const shardPolls = { inFlight: 0, answered: 0, failed: 0, shards: new Set<string>(), tasks: [] as WorkflowTask[] };
  const connection = await NativeConnection.connect({ address: env.address });
  const call = connection.call.bind(connection);
  connection.call = (async (endpoint, request, options) => {
    if (endpoint !== 'pollShardWorkflowTask') return call(endpoint, request, options);
    shardPolls.inFlight++;
    shardPolls.shards.add(options!.params!.shard!);
    try {
      const res = (await call(endpoint, request, options)) as { task?: WorkflowTask; moreTasks?: WorkflowTask[] };
      shardPolls.answered++;
      if (res.task) shardPolls.tasks.push(res.task, ...(res.moreTasks ?? []));
      return res;
    } catch (err) {
      shardPolls.failed++;
      throw err;
    } finally {
      shardPolls.inFlight--;
    }
  }) as typeof connection.call;
  return { connection, shardPolls };
}

describe('shard polls (protocol 6)', () => {
  it('a worker polls every shard once the service says how many, new runs’ first tasks come through them, and it stops with no poll left behind', async () => {
    const { connection, shardPolls } = await watchedConnection();
    const taskQueue = 'shard-polls-e2e';
    const worker = await Worker.create({ connection, identity: 'shard-worker', taskQueue, workflowsPath, activities, shutdownSignals: [] });
    const results = await worker.runUntil(async () => {
      // The first run's task comes through the queue; its poll's answer names the shards.
      const first = await env.client.workflow.execute(handleSecret, { taskQueue, workflowId: 'shard-polls-0', args: ['s-0'] });
      const later: unknown[] = [];
      for (let i = 1; i <= 6; i++) {
        await waitFor('a shard poll at each shard', () => shardPolls.inFlight === SHARDS);
        later.push(await env.client.workflow.execute(handleSecret, { taskQueue, workflowId: `shard-polls-${i}`, args: [`s-${i}`] }));
      }
      // The worker polls the queue too: describe still lists it.
      await waitForPoller(env, taskQueue, 'shard-worker');
      return [first, ...later];
    });
    expect(results).toEqual(Array.from({ length: 7 }, (_, i) => `s-${i} (seen by the activity)`));
    expect([...shardPolls.shards].sort()).toEqual(['0', '1']);
    expect(shardPolls.tasks.length).toBeGreaterThan(0);
    for (const task of shardPolls.tasks) expect(task).toMatchObject({ attempt: 1, startedEventId: 3, previousStartedEventId: 0 });
    // Stopped: the service answered every shard poll (empty, ended by /workers/shutdown); none was abandoned.
    expect(shardPolls).toMatchObject({ inFlight: 0, failed: 0 });
    await connection.close();
  });

  it('with pollShards false, the worker polls the queue only, as against a service without shards', async () => {
    const { connection, shardPolls } = await watchedConnection();
    const taskQueue = 'no-shard-polls-e2e';
    const worker = await Worker.create({ connection, taskQueue, workflowsPath, activities, pollShards: false, shutdownSignals: [] });
    const result = await worker.runUntil(async () => {
      await env.client.workflow.execute(handleSecret, { taskQueue, workflowId: 'no-shard-polls-0', args: ['n-0'] });
      return env.client.workflow.execute(handleSecret, { taskQueue, workflowId: 'no-shard-polls-1', args: ['n-1'] });
    });
    expect(result).toBe('n-1 (seen by the activity)');
    expect(shardPolls.answered + shardPolls.failed).toBe(0);
    await connection.close();
  });
});
