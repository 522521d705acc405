// Asynchronous activity completion end to end: an activity throws CompleteAsyncError and is
// completed later through client.activity, by its task token or by workflow id + activity id;
// failed asynchronously; a heartbeat sees the cancellation the workflow asked for; the activity's
// timeouts still fire while it waits; the recorded history replays with Worker.runReplayHistory.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivityCancelledError, ActivityNotFoundError } from 'keel/client';
import { ApplicationFailure } from 'keel/common';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import * as activities from './fixtures/attrs-activities.js';
import { awaitAsyncActivity, cancelAsyncActivity, cancelIt } from './fixtures/attrs-workflows.js';
import { recordedHistory } from './fixtures/recorded-histories.js';
import { waitFor } from './fixtures/wait.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/attrs-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

const newWorker = (taskQueue: string) => Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, shutdownSignals: [] });
/** What the activity handed over, once its attempt has run and thrown CompleteAsyncError. */
const handedOver = (workflowId: string) => waitFor(`the activity of ${workflowId} to hand over its token`, () => activities.handedOver.get(workflowId));

describe('asynchronous activity completion', () => {
  it('completes by task token: the worker sent nothing, the activity stayed open until the client completed it', async () => {
    const worker = await newWorker('async-token');
    const workflowId = 'async-token-1';
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(awaitAsyncActivity, { taskQueue: 'async-token', workflowId, args: ['ship'] });
      const { taskToken, base64TaskToken } = await handedOver(workflowId);
      expect(taskToken).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(base64TaskToken, 'base64')).toEqual(Buffer.from(taskToken));
      // CompleteAsyncError sent nothing: the activity is still pending, started.
      const [pending] = (await handle.describe()).raw.pendingActivities;
      expect(pending).toMatchObject({ activityId: '1', state: 'STARTED' });

      await env.client.activity.heartbeat(taskToken, 'halfway');
      await env.client.activity.complete(taskToken, 'shipped later');
      return handle.result();
    });
    expect(result).toBe('shipped later');
    await expect(env.client.activity.complete(activities.handedOver.get(workflowId)!.taskToken, 'again')).rejects.toBeInstanceOf(ActivityNotFoundError);

    const history = await env.client.workflow.getHandle(workflowId).fetchHistory().then(keelHistory);
    for (const h of [history, recordedHistory('async-activity-completion', history)]) {
      await expect(Worker.runReplayHistory({ workflowsPath }, h, workflowId)).resolves.toBeUndefined();
    }
  });

  it('completes by workflow id + activity id', async () => {
    const worker = await newWorker('async-id');
    const workflowId = 'async-id-1';
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(awaitAsyncActivity, { taskQueue: 'async-id', workflowId, args: ['pack'] });
      const { activityId, runId } = await handedOver(workflowId);
      await env.client.activity.complete({ workflowId, activityId }, `packed (${runId === handle.firstExecutionRunId})`);
      return handle.result();
    });
    expect(result).toBe('packed (true)');
    await expect(env.client.activity.complete({ workflowId, activityId: 'nope' }, 1)).rejects.toBeInstanceOf(ActivityNotFoundError);
    await expect(env.client.activity.complete({ workflowId: 'no-such-workflow', activityId: '1' }, 1)).rejects.toBeInstanceOf(ActivityNotFoundError);
  });

  it('fails asynchronously: the workflow sees the ActivityFailure with the failure given', async () => {
    const worker = await newWorker('async-fail');
    const workflowId = 'async-fail-1';
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(awaitAsyncActivity, { taskQueue: 'async-fail', workflowId, args: ['charge'] });
      const { workflowId: wid, runId, activityId } = await handedOver(workflowId);
      await env.client.activity.fail({ workflowId: wid, runId, activityId }, ApplicationFailure.nonRetryable('card declined', 'Declined'));
      return handle.result();
    });
    expect(result).toBe('failed: card declined');
  });

  it('a heartbeat throws ActivityCancelledError once the workflow cancels the activity; reportCancellation ends it', async () => {
    const worker = await newWorker('async-cancel');
    const workflowId = 'async-cancel-1';
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(cancelAsyncActivity, { taskQueue: 'async-cancel', workflowId });
      const { taskToken } = await handedOver(workflowId);
      await env.client.activity.heartbeat(taskToken, 'working');
      await handle.signal(cancelIt);
      await waitFor('the heartbeat to see the cancellation', async () => {
        try {
          await env.client.activity.heartbeat(taskToken, 'still working');
          return false;
        } catch (err) {
          if (err instanceof ActivityCancelledError) return true;
          throw err;
        }
      });
      await env.client.activity.reportCancellation(taskToken, 'stopped');
      return handle.result();
    });
    expect(result).toBe('cancelled');
    const { events } = await env.client.workflow.getHandle(workflowId).fetchHistory().then(keelHistory);
    expect(events.map((e) => e.eventType)).toContain('ActivityTaskCanceled');
  });

  it("the activity's heartbeat timeout still fires while it waits to be completed", async () => {
    const worker = await newWorker('async-timeout');
    const workflowId = 'async-timeout-1';
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(awaitAsyncActivity, { taskQueue: 'async-timeout', workflowId, args: ['forgotten'] });
      const { taskToken } = await handedOver(workflowId);
      // The one heartbeat the outside system sends: from here the 10-minute heartbeat timeout runs.
      await env.client.activity.heartbeat(taskToken, 'started');
      await env.advanceTime(workflowId, '11 minutes');
      const r = await handle.result();
      await expect(env.client.activity.complete(taskToken, 'too late')).rejects.toBeInstanceOf(ActivityNotFoundError);
      return r;
    });
    expect(result).toBe('timed out: HEARTBEAT');
  });
});
