/**
 * A start's first workflow task offered to a poll waiting on its queue (src/engine/task-offer.ts):
 * started in the start's own transaction, handed as it is to a waiting poll that acknowledges
 * hand-offs, with no outbox row and no queue → workflow object `startTask`; with no such poll, its
 * ref goes where any task's goes and the poll that takes it starts it. A taker that dies is caught by
 * the hand-off window, and so is an offer that never reached the queue.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { Limits, type WorkflowTask } from '../../protocol/index.js';
import { OFFER_HOLD_MS } from '../../src/engine/run-state.js';
import type { OfferedWorkflowTask } from '../../src/engine/transaction.js';
import type { StartedTask } from '../../src/started-task.js';
import { taskQueueStub } from '../../src/stubs.js';
import { partitionStub } from '../../src/task-queue.js';
import type { TaskRef } from '../../src/task-token.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { NS, advance, call, completeWorkflowTask, eventTypes, expectError, freezeQueueClock, history, inWorkflow, json, ok, pollWorkflowTask, queueState, settle, startWorkflow, stateRows, unique, until, testEnv, watchWorkflow } from './helpers.js';

/** An offer's hand-off window: what the queue may hold it, then a polled task's window. */
const OFFER_WINDOW_MS = OFFER_HOLD_MS + Limits.handOffAckMs;

/** A long poll of the normal queue by a worker that acknowledges hand-offs (protocol 2), as the SDK polls. */
function ackPoll(taskQueue: string, identity: string, partition = 0): Promise<StartedTask | null> {
  return partitionStub(testEnv, NS, taskQueue, 'workflow', partition).poll(identity, 60_000, `${identity}-poller`, true);
}
const workflowTaskOf = (t: StartedTask | null): WorkflowTask => {
  if (t?.kind !== 'workflow') throw new Error(`expected a workflow task, got ${JSON.stringify(t)}`);
  return t.task;
};
const queueMetrics = (taskQueue: string) => runInDurableObject(partitionStub(testEnv, NS, taskQueue, 'workflow', 0), (o) => o.metrics());
const describeTask = async (workflowId: string) => (await ok('GET', `/workflows/${workflowId}`)).pendingWorkflowTask;

/**
 * An offer its queue put in the backlog waits there as any task: a signal is written at once (it is
 * not started), its hand-off window ends with nothing to do (no second ref, no outbox row), and the
 * next poll starts it through `startTask`, after the signal. Returns that task.
 */
async function expectWaitsAsBacklogged(wid: string, tq: string, seen: { startTask: number }): Promise<WorkflowTask> {
  await ok('POST', `/workflows/${wid}/signal`, { signalName: 'early' });
  expect(eventTypes(await history(wid))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowExecutionSignaled']);
  expect((await describeTask(wid)).state).toBe('SCHEDULED');
  await advance(wid, OFFER_WINDOW_MS);
  expect((await queueState(tq)).backlog).toHaveLength(1);
  expect(await stateRows(wid, 'o/')).toEqual([]);
  const task = workflowTaskOf(await ackPoll(tq, 'worker-2'));
  expect(seen).toMatchObject({ startTask: 1 });
  expect(eventTypes(task.history)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowExecutionSignaled', 'WorkflowTaskStarted']);
  return task;
}

describe('a start offers its first workflow task to a poll waiting on its queue', () => {
  it('a waiting poll that acknowledges gets it, started in the start’s one transaction: no outbox row, no startTask, no backlog', async () => {
    const wid = unique('offer-taken');
    const tq = unique('tq');
    const seen = await watchWorkflow(wid);
    const polled = ackPoll(tq, 'worker-1');
    await until(() => queueState(tq), (q) => q.waitingPollers === 1);

    const { runId } = await startWorkflow(wid, tq);
    const task = workflowTaskOf(await polled);
    expect(task).toMatchObject({ workflowExecution: { workflowId: wid, runId }, attempt: 1, startedEventId: 3 });
    expect(eventTypes(task.history)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
    await settle(wid);
    expect(seen).toEqual({ transactions: 1, startTask: 0 });
    expect(await stateRows(wid, 'o/')).toEqual([]);
    expect(await queueState(tq)).toMatchObject({ backlog: [], everBacklogged: false });
    // The queue counts it as any task: added, and dispatched at once to a poll that got a task.
    expect(await queueMetrics(tq)).toMatchObject({ added: 1, dispatched: 1, pollsWithTask: 1, pollsEmpty: 0 });
    // Until the worker shows it has it, its start is only reserved: not in history, not shown as started.
    expect(eventTypes(await history(wid))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);
    expect((await describeTask(wid)).state).toBe('SCHEDULED');

    await completeWorkflowTask(task.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }], { identity: 'worker-1' });
    const events = await history(wid);
    expect(events[2]).toMatchObject({ eventId: 3, eventType: 'WorkflowTaskStarted', attributes: { scheduledEventId: 2, identity: 'worker-1' } });
    expect(events.at(-1)!.eventType).toBe('WorkflowExecutionCompleted');
  });

  it('acknowledged first: its start is written then, naming the worker the acknowledgement names, as Temporal names the poller', async () => {
    const wid = unique('offer-ack');
    const tq = unique('tq');
    const polled = ackPoll(tq, 'worker-ack');
    await until(() => queueState(tq), (q) => q.waitingPollers === 1);
    await startWorkflow(wid, tq);
    const task = workflowTaskOf(await polled);

    await ok('POST', '/tasks/acknowledge', { taskToken: task.taskToken, identity: 'worker-ack' });
    expect((await history(wid))[2]).toMatchObject({ eventId: 3, eventType: 'WorkflowTaskStarted', attributes: { identity: 'worker-ack' } });
    expect((await describeTask(wid)).state).toBe('STARTED');
    await completeWorkflowTask(task.taskToken, [], { identity: 'worker-ack' });
    expect(eventTypes(await history(wid))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted', 'WorkflowTaskCompleted']);
  });

  it('with no poll waiting the task waits in the backlog as any task, and the poll that takes it starts it, after what came meanwhile', async () => {
    const wid = unique('offer-queued');
    const tq = unique('tq');
    const seen = await watchWorkflow(wid);
    await startWorkflow(wid, tq);
    await settle(wid);
    expect((await queueState(tq)).backlog).toMatchObject([{ workflowId: wid, kind: 'workflow', scheduledEventId: 2, attempt: 1 }]);
    // The refusal cost the workflow object nothing: no transaction besides the start's.
    expect(seen).toEqual({ transactions: 1, startTask: 0 });
    expect(await queueMetrics(tq)).toMatchObject({ added: 1, dispatched: 0 });
    const task = await expectWaitsAsBacklogged(wid, tq, seen);
    expect(task.startedEventId).toBe(4);
    expect(await queueMetrics(tq)).toMatchObject({ added: 1, dispatched: 1 });
    await completeWorkflowTask(task.taskToken, [], { identity: 'worker-2' });
    expect((await history(wid))[3]).toMatchObject({ eventId: 4, eventType: 'WorkflowTaskStarted', attributes: { identity: 'worker-2' } });
  });

  it('a waiting poll that does not acknowledge gets it through startTask, started for it and written at once, as before', async () => {
    const wid = unique('offer-old');
    const tq = unique('tq');
    const polled = taskQueueStub(testEnv, NS, tq, 'workflow').poll('old-worker', 60_000);
    await until(() => queueState(tq), (q) => q.waitingPollers === 1);
    await startWorkflow(wid, tq);
    const task = workflowTaskOf(await polled);
    expect(task.startedEventId).toBe(3);
    expect((await history(wid))[2]).toMatchObject({ eventId: 3, eventType: 'WorkflowTaskStarted', attributes: { identity: 'old-worker' } });
  });

  it('a worker that took it and died: when the hand-off window ends it goes back to its queue and another worker gets it; no start of the dead one in history', async () => {
    const wid = unique('offer-dead');
    const tq = unique('tq');
    const polled = ackPoll(tq, 'dead-worker');
    await until(() => queueState(tq), (q) => q.waitingPollers === 1);
    await startWorkflow(wid, tq);
    const lost = workflowTaskOf(await polled);
    expect(await pollWorkflowTask(tq, 0, 'worker-2')).toBeUndefined();

    await advance(wid, OFFER_WINDOW_MS);
    expectError(await call('POST', '/tasks/acknowledge', { taskToken: lost.taskToken, identity: 'dead-worker' }), 'TASK_NOT_FOUND');
    const again = (await pollWorkflowTask(tq, 5000, 'worker-2'))!;
    expect(again).toMatchObject({ attempt: 1, startedEventId: 3 });
    await completeWorkflowTask(again.taskToken, [], { identity: 'worker-2' });
    const events = await history(wid);
    expect(eventTypes(events)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted', 'WorkflowTaskCompleted']);
    expect(events[2]!.attributes).toMatchObject({ identity: 'worker-2' });
  });

  it('an offer that never reached the queue (the object died after its commit) is dispatched through the outbox when the window ends', async () => {
    const wid = unique('offer-lost');
    const tq = unique('tq');
    await heldOffer(wid, tq);
    expect((await queueState(tq)).backlog).toEqual([]);
    await advance(wid, OFFER_WINDOW_MS);
    expect((await queueState(tq)).backlog).toMatchObject([{ workflowId: wid, scheduledEventId: 2, attempt: 1 }]);
    expect(await pollWorkflowTask(tq, 5000, 'worker-2')).toMatchObject({ workflowExecution: { workflowId: wid }, startedEventId: 3 });
  });

  it('signal-with-start offers its new run’s first task too, with the signal in it', async () => {
    const wid = unique('offer-sws');
    const tq = unique('tq');
    const seen = await watchWorkflow(wid);
    const polled = ackPoll(tq, 'worker-1');
    await until(() => queueState(tq), (q) => q.waitingPollers === 1);
    await ok('POST', `/workflows/${wid}/signal-with-start`, { workflowType: 'order', taskQueue: tq, input: [], signalName: 'go', signalInput: [] });
    const task = workflowTaskOf(await polled);
    expect(eventTypes(task.history)).toEqual(['WorkflowExecutionStarted', 'WorkflowExecutionSignaled', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
    expect(seen).toEqual({ transactions: 1, startTask: 0 });
  });

  it('a child’s start offers the child’s first task too', async () => {
    const parentId = unique('offer-parent');
    const childId = unique('offer-child');
    const tq = unique('tq');
    const childQueue = `${tq}-child`;
    await startWorkflow(parentId, tq);
    const parentTask = workflowTaskOf(await ackPoll(tq, 'worker-1'));
    const seen = await watchWorkflow(childId);
    const polled = ackPoll(childQueue, 'worker-1');
    await until(() => queueState(childQueue), (q) => q.waitingPollers === 1);
    await completeWorkflowTask(parentTask.taskToken, [{ type: 'StartChildWorkflowExecution', workflowId: childId, workflowType: 'child', taskQueue: childQueue, input: [], control: '1' }], { identity: 'worker-1' });
    await inWorkflow(NS, parentId, (o: WorkflowHost) => o.calls.deliverDue());
    expect(workflowTaskOf(await polled)).toMatchObject({ workflowExecution: { workflowId: childId }, startedEventId: 3 });
    expect(seen).toEqual({ transactions: 1, startTask: 0 });
  });
});

/** Starts a workflow whose offer stays with the test (as if lost on the way); the task offered and its ref. */
async function heldOffer(workflowId: string, taskQueue: string): Promise<{ task: StartedTask; ref: TaskRef }> {
  const held: OfferedWorkflowTask[] = [];
  await inWorkflow(NS, workflowId, (host: WorkflowHost) => {
    (host as unknown as { taskOffer: { send(o: OfferedWorkflowTask): Promise<void> } }).taskOffer.send = async (o) => void held.push(o);
  });
  await startWorkflow(workflowId, taskQueue);
  const offered = held[0]!;
  const task = await inWorkflow(NS, workflowId, (host: WorkflowHost) => (host as unknown as { payloads: { claimedWorkflowTask(o: OfferedWorkflowTask): Promise<WorkflowTask> } }).payloads.claimedWorkflowTask(offered));
  return { task: { kind: 'workflow', task }, ref: offered.ref };
}

describe('an offer on a queue of several partitions', () => {
  const partition = (taskQueue: string, p: number) => partitionStub(testEnv, NS, taskQueue, 'workflow', p);

  it('offered to a partition with no poll, it reaches an acknowledging poll that waits at the root for another partition, as it is', async () => {
    const wid = unique('offer-root');
    const tq = unique('tq');
    const { task, ref } = await heldOffer(wid, tq);
    const seen = await watchWorkflow(wid);
    // Partition 2 has nothing: its poll waits at the root.
    const polled = ackPoll(tq, 'worker-on-2', 2);
    await until(() => queueState(tq), (q) => q.waitingPollers === 1);

    expect((await partition(tq, 1).addTask(ref, task)).outcome).toBe('taken');
    expect(workflowTaskOf(await polled)).toMatchObject({ workflowExecution: { workflowId: wid }, startedEventId: 3 });
    expect(seen).toEqual({ transactions: 0, startTask: 0 });
    for (const p of [0, 1, 2]) expect((await queueState(tq, 'workflow', p)).backlog).toEqual([]);
  });

  it('with no acknowledging poll anywhere, its ref waits in the partition, and a poll elsewhere pulls and starts it', async () => {
    const wid = unique('offer-pull');
    const tq = unique('tq');
    const { task, ref } = await heldOffer(wid, tq);
    expect((await partition(tq, 1).addTask(ref, task)).outcome).toBe('queued');
    expect((await queueState(tq, 'workflow', 1)).backlog).toHaveLength(1);

    const pulled = workflowTaskOf(await ackPoll(tq, 'worker-on-3', 3));
    expect(pulled).toMatchObject({ workflowExecution: { workflowId: wid }, startedEventId: 3 });
    await completeWorkflowTask(pulled.taskToken, [], { identity: 'worker-on-3' });
    expect((await history(wid))[2]).toMatchObject({ eventType: 'WorkflowTaskStarted', attributes: { identity: 'worker-on-3' } });
  });
});

/**
 * With no poll waiting, a queue where acknowledging polls come holds the offered task in memory for
 * the next poll (src/task-queue-object.ts `held`), until OFFER_HOLD_MS after its start;
 * the workflow object's `addTask` waits for the outcome meanwhile, its reserved start and window the
 * backstop should the queue lose it.
 */
describe('an offer no poll waits for, held by the queue for the next poll', () => {
  /** A poll that acknowledges comes and goes (it waits, 1 ms: a poll that does not wait is a parked worker's check, protocol 10): the queue (partition `p`) now holds offers. */
  const primed = (taskQueue: string, p = 0) => partitionStub(testEnv, NS, taskQueue, 'workflow', p).poll('worker-0', 1, 'worker-0-poller', true);
  const heldTasks = (taskQueue: string, p = 0) => runInDurableObject(partitionStub(testEnv, NS, taskQueue, 'workflow', p), (o) => (o as unknown as { held: { size: number } }).held.size);
  const describeQueue = (taskQueue: string) => ok('GET', `/task-queues/${taskQueue}`, { kind: 'workflow' });
  /**
   * A workflow started on a fresh queue where an acknowledging poll has been seen, its first task held
   * there. The queue's clock stands still (moved by `moveQueueClock`), so however slow the machine the
   * task stays held until the test moves it past OFFER_HOLD_MS.
   */
  const startHeld = async (prefix: string) => {
    const wid = unique(prefix);
    const tq = unique('tq');
    const moveQueueClock = await freezeQueueClock(tq);
    const seen = await watchWorkflow(wid);
    await primed(tq);
    await startWorkflow(wid, tq);
    await until(() => heldTasks(tq), (n) => n === 1);
    return { wid, tq, seen, moveQueueClock };
  };
  const abortQueue = (taskQueue: string) =>
    runInDurableObject(partitionStub(testEnv, NS, taskQueue, 'workflow', 0), (_o, state) => {
      try {
        state.abort('restart');
      } catch {
        // abort throws in the caller by design.
      }
    }).catch(() => undefined);

  it('the next acknowledging poll takes it as it is: no backlog row, no startTask, the start’s one transaction; counted as backlog until then', async () => {
    const { wid, tq, seen, moveQueueClock } = await startHeld('held-taken');
    expect(await queueState(tq)).toMatchObject({ backlog: [], waitingPollers: 0 });
    expect(await describeQueue(tq)).toMatchObject({ backlogCount: 1 });
    expect(await queueMetrics(tq)).toMatchObject({ added: 1, dispatched: 0, backlog: 1 });

    // Held for half a second (both clocks moved): its start is when the poll got it, as a polled task's is.
    await moveQueueClock(500);
    await inWorkflow(NS, wid, (host: WorkflowHost) => host.clock.advance(500));
    const task = workflowTaskOf(await ackPoll(tq, 'worker-2'));
    expect(task).toMatchObject({ workflowExecution: { workflowId: wid }, attempt: 1, startedEventId: 3 });
    const offeredAt = Date.parse(task.history[1]!.eventTime);
    expect(Date.parse(task.startedTime)).toBeGreaterThanOrEqual(offeredAt + 400);
    expect(task.history[2]).toMatchObject({ eventType: 'WorkflowTaskStarted', eventTime: task.startedTime });
    await settle(wid);
    expect(seen).toEqual({ transactions: 1, startTask: 0 });
    expect(await queueState(tq)).toMatchObject({ backlog: [], everBacklogged: false });
    expect(await describeQueue(tq)).toMatchObject({ backlogCount: 0 });
    expect(await queueMetrics(tq)).toMatchObject({ added: 1, dispatched: 1, backlog: 0 });
    await completeWorkflowTask(task.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }], { identity: 'worker-2' });
    const events = await history(wid);
    expect(events[2]).toMatchObject({ eventId: 3, eventType: 'WorkflowTaskStarted', eventTime: task.startedTime, attributes: { identity: 'worker-2' } });
    expect(events.at(-1)!.eventType).toBe('WorkflowExecutionCompleted');
  });

  it('no poll seen for OFFER_HOLD_MS (its worker may have parked its polls, protocol 10): the offer goes to the backlog at once, not held', async () => {
    const wid = unique('held-none');
    const tq = unique('tq');
    const moveQueueClock = await freezeQueueClock(tq);
    await primed(tq);
    await moveQueueClock(OFFER_HOLD_MS + 1);
    await startWorkflow(wid, tq);
    await settle(wid);
    expect(await heldTasks(tq)).toBe(0);
    expect((await queueState(tq)).backlog).toHaveLength(1);
  });

  it('a poll that does not acknowledge gets a held task at once, started for it through startTask', async () => {
    const { wid, tq, seen } = await startHeld('held-old');
    const task = workflowTaskOf(await taskQueueStub(testEnv, NS, tq, 'workflow').poll('old-worker', 0));
    expect(task.startedEventId).toBe(3);
    await settle(wid);
    expect(seen).toEqual({ transactions: 2, startTask: 1 });
    expect((await history(wid))[2]).toMatchObject({ eventId: 3, eventType: 'WorkflowTaskStarted', attributes: { identity: 'old-worker' } });
    expect(await heldTasks(tq)).toBe(0);
  });

  it('past OFFER_HOLD_MS after its start it is not given out: its ref goes to the backlog, the object learns it is queued, and the window ends with nothing to do', async () => {
    const { wid, tq, seen, moveQueueClock } = await startHeld('held-late');
    await moveQueueClock(OFFER_HOLD_MS + 1);
    // The queue's timer moves it to the backlog and answers the offer.
    await settle(wid);
    expect(await heldTasks(tq)).toBe(0);
    expect((await queueState(tq)).backlog).toMatchObject([{ workflowId: wid, scheduledEventId: 2, attempt: 1 }]);
    await expectWaitsAsBacklogged(wid, tq, seen);
  });

  it('dispatched again by the workflow object (its window ended while the queue’s clock lagged), the held task is dropped: the task reaches one poll, once', async () => {
    const { wid, tq } = await startHeld('held-stale');
    await advance(wid, OFFER_WINDOW_MS);
    expect(await heldTasks(tq)).toBe(0);
    const again = (await queueState(tq)).backlog;
    expect(again).toMatchObject([{ workflowId: wid, scheduledEventId: 2, attempt: 1 }]);

    const task = workflowTaskOf(await ackPoll(tq, 'worker-2'));
    expect(task.startedEventId).toBe(3);
    expect(await taskQueueStub(testEnv, NS, tq, 'workflow').poll('worker-3', 0)).toBeNull();
    await completeWorkflowTask(task.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('once') }], { identity: 'worker-2' });
    expect(eventTypes(await history(wid)).filter((t) => t === 'WorkflowTaskStarted')).toHaveLength(1);
  });

  it('a queue that restarts loses what it held: when the window ends the task goes back through the outbox, once, and the workflow completes', async () => {
    const { wid, tq } = await startHeld('held-restart');
    await abortQueue(tq);
    await settle(wid);
    expect(await heldTasks(tq)).toBe(0);
    expect((await queueState(tq)).backlog).toEqual([]);

    await advance(wid, OFFER_WINDOW_MS);
    expect((await queueState(tq)).backlog).toMatchObject([{ workflowId: wid, scheduledEventId: 2, attempt: 1 }]);
    const task = workflowTaskOf(await ackPoll(tq, 'worker-2'));
    expect(await taskQueueStub(testEnv, NS, tq, 'workflow').poll('worker-3', 0)).toBeNull();
    await completeWorkflowTask(task.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }], { identity: 'worker-2' });
    expect(await stateRows(wid, 'o/')).toEqual([]);
    expect(eventTypes(await history(wid))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted', 'WorkflowTaskCompleted', 'WorkflowExecutionCompleted']);
  });

  it('a queue under a rate holds nothing: the rate hands its tasks out from the backlog', async () => {
    const wid = unique('held-rate');
    const tq = unique('tq');
    await partitionStub(testEnv, NS, tq, 'workflow', 0).poll('worker-0', 0, 'worker-0-poller', true, undefined, 100);
    await startWorkflow(wid, tq);
    await settle(wid);
    expect(await heldTasks(tq)).toBe(0);
    expect((await queueState(tq)).backlog).toMatchObject([{ workflowId: wid }]);
  });

  it('offers held before a poll set a rate go out at the rate too', async () => {
    const tq = unique('tq');
    await freezeQueueClock(tq);
    await primed(tq);
    for (const wid of [unique('held-rated-a'), unique('held-rated-b')]) await startWorkflow(wid, tq);
    await until(() => heldTasks(tq), (n) => n === 2);
    const rated = () => partitionStub(testEnv, NS, tq, 'workflow', 0).poll('worker-1', 0, 'worker-1-poller', true, undefined, 1);
    expect(await rated()).not.toBeNull();
    // One a second, on a clock that does not move: the other stays held.
    expect(await rated()).toBeNull();
    expect(await heldTasks(tq)).toBe(1);
  });

  it('held in a partition with no poll, it is taken as it is by a poll of another partition that waits at the root', async () => {
    const wid = unique('held-part');
    const tq = unique('tq');
    // Partition 1's clock stands still: held there, the task cannot expire into its backlog on a slow machine.
    await freezeQueueClock(tq, 1);
    const { task, ref } = await heldOffer(wid, tq);
    const seen = await watchWorkflow(wid);
    await primed(tq, 1);
    const offered = partitionStub(testEnv, NS, tq, 'workflow', 1).addTask(ref, task);
    await until(() => heldTasks(tq, 1), (n) => n === 1);
    // Counted as backlog by the partition that holds it (describe sums the partitions).
    expect(await runInDurableObject(partitionStub(testEnv, NS, tq, 'workflow', 1), (o) => o.describe())).toMatchObject({ backlogCount: 1 });

    // Partition 3 has nothing: its poll goes to the root, which pulls from partition 1.
    expect(workflowTaskOf(await ackPoll(tq, 'worker-on-3', 3))).toMatchObject({ workflowExecution: { workflowId: wid }, startedEventId: 3 });
    expect((await offered).outcome).toBe('taken');
    expect(seen).toEqual({ transactions: 0, startTask: 0 });
    for (const p of [0, 1, 2, 3]) expect((await queueState(tq, 'workflow', p)).backlog).toEqual([]);
  });
});
