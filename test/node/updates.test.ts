// Updates end to end: validators, handlers, stages, idempotent update ids, allHandlersFinished, a
// worker that replays an accepted update, a closed workflow, no worker, and replay of a recorded history.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApplicationFailure,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowUpdateStage,
  type History,
} from 'keel/client';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import { add, addLater, counter, finish, refuse, release, sneaky, total, whoAmI } from './fixtures/update-workflows.js';
import { recordedHistory } from './fixtures/recorded-histories.js';
import { waitFor } from './fixtures/wait.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/update-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

const types = (h: { events: Array<{ eventType: string }> }) => h.events.map((e) => e.eventType);

async function newWorker(taskQueue: string, options: Partial<Parameters<typeof Worker.create>[0]> = {}) {
  return Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, shutdownSignals: [], ...options });
}

describe('updates', () => {
  it('executeUpdate returns the handler result; history has UpdateAccepted then UpdateCompleted; a query sees the new state', async () => {
    const taskQueue = 'updates-basic';
    const worker = await newWorker(taskQueue);
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(counter, { taskQueue, workflowId: 'upd-basic', args: [10] });
      expect(await handle.executeUpdate(add, { args: [5] })).toBe(15);
      expect(await handle.executeUpdate('add', { args: [1] })).toBe(16);
      expect(await handle.query(total)).toBe(16);
      const history = await handle.fetchHistory().then(keelHistory);
      const accepted = history.events.filter((e) => e.eventType === 'WorkflowExecutionUpdateAccepted');
      const completed = history.events.filter((e) => e.eventType === 'WorkflowExecutionUpdateCompleted');
      expect(accepted).toHaveLength(2);
      expect(completed).toHaveLength(2);
      const a = accepted[0]!.attributes as { acceptedRequest: { meta: { updateId: string }; input: { name: string } } };
      const c = completed[0]!.attributes as { meta: { updateId: string }; acceptedEventId: number; outcome: { success?: unknown } };
      expect(a.acceptedRequest.input.name).toBe('add');
      expect(c.meta.updateId).toBe(a.acceptedRequest.meta.updateId);
      expect(c.acceptedEventId).toBe(accepted[0]!.eventId);
      expect(c.outcome.success).toBeDefined();
      expect(await handle.executeUpdate(whoAmI, { updateId: 'who-1' })).toBe('whoAmI:who-1');
      await handle.signal(finish);
      expect(await handle.result()).toBe(16);
    });
  });

  it('an update rejected by its validator leaves history unchanged, not even workflow task events', async () => {
    const taskQueue = 'updates-rejected';
    const worker = await newWorker(taskQueue);
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(counter, { taskQueue, workflowId: 'upd-rejected', args: [0] });
      await waitFor('the first workflow task to complete', async () => types(await handle.fetchHistory().then(keelHistory)).includes('WorkflowTaskCompleted'));
      const before = await handle.fetchHistory().then(keelHistory);

      const err = await handle.executeUpdate(add, { args: [0] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((err as WorkflowUpdateFailedError).cause).toBeInstanceOf(ApplicationFailure);
      expect((err as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'BadAmount', message: 'amount must be at least 1, got 0' });

      // Validators are read-only: one that starts a timer rejects its update.
      const sneakyErr = await handle.executeUpdate(sneaky).catch((e: unknown) => e);
      expect(sneakyErr).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String(((sneakyErr as WorkflowUpdateFailedError).cause as Error).message)).toMatch(/cannot be used in a query handler/);

      // No handler: rejected, and the message lists the registered updates.
      const unknown = await handle.executeUpdate('nope').catch((e: unknown) => e);
      expect(((unknown as WorkflowUpdateFailedError).cause as Error).message).toMatch(/No registered handler for update: nope\. Registered updates: \[add, addLater, refuse, sneaky, whoAmI\]/);

      expect(await handle.fetchHistory().then(keelHistory)).toEqual(before);
      expect(await handle.query(total)).toBe(0);
      await handle.terminate();
    });
  });

  it('a handler that throws an ApplicationFailure fails the update, and the workflow goes on', async () => {
    const taskQueue = 'updates-handler-failure';
    const worker = await newWorker(taskQueue);
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(counter, { taskQueue, workflowId: 'upd-handler-failure', args: [1] });
      const err = await handle.executeUpdate(refuse, { args: ['no stock'] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((err as WorkflowUpdateFailedError).cause).toMatchObject({ message: 'refused: no stock', type: 'Refused' });
      const completed = (await handle.fetchHistory().then(keelHistory)).events.find((e) => e.eventType === 'WorkflowExecutionUpdateCompleted');
      expect((completed!.attributes as { outcome: { failure?: { message: string } } }).outcome.failure?.message).toBe('refused: no stock');
      expect(await handle.executeUpdate(add, { args: [1] })).toBe(2);
      await handle.signal(finish);
      expect(await handle.result()).toBe(2);
    });
  });

  it('startUpdate returns once accepted; result() waits for the handler; a repeated update id gets the same outcome and writes nothing', async () => {
    const taskQueue = 'updates-start';
    const worker = await newWorker(taskQueue);
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(counter, { taskQueue, workflowId: 'upd-start', args: [100] });
      const update = await handle.startUpdate(addLater, { args: [1], updateId: 'later-1', waitForStage: WorkflowUpdateStage.ACCEPTED });
      expect(update.updateId).toBe('later-1');
      expect(update.workflowId).toBe('upd-start');
      expect(update.workflowRunId).toBe(handle.firstExecutionRunId);
      await waitFor('the handler to start', async () => types(await handle.fetchHistory().then(keelHistory)).filter((t) => t === 'WorkflowTaskCompleted').length >= 2);
      expect(types(await handle.fetchHistory().then(keelHistory))).not.toContain('WorkflowExecutionUpdateCompleted');

      // The same id again, while the handler runs: the same update, no second accepted event.
      const again = await handle.startUpdate(addLater, { args: [1], updateId: 'later-1', waitForStage: WorkflowUpdateStage.ACCEPTED });
      expect(again.updateId).toBe('later-1');
      expect(types(await handle.fetchHistory().then(keelHistory)).filter((t) => t === 'WorkflowExecutionUpdateAccepted')).toHaveLength(1);

      await handle.signal(release);
      expect(await update.result()).toBe(101);
      expect(await handle.getUpdateHandle<number>('later-1').result()).toBe(101);
      expect(await env.client.workflow.getHandle('upd-start').getUpdateHandle<number>('later-1').result()).toBe(101);
      // Completed: a retry with the same id returns the first outcome, and history is unchanged.
      const before = await handle.fetchHistory().then(keelHistory);
      expect(await handle.executeUpdate(addLater, { args: [1], updateId: 'later-1' })).toBe(101);
      expect(await handle.fetchHistory().then(keelHistory)).toEqual(before);
      await handle.signal(finish);
      expect(await handle.result()).toBe(101);
    });
  });

  it('the workflow waits with allHandlersFinished until a running update handler ends', async () => {
    const taskQueue = 'updates-all-handlers';
    const worker = await newWorker(taskQueue);
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(counter, { taskQueue, workflowId: 'upd-all-handlers', args: [0] });
      const update = await handle.startUpdate(addLater, { args: [3], waitForStage: WorkflowUpdateStage.ACCEPTED });
      await handle.signal(finish);
      await waitFor('the finish signal to be handled', async () => types(await handle.fetchHistory().then(keelHistory)).filter((t) => t === 'WorkflowTaskCompleted').length >= 3);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      await handle.signal(release);
      expect(await update.result()).toBe(3);
      expect(await handle.result()).toBe(3);
    });
  });

  it('an update to a closed workflow fails with WorkflowNotFoundError and writes nothing', async () => {
    const taskQueue = 'updates-closed';
    const worker = await newWorker(taskQueue);
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(counter, { taskQueue, workflowId: 'upd-closed', args: [0] });
      await handle.signal(finish);
      await handle.result();
      const before = await handle.fetchHistory().then(keelHistory);
      await expect(handle.executeUpdate(add, { args: [1] })).rejects.toBeInstanceOf(WorkflowNotFoundError);
      expect(await handle.fetchHistory().then(keelHistory)).toEqual(before);
    });
  });

  it('a worker that did not see the handler end replays the accepted update and runs the handler again', async () => {
    const taskQueue = 'updates-replayed';
    const first = await newWorker(taskQueue, { identity: 'first', stickyQueueScheduleToStartTimeout: '200ms' });
    const handle = await env.client.workflow.start(counter, { taskQueue, workflowId: 'upd-replayed', args: [40] });
    const update = await first.runUntil(async () => {
      const u = await handle.startUpdate(addLater, { args: [2], waitForStage: WorkflowUpdateStage.ACCEPTED });
      await waitFor('the first worker to run the handler', async () => types(await handle.fetchHistory().then(keelHistory)).filter((t) => t === 'WorkflowTaskCompleted').length >= 2);
      return u;
    });
    // A fresh worker has no cached state: it replays the history, whose accepted event runs the handler again.
    const second = await newWorker(taskQueue, { identity: 'second' });
    await second.runUntil(async () => {
      await handle.signal(release);
      expect(await update.result()).toBe(42);
      await handle.signal(finish);
      expect(await handle.result()).toBe(42);
    });
    const history = await handle.fetchHistory().then(keelHistory);
    expect(types(history).filter((t) => t === 'WorkflowExecutionUpdateCompleted')).toHaveLength(1);
    // Worker.runReplayHistory passes on the recorded history with accepted and completed updates.
    for (const h of [history, recordedHistory('updates-accepted-completed', history)]) {
      await expect(Worker.runReplayHistory({ workflowsPath }, h, 'upd-replayed')).resolves.toBeUndefined();
    }
  });
});

describe('updates without a worker', () => {
  let quick: TestWorkflowEnvironment;
  beforeAll(async () => {
    quick = await TestWorkflowEnvironment.createLocal({ server: { bindings: { KEEL_LONG_POLL_MS: '1000' } } });
  });
  afterAll(async () => {
    await quick?.teardown();
  });

  it('fails with WorkflowUpdateRPCTimeoutOrCancelledError after the bounded wait, and writes nothing', async () => {
    const handle = await quick.client.workflow.start(counter, { taskQueue: 'nobody-polls', workflowId: 'upd-no-worker', args: [0] });
    const before = await handle.fetchHistory().then(keelHistory);
    const err = await handle.executeUpdate(add, { args: [1] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateRPCTimeoutOrCancelledError);
    expect((err as Error).message).toMatch(/No worker validated update 'add'.*task queue 'nobody-polls'/);
    expect(await handle.fetchHistory().then(keelHistory)).toEqual(before);

    // A deadline the caller sets ends the call the same way.
    const late = await quick.client.withDeadline(Date.now() + 200, () => handle.executeUpdate(add, { args: [1] })).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(WorkflowUpdateRPCTimeoutOrCancelledError);
  });
});
