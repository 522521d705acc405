// Speculative workflow tasks end to end (protocol 4, the worker's `speculativeWorkflowTasks`): the
// worker holding a run sends an activity's result together with the workflow task it causes, which it
// ran ahead on its cached run. The service takes it only if the run is where the worker predicted;
// otherwise the worker drops what it ran ahead and the run goes on the ordinary way.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'keel/client';
import { TestWorkflowEnvironment } from 'keel/testing';
import { NativeConnection, Worker } from 'keel/worker';
import { keelHistory } from './fixtures/keel-history.js';
import { parallelSteps, poke, progress, speculativeSteps, stepThenLocal, type StepActivities } from './fixtures/speculative-workflows.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/speculative-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

/**
 * A connection that counts the requests it sends, by path; while `hold.polls` is set, a workflow-task
 * poll's answer that carries a task reaches the worker only once it resolves.
 */
async function countingConnection() {
  const requests = new Map<string, number>();
  const hold: { polls?: Promise<void>; answered?: (path: string) => void } = {};
  const counting: typeof fetch = async (input, init) => {
    const path = new URL(String(input)).pathname.replace(/^.*\/namespaces\/[^/]+/, '');
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const res = await fetch(input, init);
    if (hold.polls && path.endsWith('/workflow-tasks/poll') && (await res.clone().text()).includes('taskToken')) await hold.polls;
    hold.answered?.(path);
    return res;
  };
  return { requests, hold, connection: await NativeConnection.connect({ address: env.address, fetch: counting }) };
}

/** A worker of the speculative workflows, recording its sink calls. */
async function newWorker(connection: NativeConnection, taskQueue: string, activities: StepActivities, speculativeWorkflowTasks = true) {
  const sinkCalls: number[] = [];
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath,
    activities,
    speculativeWorkflowTasks,
    shutdownSignals: [],
    sinks: { steps: { done: { fn: (_info, step: number) => void sinkCalls.push(step) } } },
  });
  const speculations = (worker as unknown as { workflows: { speculations: { accepted: number; refused: number } } }).workflows.speculations;
  return { worker, sinkCalls, speculations };
}

const quickActivities: StepActivities = { step: async (i) => `step-${i}`, quick: async (s) => `quick-${s}` };
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function historyOf(workflowId: string) {
  return env.client.workflow.getHandle(workflowId).fetchHistory().then(keelHistory);
}

describe('speculative workflow tasks', () => {
  it('ten sequential activities: one exchange per step, the same result and history shape, and a history that replays', async () => {
    const { requests, connection } = await countingConnection();
    const { worker, sinkCalls, speculations } = await newWorker(connection, 'spec-ten', quickActivities);
    const client = new Client({ connection });
    const result = await worker.runUntil(client.workflow.execute(speculativeSteps, { taskQueue: 'spec-ten', workflowId: 'spec-ten-1', args: [10], requestEagerStart: true }));
    expect(result.results).toEqual(range(10).map((i) => `step-${i}`));
    // The first task is completed on its own; every later one rides on its activity's completion.
    expect(speculations).toEqual({ accepted: 10, refused: 0 });
    expect(requests.get('/workflow-tasks/complete')).toBe(1);
    expect(requests.get('/activity-tasks/complete')).toBe(10);
    expect(sinkCalls).toEqual(range(10));

    const history = await historyOf('spec-ten-1');
    // The workflow's time in each speculative task is its WorkflowTaskStarted's, as recorded.
    const startedTimes = history.events.filter((e) => e.eventType === 'WorkflowTaskStarted').map((e) => Date.parse(e.eventTime));
    expect(result.times).toEqual(startedTimes.slice(1));
    await expect(Worker.runReplayHistory({ workflowsPath }, history, 'spec-ten-1')).resolves.toBeUndefined();

    // The same workflow without speculation writes a history of the same shape.
    const plain = await newWorker(connection, 'spec-ten-plain', quickActivities, false);
    await plain.worker.runUntil(client.workflow.execute(speculativeSteps, { taskQueue: 'spec-ten-plain', workflowId: 'spec-ten-plain-1', args: [10], requestEagerStart: true }));
    const shape = (h: typeof history) => h.events.map((e) => `${e.eventId} ${e.eventType}`);
    expect(shape(history)).toEqual(shape(await historyOf('spec-ten-plain-1')));
    await connection.close();
  });

  it('a signal sent while an activity runs makes the prediction wrong: the worker drops it and the run completes, having seen the signal', async () => {
    const { connection, hold } = await countingConnection();
    let entered!: () => void;
    const inStepOne = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const activities: StepActivities = {
      ...quickActivities,
      step: async (i) => {
        if (i === 1) {
          entered();
          await gate;
        }
        return `step-${i}`;
      },
    };
    const { worker, sinkCalls, speculations } = await newWorker(connection, 'spec-signal', activities);
    const client = new Client({ connection });
    const result = await worker.runUntil(async () => {
      const handle = await client.workflow.start(speculativeSteps, { taskQueue: 'spec-signal', workflowId: 'spec-signal-1', args: [3], requestEagerStart: true });
      await inStepOne;
      // A query reads the run the worker holds, and changes nothing.
      expect(await handle.query(progress)).toBe(1);
      // The signal's workflow task does not reach the worker before the activity's completion is answered.
      hold.polls = new Promise<void>((resolve) => {
        hold.answered = (path) => {
          if (path === '/activity-tasks/complete') resolve();
        };
      });
      await handle.signal(poke, 'p1');
      release();
      return handle.result();
    });
    expect(result).toMatchObject({ results: ['step-0', 'step-1', 'step-2'], pokes: ['p1'] });
    expect(speculations.refused).toBeGreaterThanOrEqual(1);
    expect(speculations.accepted).toBeGreaterThanOrEqual(1);
    // Each step's sink call made once: the refused task's calls were held and dropped.
    expect(sinkCalls).toEqual(range(3));
    await expect(Worker.runReplayHistory({ workflowsPath }, await historyOf('spec-signal-1'), 'spec-signal-1')).resolves.toBeUndefined();
    await connection.close();
  });

  it('a run refused three times (signals keep coming while its activities run) is not speculated again', async () => {
    const { connection, hold } = await countingConnection();
    const client = new Client({ connection });
    const workflowId = 'spec-refused-1';
    const activities: StepActivities = {
      ...quickActivities,
      step: async (i) => {
        if (i < 3) {
          // The signal's workflow task reaches the worker only after this activity's completion is answered.
          hold.polls = new Promise<void>((resolve) => {
            hold.answered = (path) => {
              if (path === '/activity-tasks/complete') resolve();
            };
          });
          await client.workflow.getHandle(workflowId).signal(poke, `p${i}`);
        }
        return `step-${i}`;
      },
    };
    const { worker, speculations } = await newWorker(connection, 'spec-refused', activities);
    const result = await worker.runUntil(client.workflow.execute(speculativeSteps, { taskQueue: 'spec-refused', workflowId, args: [5], requestEagerStart: true }));
    expect(result).toMatchObject({ results: range(5).map((i) => `step-${i}`), pokes: ['p0', 'p1', 'p2'] });
    expect(speculations).toEqual({ accepted: 0, refused: 3 });
    await expect(Worker.runReplayHistory({ workflowsPath }, await historyOf(workflowId), workflowId)).resolves.toBeUndefined();
    await connection.close();
  });

  it('activities side by side and a timer: results racing each other are taken or refused, and the run completes with a history that replays', async () => {
    const { connection } = await countingConnection();
    const { worker, speculations } = await newWorker(connection, 'spec-parallel', quickActivities);
    const client = new Client({ connection });
    const results = await worker.runUntil(Promise.all(range(5).map((i) => client.workflow.execute(parallelSteps, { taskQueue: 'spec-parallel', workflowId: `spec-parallel-${i}`, requestEagerStart: true }))));
    for (const r of results) expect(r).toEqual(['step-0', 'step-1', 'step-2', 'step-3']);
    expect(speculations.accepted).toBeGreaterThanOrEqual(5);
    for (const i of range(5)) await expect(Worker.runReplayHistory({ workflowsPath }, await historyOf(`spec-parallel-${i}`), `spec-parallel-${i}`)).resolves.toBeUndefined();
    await connection.close();
  });

  it('a task that asks for a local activity is not speculated: it runs the ordinary way', async () => {
    const { requests, connection } = await countingConnection();
    const { worker, speculations } = await newWorker(connection, 'spec-local', quickActivities);
    const client = new Client({ connection });
    const result = await worker.runUntil(client.workflow.execute(stepThenLocal, { taskQueue: 'spec-local', workflowId: 'spec-local-1', requestEagerStart: true }));
    expect(result).toBe('step-0 quick-x');
    expect(speculations).toEqual({ accepted: 0, refused: 0 });
    expect(requests.get('/workflow-tasks/complete')).toBe(2);
    await expect(Worker.runReplayHistory({ workflowsPath }, await historyOf('spec-local-1'), 'spec-local-1')).resolves.toBeUndefined();
    await connection.close();
  });
});
