// Cancelling a workflow end to end: the cancellation reaches its running activity.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from 'keel/client';
import { CancelledFailure } from 'keel/common';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import * as activities from './fixtures/sdk-activities.js';
import { cancellableWork, stateQuery } from './fixtures/sdk-workflows.js';
import { waitFor } from './fixtures/wait.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/sdk-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

const newWorker = (taskQueue: string) => Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, shutdownSignals: [] });

/** Starts `cancellableWork`, waits until its activity heartbeats, cancels the workflow, and returns how result() settled. */
async function cancelWhileActivityRuns(taskQueue: string, workflowId: string, onCancel: 'rethrow' | 'return') {
  const worker = await newWorker(taskQueue);
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start(cancellableWork, { taskQueue, workflowId, args: [onCancel] });
    await waitFor('the activity to start', () => (activities.seen.get(workflowId)?.attempts.length ?? 0) > 0);
    await handle.cancel();
    const settled = await handle.result().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    // Answered by replaying the closed run's history.
    const state = await handle.query(stateQuery);
    return { handle, settled, state };
  });
}

describe('cancellation', () => {
  it('cancelling a workflow cancels its running activity, and a workflow that rethrows ends cancelled', async () => {
    const { handle, settled, state } = await cancelWhileActivityRuns('cancel-rethrow', 'cancel-rethrow-1', 'rethrow');
    expect(state).toBe('cancelled');
    // The activity learnt of the cancellation through its heartbeat, as an aborted signal.
    expect(activities.seen.get('cancel-rethrow-1')?.abortReasons).toEqual(['CANCELLED']);
    expect('error' in settled).toBe(true);
    const err = (settled as { error: unknown }).error;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const description = await handle.describe();
    expect(description.status.name).toBe('CANCELLED');
    const types = (await handle.fetchHistory().then(keelHistory)).events.map((e) => e.eventType);
    expect(types).toContain('WorkflowExecutionCancelRequested');
    expect(types).toContain('ActivityTaskCancelRequested');
    expect(types).toContain('ActivityTaskCanceled');
    expect(types.at(-1)).toBe('WorkflowExecutionCanceled');
  });

  it('a workflow that catches the cancellation can clean up and return a value of its choosing', async () => {
    const { handle, settled, state } = await cancelWhileActivityRuns('cancel-return', 'cancel-return-1', 'return');
    expect(state).toBe('cancelled');
    expect(activities.seen.get('cancel-return-1')?.abortReasons).toEqual(['CANCELLED']);
    // The cleanup activity ran in a non-cancellable scope after the cancellation.
    expect(activities.seen.get('cancel-return-1')?.calls).toEqual([99]);
    expect(settled).toEqual({ value: 'step-99' });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });
});
