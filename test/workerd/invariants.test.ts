/**
 * The design's invariants, each shown on the running service: one transaction per
 * state change; at-least-once hand-off from the outbox with stale tasks rejected; lost
 * tasks re-issued by their timeouts; payloads kept as opaque bytes; and request ids
 * that make a retried call harmless.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Payload } from '../../protocol/index.js';
import type { Txn } from '../../src/engine/transaction.js';
import { taskQueueStub } from '../../src/stubs.js';
import type { TaskRef } from '../../src/task-token.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { StateTable, pad } from '../../src/storage/state-table.js';
import { NS, advance, call, completeWorkflowTask, eventTypes, expectError, history, json, ok, pollActivityTask, pollWorkflowTask, queueState, settle, startAndCompleteFirstTask, startWorkflow, storedState, testEnv, unique, until, wfStub, stateRows, inWorkflow, wfObject, fireAlarm, hostStorage } from './helpers.js';

type Mutate = (fn: (tx: Txn) => unknown, request?: { requestId?: string; fingerprint: string }) => unknown;
const mutateOf = (o: WorkflowHost) => (o as unknown as { mutate: Mutate }).mutate.bind(o);

/** Stops the object from handing outbox rows to queues, as if it died right after each commit. */
const pauseDelivery = (wid: string) =>
  inWorkflow(NS, wid, (o: WorkflowHost) => {
    (o as unknown as { deliverOutbox: () => Promise<void> }).deliverOutbox = async () => {};
  });
const resumeDelivery = (wid: string) =>
  inWorkflow(NS, wid, (o: WorkflowHost) => {
    delete (o as unknown as { deliverOutbox?: unknown }).deliverOutbox;
  });
const outboxRows = (wid: string) => stateRows(wid, 'o/');

/**
 * A run waiting after its first task, then signalled with delivery paused: the signal's workflow task
 * is in the outbox. (A start's first task goes out as an offer, src/engine/task-offer.ts, not through the outbox.)
 */
async function signalledWithDeliveryPaused(wid: string, tq: string): Promise<{ runId: string }> {
  const { runId } = await startAndCompleteFirstTask(wid, tq);
  await pauseDelivery(wid);
  await ok('POST', `/workflows/${wid}/signal`, { signalName: 'go' });
  return { runId };
}
const AFTER_SIGNAL = ['WorkflowExecutionSignaled', 'WorkflowTaskScheduled'];

describe('invariant 1: every state change is one storage transaction', () => {
  it('a change that adds events and then throws leaves events, run rows, outbox and alarm as they were', async () => {
    const wid = unique('txn-throw');
    const tq = unique('tq');
    const { runId } = await startAndCompleteFirstTask(wid, tq, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 60_000 }]);
    const before = await storedState(wid);
    expect(before.alarm).not.toBeNull();

    const thrown = await inWorkflow(NS, wid, (o: WorkflowHost) => {
      try {
        mutateOf(o)((tx) => {
          const run = tx.loadRun(runId)!;
          tx.addEvent(run, 'WorkflowExecutionSignaled', { signalName: 'ghost-1', input: [] });
          tx.addEvent(run, 'WorkflowExecutionSignaled', { signalName: 'ghost-2', input: [] });
          run.status = 'COMPLETED';
          run.timers = {};
          tx.dispatch({ taskQueue: 'ghost-queue', kind: 'workflow', ref: { namespace: NS, workflowId: wid, runId, kind: 'workflow', scheduledEventId: 99, attempt: 1 } });
          tx.newCurrentRunId = 'ghost-run';
          throw new Error('engine bug');
        });
        return 'no throw';
      } catch (err) {
        return (err as Error).message;
      }
    });
    expect(thrown).toBe('engine bug');
    expect(await storedState(wid)).toEqual(before);

    // Nothing leaked: the next change gets the next event id and the run is still running.
    await ok('POST', `/workflows/${wid}/signal`, { signalName: 'real' });
    const events = await history(wid);
    expect(events.map((e) => e.eventId)).toEqual(events.map((_, i) => i + 1));
    expect(events.find((e) => e.eventType === 'WorkflowExecutionSignaled')!.attributes).toMatchObject({ signalName: 'real' });
  });

  it('a change whose write fails after its events, run row and outbox rows were written is rolled back whole', async () => {
    const wid = unique('txn-write-fails');
    const tq = unique('tq');
    const { runId } = await startAndCompleteFirstTask(wid, tq, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 60_000 }]);
    const before = await storedState(wid);

    const thrown = await inWorkflow(NS, wid, (o: WorkflowHost, state) => {
      // Every row of the change is written (events, runs, meta, outbox, the request record),
      // then one more INSERT fails in SQLite (a NULL where the table forbids it).
      const store = (o as unknown as { store: { write: (...args: unknown[]) => void } }).store;
      const write = store.write.bind(store);
      store.write = (...args) => {
        write(...args);
        state.storage.sql.exec(`INSERT INTO state (k, v) VALUES ('never', NULL)`);
      };
      try {
        mutateOf(o)(
          (tx) => {
            const run = tx.loadRun(runId)!;
            tx.addEvent(run, 'WorkflowExecutionSignaled', { signalName: 'half-written', input: [] });
            run.cancelRequested = true;
            tx.dispatch({ taskQueue: tq, kind: 'workflow', ref: { namespace: NS, workflowId: wid, runId, kind: 'workflow', scheduledEventId: 99, attempt: 1 } });
            tx.newCurrentRunId = 'half-written-run';
          },
          { requestId: 'req-that-cannot-be-stored', fingerprint: 'f' },
        );
        return 'no throw';
      } catch (err) {
        return (err as Error).message;
      } finally {
        store.write = write;
      }
    });
    expect(thrown).toMatch(/NOT NULL/);
    expect(await storedState(wid)).toEqual(before);
    expect(await queueState(tq)).toMatchObject({ backlog: [] });
  });
});

describe('invariant 2: hand-off is at-least-once from the outbox, exactly-once in effect', () => {
  it('a duplicated outbox row hands the task over twice; it is started once and the duplicate is dropped', async () => {
    const wid = unique('dup-outbox');
    const tq = unique('tq');
    await signalledWithDeliveryPaused(wid, tq);
    await inWorkflow(NS, wid, (o: WorkflowHost, state) => {
      // A copy of the row under a later key, as a repeated hand-off would see it.
      const table = new StateTable(state.storage.sql, [], hostStorage(o).scope, undefined, hostStorage(o).tables);
      for (const row of table.range('o/')) table.put(`o/${pad(Number(row.k.slice(2)) + 1_000_000)}`, row.v, row.n);
      // The object keeps its outbox in memory: make it read the planted row.
      (o as unknown as { store: { forget(): void } }).store.forget();
    });
    expect(await outboxRows(wid)).toHaveLength(2);
    await resumeDelivery(wid);
    await settle(wid);
    const q = await queueState(tq);
    expect(q.backlog).toHaveLength(2);
    expect(q.backlog[0]).toEqual(q.backlog[1]);

    const task = (await pollWorkflowTask(tq, 1000, 'worker-a'))!;
    expect(task.attempt).toBe(1);
    // Both rows, their task in the backlog, went with the task's start (WorkflowStore.queued).
    expect(await outboxRows(wid)).toHaveLength(0);
    expect(await pollWorkflowTask(tq, 100, 'worker-b')).toBeUndefined();
    expect((await queueState(tq)).backlog).toEqual([]);
    expect(eventTypes(await history(wid)).slice(-3)).toEqual([...AFTER_SIGNAL, 'WorkflowTaskStarted']);
    await completeWorkflowTask(task.taskToken, []);
  });

  it('the same task handed to a queue twice while workers wait reaches one worker; the other keeps waiting', async () => {
    const wid = unique('dup-add');
    const tq = unique('tq');
    await signalledWithDeliveryPaused(wid, tq);
    const ref = (JSON.parse((await outboxRows(wid))[0]!.v) as { ref: TaskRef }).ref;
    const queue = taskQueueStub(testEnv, NS, tq, 'workflow');
    const polls = [queue.poll('worker-a', 1000), queue.poll('worker-b', 1000)];
    await until(() => queueState(tq), (s) => s.waitingPollers === 2);

    expect(await queue.add(ref)).toBe('delivered');
    expect(await queue.add(ref)).toBe('stale');
    const got = await Promise.all(polls);
    expect(got.filter((t) => t === null)).toHaveLength(1);
    const task = got.find((t) => t !== null);
    expect(task?.kind === 'workflow' && task.task.workflowExecution.workflowId).toBe(wid);
    expect((await queueState(tq)).backlog).toEqual([]);
    expect(eventTypes(await history(wid)).filter((t) => t === 'WorkflowTaskStarted')).toHaveLength(2);
    await resumeDelivery(wid);
  });

  it('an outbox row committed but never handed off (the object died first) is delivered by the alarm', async () => {
    const wid = unique('outbox-alarm');
    const tq = unique('tq');
    const { runId } = await signalledWithDeliveryPaused(wid, tq);
    const stored = await storedState(wid);
    expect(stored.outbox).toHaveLength(1);
    expect(stored.alarm).not.toBeNull();
    expect((await queueState(tq)).backlog).toEqual([]);

    await resumeDelivery(wid);
    expect(await fireAlarm(wid)).toBe(true);
    expect((await queueState(tq)).backlog).toHaveLength(1);
    const task = (await pollWorkflowTask(tq))!;
    expect(task.workflowExecution.runId).toBe(runId);
    expect(await outboxRows(wid)).toEqual([]);
  });

  it('a row whose task its queue put in the backlog goes with the next change, in no commit of its own; lost from memory first, it is delivered again and the duplicate dropped', async () => {
    const wid = unique('queued-row');
    const tq = unique('tq');
    await signalledWithDeliveryPaused(wid, tq);
    await resumeDelivery(wid);
    // The hand-off: the queue holds the task, and the row stays, no longer due, without a write of its own.
    const written = await inWorkflow(NS, wid, async (o: WorkflowHost) => {
      const before = o.usage.peek().sqliteRowsWritten;
      await o.deliverOutbox();
      return o.usage.peek().sqliteRowsWritten - before;
    });
    expect(written).toBe(0);
    expect((await queueState(tq)).backlog).toHaveLength(1);
    expect(await outboxRows(wid)).toHaveLength(1);
    await settle(wid);
    expect((await queueState(tq)).backlog).toHaveLength(1);

    // The object forgets (a restart): the row is due again, handed over again, and the copy is stale.
    await inWorkflow(NS, wid, (o: WorkflowHost) => (o as unknown as { store: { forget(): void } }).store.forget());
    await settle(wid);
    expect((await queueState(tq)).backlog).toHaveLength(2);
    const task = (await pollWorkflowTask(tq, 1000, 'worker-a'))!;
    expect(task.attempt).toBe(1);
    // The task's start deleted the row in its own transaction.
    expect(await outboxRows(wid)).toEqual([]);
    expect(await pollWorkflowTask(tq, 100, 'worker-b')).toBeUndefined();
    expect(eventTypes(await history(wid)).filter((t) => t === 'WorkflowTaskStarted')).toHaveLength(2);
    await completeWorkflowTask(task.taskToken, []);
  });
});

describe('invariant 3: a worker that dies holding a task loses nothing', () => {
  it('a workflow task whose worker died is timed out and handed at once to another worker', async () => {
    const wid = unique('lost-wft');
    const tq = unique('tq');
    await startWorkflow(wid, tq, { workflowTaskTimeoutMs: 5000 });
    const lost = (await pollWorkflowTask(tq, 1000, 'worker-a'))!;

    await advance(wid, 5000);
    expect(eventTypes(await history(wid))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted', 'WorkflowTaskTimedOut']);
    expect((await history(wid)).at(-1)!.attributes).toMatchObject({ scheduledEventId: 2, startedEventId: 3, timeoutType: 'START_TO_CLOSE' });

    // "At once": no back-off before the second attempt, so a short poll gets it.
    const again = (await pollWorkflowTask(tq, 100, 'worker-b'))!;
    expect(again).toBeDefined();
    expect(again.attempt).toBe(2);
    expect(eventTypes(again.history).slice(-2)).toEqual(['WorkflowTaskScheduled', 'WorkflowTaskStarted']);
    expect(again.history.at(-1)!.attributes).toMatchObject({ identity: 'worker-b' });

    expectError(await call('POST', '/workflow-tasks/complete', { taskToken: lost.taskToken, commands: [] }), 'TASK_NOT_FOUND');
    await completeWorkflowTask(again.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }]);
    expect(eventTypes(await history(wid)).slice(3)).toEqual([
      'WorkflowTaskTimedOut',
      'WorkflowTaskScheduled',
      'WorkflowTaskStarted',
      'WorkflowTaskCompleted',
      'WorkflowExecutionCompleted',
    ]);
  });

  it('an activity whose worker died is timed out by start-to-close and retried on another worker', async () => {
    const wid = unique('lost-activity');
    const tq = unique('tq');
    await startAndCompleteFirstTask(wid, tq, [
      { type: 'ScheduleActivityTask', activityId: 'a1', activityType: 'charge', startToCloseTimeoutMs: 30_000, retryPolicy: { initialIntervalMs: 2000 } },
    ]);
    const lost = (await pollActivityTask(tq, 1000, 'worker-a'))!;
    expect(lost.attempt).toBe(1);

    await advance(wid, 30_000);
    const pending = (await ok('GET', `/workflows/${wid}`)).pendingActivities[0];
    expect(pending).toMatchObject({ activityId: 'a1', state: 'SCHEDULED', attempt: 2, lastFailure: { timeoutFailureInfo: { timeoutType: 'START_TO_CLOSE' } } });
    await advance(wid, 2000);
    const again = (await pollActivityTask(tq, 1000, 'worker-b'))!;
    expect(again).toMatchObject({ activityId: 'a1', attempt: 2 });

    expectError(await call('POST', '/activity-tasks/complete', { taskToken: lost.taskToken, result: json('late') }), 'TASK_NOT_FOUND');
    await ok('POST', '/activity-tasks/complete', { taskToken: again.taskToken, result: json('charged'), identity: 'worker-b' });
    const events = await history(wid);
    expect(eventTypes(events).slice(4, 7)).toEqual(['ActivityTaskScheduled', 'ActivityTaskStarted', 'ActivityTaskCompleted']);
    expect(events[5]!.attributes).toMatchObject({ identity: 'worker-b', attempt: 2, lastFailure: { timeoutFailureInfo: { timeoutType: 'START_TO_CLOSE' } } });
    expect(events[6]!.attributes).toMatchObject({ result: json('charged'), identity: 'worker-b' });
  });
});

describe('invariant 4: payloads are opaque bytes with metadata', () => {
  it('arbitrary bytes with unknown metadata come back byte-identical in polls, history and describe', async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => (i * 7 + 3) % 256);
    const b64 = (u: Uint8Array) => btoa(String.fromCharCode(...u));
    const opaque = (tag: number): Payload => ({
      metadata: { encoding: btoa('binary/encrypted'), 'encryption-key-id': btoa(`key-${tag}`), 'x-unknown': b64(Uint8Array.of(0, 255, tag)) },
      data: b64(bytes.map((b) => b ^ tag)),
    });
    const [input, memo, header, signal, actInput, result, details, final] = [1, 2, 3, 4, 5, 6, 7, 8].map(opaque) as Payload[] as [Payload, Payload, Payload, Payload, Payload, Payload, Payload, Payload];

    const wid = unique('opaque');
    const tq = unique('tq');
    await startWorkflow(wid, tq, { input: [input], memo: { secret: memo }, header: { auth: header } });
    let task = (await pollWorkflowTask(tq))!;
    expect(task.history[0]!.attributes).toMatchObject({ input: [input], memo: { secret: memo }, header: { auth: header } });
    expect((await ok('GET', `/workflows/${wid}`)).memo).toEqual({ secret: memo });

    await completeWorkflowTask(task.taskToken, [
      { type: 'ScheduleActivityTask', activityId: 'a', activityType: 'x', input: [actInput], header: { auth: header }, startToCloseTimeoutMs: 60_000 },
    ]);
    const activity = (await pollActivityTask(tq))!;
    expect(activity.input).toEqual([actInput]);
    expect(activity.header).toEqual({ auth: header });
    await ok('POST', '/activity-tasks/heartbeat', { taskToken: activity.taskToken, details: [details] });
    expect((await ok('GET', `/workflows/${wid}`)).pendingActivities[0].heartbeatDetails).toEqual([details]);
    await ok('POST', '/activity-tasks/complete', { taskToken: activity.taskToken, result });
    await ok('POST', `/workflows/${wid}/signal`, { signalName: 's', input: [signal] });

    task = (await pollWorkflowTask(tq))!;
    const find = (t: string) => task.history.find((e) => e.eventType === t)!.attributes as Record<string, unknown>;
    expect(find('ActivityTaskScheduled').input).toEqual([actInput]);
    expect(find('ActivityTaskCompleted').result).toEqual(result);
    expect(find('WorkflowExecutionSignaled').input).toEqual([signal]);
    await completeWorkflowTask(task.taskToken, [{ type: 'CompleteWorkflowExecution', result: final }]);

    const events = await history(wid);
    expect(events[0]!.attributes).toMatchObject({ input: [input], memo: { secret: memo }, header: { auth: header } });
    expect(events.at(-1)!.attributes).toMatchObject({ result: final });
    const close = await ok('GET', `/workflows/${wid}/history`, { closeEventOnly: true });
    expect(close.events[0].attributes.result).toEqual(final);
    // And the bytes themselves survived.
    expect(Uint8Array.from(atob(close.events[0].attributes.result.data), (c) => c.charCodeAt(0))).toEqual(bytes.map((b) => b ^ 8));
  });
});

describe('invariant 5 (retries): a repeated request id makes a retried mutating call harmless', () => {
  it('start twice with the same requestId answers the same runId and makes one run', async () => {
    const wid = unique('idem-start');
    const tq = unique('tq');
    const body = { workflowId: wid, workflowType: 'order', taskQueue: tq, input: [json(1)], requestId: 'start-1' };
    const first = await ok('POST', '/workflows', body);
    const second = await ok('POST', '/workflows', body);
    expect(second).toEqual(first);
    expect(first).toMatchObject({ started: true });
    const stored = await storedState(wid);
    expect(stored.runs).toHaveLength(1);
    expect(eventTypes(await history(wid))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);
    // Without the request id it is a new request, and the running run refuses it.
    expectError(await call('POST', '/workflows', { ...body, requestId: undefined }), 'WORKFLOW_ALREADY_STARTED');
  });

  it('signal twice with the same requestId writes one event', async () => {
    const wid = unique('idem-signal');
    const tq = unique('tq');
    await startAndCompleteFirstTask(wid, tq);
    const body = { signalName: 'approve', input: [json(true)], requestId: 'sig-1' };
    await ok('POST', `/workflows/${wid}/signal`, body);
    await ok('POST', `/workflows/${wid}/signal`, body);
    expect((await history(wid)).filter((e) => e.eventType === 'WorkflowExecutionSignaled')).toHaveLength(1);
  });

  it('completing an activity twice with the same requestId answers 200 both times and writes one completion', async () => {
    const wid = unique('idem-activity');
    const tq = unique('tq');
    await startAndCompleteFirstTask(wid, tq, [{ type: 'ScheduleActivityTask', activityId: 'a', activityType: 'x', startToCloseTimeoutMs: 60_000 }]);
    const activity = (await pollActivityTask(tq))!;
    const body = { taskToken: activity.taskToken, result: json('r'), requestId: 'act-1' };
    expect((await call('POST', '/activity-tasks/complete', body)).status).toBe(200);
    expect((await call('POST', '/activity-tasks/complete', body)).status).toBe(200);
    expect((await history(wid)).filter((e) => e.eventType === 'ActivityTaskCompleted')).toHaveLength(1);
  });

  it('completing a workflow task or terminating twice with the same requestId answers 200 both times and writes once', async () => {
    const wid = unique('idem-wft');
    const tq = unique('tq');
    await startWorkflow(wid, tq);
    const task = (await pollWorkflowTask(tq))!;
    const body = { taskToken: task.taskToken, commands: [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 60_000 }], requestId: 'wft-1' };
    await ok('POST', '/workflow-tasks/complete', body);
    await ok('POST', '/workflow-tasks/complete', body);
    await ok('POST', `/workflows/${wid}/terminate`, { reason: 'r', requestId: 'term-1' });
    await ok('POST', `/workflows/${wid}/terminate`, { reason: 'r', requestId: 'term-1' });
    const types = eventTypes(await history(wid));
    expect(types.filter((t) => t === 'WorkflowTaskCompleted')).toHaveLength(1);
    expect(types.filter((t) => t === 'WorkflowExecutionTerminated')).toHaveLength(1);
  });
});
