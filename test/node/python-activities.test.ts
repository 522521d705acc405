// examples/python-activities end to end: a TypeScript workflow worker and the Python activity
// worker (standard library only, a child process) against a local service. The Python side
// retries a retryable failure, fails fast on a non-retryable one, heartbeats with details,
// stops when the heartbeat's answer says it was cancelled, and on SIGTERM ends its polls with
// the poll-cancel endpoint before exiting.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from 'keel/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure, type WirePayload as Payload } from 'keel/common';
import { TestWorkflowEnvironment } from 'keel/testing';
import type { Worker } from 'keel/worker';
import { createWorkflowWorker, startTraining } from '../../examples/python-activities/main.js';
import { ACTIVITY_QUEUE } from '../../examples/python-activities/workflows.js';
import { waitFor } from './fixtures/wait.js';
import { keelHistory } from './fixtures/keel-history.js';

const workerPy = fileURLToPath(new URL('../../examples/python-activities/worker.py', import.meta.url));
const python = process.env.PYTHON ?? 'python3';
const decode = (p: Payload): unknown => JSON.parse(Buffer.from(p.data, 'base64').toString());

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let py: ChildProcess;
const pyLines: string[] = [];
const pyLine = (re: RegExp) => waitFor(`the Python worker to print ${re}`, () => pyLines.find((l) => re.test(l)));

beforeAll(async () => {
  if (spawnSync(python, ['--version']).status !== 0) throw new Error(`${python} is not installed: this suite runs the Python worker (.ci/run installs python3)`);
  env = await TestWorkflowEnvironment.createLocal();
  py = spawn(python, [workerPy], { env: { ...process.env, KEEL_ADDRESS: env.address, KEEL_NAMESPACE: env.namespace, PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let rest = '';
  py.stdout!.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop()!;
    pyLines.push(...lines);
  });
  await pyLine(/^polling activity tasks on 'python-activities'/);
  worker = await createWorkflowWorker(env.nativeConnection);
  running = worker.run();
});
afterAll(async () => {
  if (py && py.exitCode === null && py.signalCode === null) py.kill('SIGKILL');
  worker?.shutdown();
  await running;
  await env?.teardown();
});

describe('a TypeScript workflow with Python activities', () => {
  it('retries the Python activity’s retryable failures, then trains with heartbeats to a result', async () => {
    const handle = await startTraining(env.client, 'py-retry', { dataset: 'iris', epochs: 5, epochSeconds: 0.01, flakyAttempts: 2 });
    expect(await handle.result()).toEqual({ epochs: 5, loss: 0.59049, mean: 4.9125 });
    expect(pyLines).toEqual(expect.arrayContaining(['fetchDataset failed (attempt 1): SourceUnavailable', 'fetchDataset failed (attempt 2): SourceUnavailable', 'fetchDataset completed (attempt 3)']));
    // The service recorded the third attempt as the one that started, with the second's failure.
    const { events } = await handle.fetchHistory().then(keelHistory);
    const started = events.filter((e) => e.eventType === 'ActivityTaskStarted').map((e) => e.attributes as { attempt: number; lastFailure?: { applicationFailureInfo?: { type?: string } } });
    expect(started[0]).toMatchObject({ attempt: 3, lastFailure: { applicationFailureInfo: { type: 'SourceUnavailable' } } });
  });

  it('fails the workflow at once on the Python activity’s non-retryable failure, in Temporal’s failure shape', async () => {
    const handle = await startTraining(env.client, 'py-nonretryable', { dataset: 'no-such-set', epochs: 5 });
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = (err as WorkflowFailedError).cause as ActivityFailure;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    expect(activityFailure.activityType).toBe('fetchDataset');
    const cause = activityFailure.cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect({ type: cause.type, nonRetryable: cause.nonRetryable, message: cause.message }).toEqual({ type: 'DatasetNotFound', nonRetryable: true, message: "no dataset named 'no-such-set'" });
    expect(cause.stack).toContain('worker.py');
    expect(pyLines.filter((l) => l.startsWith('fetchDataset failed') && l.includes('DatasetNotFound'))).toEqual(['fetchDataset failed (attempt 1): DatasetNotFound non-retryable']);
  });

  it('cancels the long Python activity through its heartbeat’s answer; it reports the epoch it stopped at', async () => {
    const handle = await startTraining(env.client, 'py-cancel', { dataset: 'digits', epochs: 1_000_000, epochSeconds: 0.02 });
    // Running and heartbeating: its details are on the pending activity.
    const epoch = await waitFor('trainModel to heartbeat epoch 3', async () => {
      const [pending] = (await handle.describe()).raw.pendingActivities;
      const details = pending?.activityType === 'trainModel' ? pending.heartbeatDetails?.[0] : undefined;
      const seen = details ? (decode(details) as { epoch: number }).epoch : 0;
      return seen >= 3 ? seen : undefined;
    });
    await handle.cancel();
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    // WAIT_CANCELLATION_COMPLETED: the run closed only after Python reported the cancellation.
    const { events } = await handle.fetchHistory().then(keelHistory);
    const canceled = events.find((e) => e.eventType === 'ActivityTaskCanceled')?.attributes as { details?: Payload[] } | undefined;
    const stoppedAt = decode(canceled!.details![0]!) as { epoch: number; loss: number };
    expect(stoppedAt.epoch).toBeGreaterThan(epoch);
    expect(events.at(-1)?.eventType).toBe('WorkflowExecutionCanceled');
    await pyLine(new RegExp(`^trainModel cancelled at \\{"epoch": ${stoppedAt.epoch}, `));
  });

  it('on SIGTERM ends its waiting polls with the poll-cancel endpoint and exits', async () => {
    // Its pollers are all idle and waiting on the activity queue.
    await waitFor('the Python pollers', async () => {
      const { pollers } = await env.nativeConnection.call('describeTaskQueue', { kind: 'activity' }, { namespace: env.namespace, params: { taskQueue: ACTIVITY_QUEUE } });
      return pollers.some((p) => p.identity.startsWith('python-worker-'));
    });
    const exited = once(py, 'exit');
    py.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
    const ended = pyLines.find((l) => l.startsWith('SIGTERM: ended'));
    expect(ended).toMatch(/^SIGTERM: ended [1-9]\d* waiting polls$/);
    expect(pyLines.at(-1)).toBe('stopped');
  });
});
