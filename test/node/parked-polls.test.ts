// Protocol 10 end to end: a worker parks its polls of a queue once a long poll there comes back empty
// (sdk/worker/queue-parking.ts), so an idle worker keeps no queue object active; a shard that hands the
// queue a task no poll waited for wakes it over its channel (src/workflow-object/queue-wakes.ts); a wake
// lost is made up for by the poll the worker sends when a channel opens again, or by the backstop check.
// Long polls are held 1.1 s here, so a worker parks soon after it starts.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { NativeConnection, Worker } from 'keel/worker';
import { stepElsewhere } from './fixtures/parking-workflows.js';
import { waitFor } from './fixtures/wait.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/parking-workflows.ts', import.meta.url));
// Longer than a queue holds an offer for a poll on its way (OFFER_HOLD_MS, 1 s), so a parked worker's first task is not held.
const LONG_POLL_MS = 1100;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  // Two shards, as a deployment has several: the worker keeps a channel to each, and the wake comes from the workflow's.
  env = await TestWorkflowEnvironment.createLocal({ server: { bindings: { KEEL_WORKFLOW_SHARDS: '2', KEEL_LONG_POLL_MS: String(LONG_POLL_MS) } } });
});
afterAll(async () => {
  await env?.teardown();
});

/** A connection that counts the worker's polls of its queues (not the sticky queue's, not the shards'), those in flight, and those that did not wait. */
async function countingConnection(taskQueue: string) {
  const polls = { workflow: 0, activity: 0, inFlight: 0, noWait: 0 };
  const connection = await NativeConnection.connect({ address: env.address });
  const call = connection.call.bind(connection);
  connection.call = (async (endpoint, request, options) => {
    const kind = endpoint === 'pollWorkflowTask' ? 'workflow' : endpoint === 'pollActivityTask' ? 'activity' : undefined;
    if (!kind || options?.params?.taskQueue !== taskQueue) return call(endpoint, request, options);
    polls[kind]++;
    if ((request as { waitMs?: number }).waitMs === 0) polls.noWait++;
    polls.inFlight++;
    try {
      return await call(endpoint, request, options);
    } finally {
      polls.inFlight--;
    }
  }) as typeof connection.call;
  return { connection, polls };
}

type Kind = 'workflow' | 'activity';
/** The worker's parking of its queues (sdk/worker/queue-parking.ts). */
const parkingOf = (worker: Worker, kind: Kind) => (worker as unknown as { parking: Record<Kind, { isParked: boolean; stats: { parked: number; checks: number; woken: number } }> }).parking[kind];
/** The worker's shard channels (sdk/client/shard-channels.ts). */
const channelsOf = (worker: Worker) => (worker as unknown as { channels: { openChannels: number; woken(wake: unknown): void; channels: Map<string, Map<string, { ws?: { terminate(): void } }>> } }).channels;

/** Starts a worker of workflows (and activities) on `wfQueue` and one of activities only on `actQueue`; resolves once every queue they poll is parked. */
async function parkedWorkers(wfQueue: string, actQueue: string, options: { parkedPollCheckInterval?: string } = {}) {
  const wf = await countingConnection(wfQueue);
  const act = await countingConnection(actQueue);
  const echo = async (s: string) => `${s} (echoed on ${actQueue})`;
  const workflowWorker = await Worker.create({ connection: wf.connection, taskQueue: wfQueue, workflowsPath, activities: { echo }, shutdownSignals: [], ...options });
  const activityWorker = await Worker.create({ connection: act.connection, taskQueue: actQueue, activities: { echo }, shutdownSignals: [], ...options });
  const running = [workflowWorker.run(), activityWorker.run()];
  // The shard polls too (they park by a rule of their own, sdk/worker/shard-pollers.ts): a new run's first task then goes to the queue.
  const shardPollers = (workflowWorker as unknown as { shardPollers?: { parkedShards: number } }).shardPollers;
  await waitFor('both workers to park their queues and shard polls', () => parkingOf(workflowWorker, 'workflow').isParked && parkingOf(workflowWorker, 'activity').isParked && parkingOf(activityWorker, 'activity').isParked && shardPollers?.parkedShards === 2);
  // Each keeps a channel open to each shard, for the wakes.
  await waitFor('the workers’ channels to every shard', () => channelsOf(workflowWorker).openChannels === 2 && channelsOf(activityWorker).openChannels === 2);
  const stop = async () => {
    workflowWorker.shutdown();
    activityWorker.shutdown();
    await Promise.all(running);
    await Promise.all([wf.connection.close(), act.connection.close()]);
  };
  return { workflowWorker, activityWorker, wf, act, stop };
}

describe('parked polls (protocol 10)', () => {
  it('an idle worker stops polling its queues once a long poll there comes back empty', async () => {
    const { workflowWorker, activityWorker, wf, act, stop } = await parkedWorkers('park-idle-wf', 'park-idle-act');
    try {
      await waitFor('no poll in flight', () => wf.polls.inFlight === 0 && act.polls.inFlight === 0);
      const before = { wf: { ...wf.polls }, act: { ...act.polls } };
      // Parked: over three long polls' time not one poll of either queue is sent (each loop used to poll again at once).
      await new Promise((r) => setTimeout(r, 3 * LONG_POLL_MS));
      expect(wf.polls).toEqual(before.wf);
      expect(act.polls).toEqual(before.act);
      expect(parkingOf(workflowWorker, 'workflow').isParked && parkingOf(workflowWorker, 'activity').isParked && parkingOf(activityWorker, 'activity').isParked).toBe(true);
    } finally {
      await stop();
    }
  });

  it('a workflow started while the worker is parked, and its activity on a parked queue of another worker, reach them through wakes', async () => {
    const wfQueue = 'park-wake-wf';
    const actQueue = 'park-wake-act';
    const { workflowWorker, activityWorker, stop } = await parkedWorkers(wfQueue, actQueue);
    try {
      // Checks so far: one per queue as each channel opened (wakes before then could not reach the worker).
      const checksBefore = parkingOf(workflowWorker, 'workflow').stats.checks + parkingOf(activityWorker, 'activity').stats.checks;
      const t0 = performance.now();
      // No eager start (the client's connection is not the worker's) and no shard poll waits: the first task goes to the queue's backlog.
      const result = await env.client.workflow.execute(stepElsewhere, { taskQueue: wfQueue, workflowId: 'park-wake-1', args: [actQueue, 'hello'] });
      const ms = performance.now() - t0;
      expect(result).toBe(`hello (echoed on ${actQueue})`);
      expect(parkingOf(workflowWorker, 'workflow').stats.woken).toBeGreaterThanOrEqual(1);
      expect(parkingOf(activityWorker, 'activity').stats.woken).toBeGreaterThanOrEqual(1);
      // Promptly: a wake and a poll, not a check (the backstop's minute) nor a queue's hold for a poll on its way (1 s).
      expect(ms).toBeLessThan(1000);
      expect(parkingOf(workflowWorker, 'workflow').stats.checks + parkingOf(activityWorker, 'activity').stats.checks).toBe(checksBefore);
    } finally {
      await stop();
    }
  });

  it('a wake lost while a channel was down: the worker polls its parked queue when the channel opens again', async () => {
    const wfQueue = 'park-reopen-wf';
    const { workflowWorker, activityWorker, stop } = await parkedWorkers(wfQueue, 'park-reopen-act', { parkedPollCheckInterval: '1h' });
    try {
      // Wakes are lost from now on (as if sent while the channel was down).
      const channels = channelsOf(workflowWorker);
      channels.woken = () => {};
      const handle = await env.client.workflow.start(stepElsewhere, { taskQueue: wfQueue, workflowId: 'park-reopen-1', args: ['park-reopen-act', 'again'] });
      await waitFor('the first task in the queue’s backlog', async () => {
        const { backlogCount } = await env.nativeConnection.call('describeTaskQueue', { kind: 'workflow' }, { namespace: env.namespace, params: { taskQueue: wfQueue } });
        return backlogCount === 1;
      });
      expect(parkingOf(workflowWorker, 'workflow').isParked).toBe(true);
      // The channels drop and open again: each opening polls the parked queues once, without waiting.
      for (const byShard of channels.channels.values()) for (const channel of byShard.values()) channel.ws?.terminate();
      expect(await handle.result()).toBe('again (echoed on park-reopen-act)');
      expect(parkingOf(workflowWorker, 'workflow').stats.checks).toBeGreaterThanOrEqual(1);
      void activityWorker;
    } finally {
      await stop();
    }
  });

  it('a wake lost for good: the backstop polls the parked queue without waiting, now and then', async () => {
    const wfQueue = 'park-backstop-wf';
    const { workflowWorker, wf, stop } = await parkedWorkers(wfQueue, 'park-backstop-act', { parkedPollCheckInterval: '300ms' });
    try {
      channelsOf(workflowWorker).woken = () => {};
      const result = await env.client.workflow.execute(stepElsewhere, { taskQueue: wfQueue, workflowId: 'park-backstop-1', args: ['park-backstop-act', 'late'] });
      expect(result).toBe('late (echoed on park-backstop-act)');
      expect(parkingOf(workflowWorker, 'workflow').stats.woken).toBe(0);
      expect(wf.polls.noWait).toBeGreaterThanOrEqual(1);
    } finally {
      await stop();
    }
  });
});
