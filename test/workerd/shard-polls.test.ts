/**
 * Protocol 6: workers long-poll their normal workflow queue at the workflow shards too
 * (src/workflow-object/shard-polls.ts). A start's first workflow task, offered after the start's
 * transaction (src/workflow-object/task-offer.ts), goes to a poll of its queue waiting at its own shard
 * before any RPC to the queue; with none waiting there it goes to the queue as before. A task taken at
 * a shard is acknowledged as any offered task: one its worker never acknowledges goes back to its
 * queue when the offer's window ends. A stopping worker's shard polls end (`/workers/shutdown`).
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { Limits, type WorkflowTask } from '../../protocol/index.js';
import { OFFER_HOLD_MS } from '../../src/engine/run-state.js';
import { createRouter } from '../../src/router.js';
import { workflowObjectNamed } from '../../src/stubs.js';
import { partitionStub } from '../../src/task-queue.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import type { WorkflowObject } from '../../src/workflow-object.js';
import { shardHoldMs } from '../../src/workflow-object/shard-polls.js';
import { shardOf, workflowShards } from '../../src/workflow-shards.js';
import { NS, advance, call, completeWorkflowTask, eventTypes, expectError, freezeShardClock, history, inWorkflow, json, ok, queueState, settle, startWorkflow, testEnv, unique, until, watchWorkflow } from './helpers.js';

const SHARDS = workflowShards(testEnv);
/** An offer's hand-off window: what a queue may hold it, then a polled task's window. */
const OFFER_WINDOW_MS = OFFER_HOLD_MS + Limits.handOffAckMs;

const shardObject = (shard: number) => workflowObjectNamed(testEnv, [NS, shard]) as unknown as DurableObjectStub<WorkflowObject>;
/** A poll of `taskQueue` at `shard`, as the router makes it (its long-poll bound given here, so a slow machine cannot end it first). */
const shardPoll = (shard: number, taskQueue: string, pollerId: string, waitMs = 60_000): Promise<WorkflowTask[]> =>
  shardObject(shard).pollWorkflowTasks(taskQueue, pollerId, waitMs) as unknown as Promise<WorkflowTask[]>;
/** Polls waiting at a shard now. */
const waitingAt = (shard: number) => runInDurableObject(shardObject(shard), (o: WorkflowObject) => (o as unknown as { polls: { size: number } }).polls.size);
/** Offers a shard holds for the next poll of `taskQueue`. */
const heldAt = (shard: number, taskQueue: string) => runInDurableObject(shardObject(shard), (o: WorkflowObject) => (o as unknown as { polls: { held: Map<string, { size: number }> } }).polls.held.get(taskQueue)?.size ?? 0);
/** What the queue (its one partition in this suite) saw: tasks added to it, polls answered. */
const queueMetrics = (taskQueue: string) => runInDurableObject(partitionStub(testEnv, NS, taskQueue, 'workflow', 0), (o) => o.metrics());
/** A long poll of the queue by a worker that acknowledges hand-offs, as the SDK polls. */
const queuePoll = (taskQueue: string, identity: string) => partitionStub(testEnv, NS, taskQueue, 'workflow', 0).poll(identity, 60_000, `${identity}-poller`, true);

describe('workflow-task polls at the shards (protocol 6)', () => {
  it('a start’s first task reaches a poll of its queue waiting at its shard: no call to the queue, one transaction, and the workflow completes', async () => {
    const wid = unique('shard-taken');
    const tq = unique('tq');
    const shard = shardOf(wid, SHARDS);
    const seen = await watchWorkflow(wid);
    const polled = shardPoll(shard, tq, 'worker-1-poller');
    await until(() => waitingAt(shard), (n) => n === 1);

    const { runId } = await startWorkflow(wid, tq);
    const [task, ...more] = await polled;
    expect(more).toEqual([]);
    expect(task).toMatchObject({ workflowExecution: { workflowId: wid, runId }, attempt: 1, startedEventId: 3, shardKey: String(shard) });
    expect(eventTypes(task!.history)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
    await settle(wid);
    expect(seen).toEqual({ transactions: 1, startTask: 0 });
    expect(await waitingAt(shard)).toBe(0);
    // The queue never heard of it.
    expect(await queueMetrics(tq)).toMatchObject({ added: 0, dispatched: 0, backlog: 0 });
    // Its start is reserved until the worker shows it has it, as any offered task's.
    expect(eventTypes(await history(wid))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);

    await completeWorkflowTask(task!.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }], { identity: 'worker-1' });
    const events = await history(wid);
    expect(events[2]).toMatchObject({ eventId: 3, eventType: 'WorkflowTaskStarted', attributes: { identity: 'worker-1' } });
    expect(events.at(-1)!.eventType).toBe('WorkflowExecutionCompleted');
  });

  it('the run is billed for the poll that took its task (its Worker request and RPC), and for no call to the queue', async () => {
    const wid = unique('shard-units');
    const tq = unique('tq');
    const shard = shardOf(wid, SHARDS);
    const units = () => inWorkflow(NS, wid, (host: WorkflowHost) => host.usage.peek());
    const polled = shardPoll(shard, tq, 'worker-1-poller');
    await until(() => waitingAt(shard), (n) => n === 1);
    await startWorkflow(wid, tq);
    await polled;
    await settle(wid);
    // What is still in memory after the start's write: the offer taken here, nothing sent to a queue.
    expect(await units()).toMatchObject({ workerRequests: 1, durableObjectRequests: 1 });
  });

  it('with no poll of its queue waiting at its shard (one waits at another shard), the task goes to the queue as before', async () => {
    const wid = unique('shard-missed');
    const tq = unique('tq');
    const shard = shardOf(wid, SHARDS);
    const other = (shard + 1) % SHARDS;
    const elsewhere = shardPoll(other, tq, 'worker-1-poller');
    await until(() => waitingAt(other), (n) => n === 1);
    const polled = queuePoll(tq, 'worker-1');
    await until(() => queueState(tq), (q) => q.waitingPollers === 1);

    await startWorkflow(wid, tq);
    const task = await polled;
    expect(task).toMatchObject({ kind: 'workflow', task: { workflowExecution: { workflowId: wid }, startedEventId: 3 } });
    await settle(wid);
    expect(await queueMetrics(tq)).toMatchObject({ added: 1, dispatched: 1 });
    // The poll at the other shard still waits; a stopping worker ends it.
    expect(await waitingAt(other)).toBe(1);
    expect(await ok('POST', '/workers/shutdown', { identity: 'worker-1', pollerId: 'worker-1-poller' })).toEqual({});
    expect(await elsewhere).toEqual([]);
  });

  it('a poll of another queue at the same shard does not take it', async () => {
    const wid = unique('shard-other-queue');
    const tq = unique('tq');
    const shard = shardOf(wid, SHARDS);
    const otherQueue = shardPoll(shard, `${tq}-other`, 'worker-9-poller');
    await until(() => waitingAt(shard), (n) => n === 1);
    await startWorkflow(wid, tq);
    await settle(wid);
    expect(await queueMetrics(tq)).toMatchObject({ added: 1 });
    expect(await waitingAt(shard)).toBe(1);
    await runInDurableObject(shardObject(shard), (o: WorkflowObject) => o.cancelPolls('worker-9-poller'));
    expect(await otherQueue).toEqual([]);
  });

  it('a shard poll answers empty at its long-poll bound', async () => {
    const tq = unique('tq');
    expect(await shardPoll(0, tq, 'worker-1-poller', 0)).toEqual([]);
    expect(await waitingAt(0)).toBe(0);
  });

  it('a stopping worker’s shard polls end in every shard (they answer empty over HTTP); another worker’s stay', async () => {
    const tq = unique('tq');
    const polls = Array.from({ length: SHARDS }, (_, shard) => call('POST', `/shards/${shard}/workflow-tasks/poll`, { taskQueue: tq, identity: 'stopping', pollerId: 'stopping-poller', acknowledgesHandOff: true }));
    const staying = shardPoll(0, tq, 'staying-poller');
    for (let shard = 0; shard < SHARDS; shard++) await until(() => waitingAt(shard), (n) => n >= (shard === 0 ? 2 : 1));

    expect(await ok('POST', '/workers/shutdown', { identity: 'stopping', pollerId: 'stopping-poller' })).toEqual({});
    for (const answer of await Promise.all(polls)) expect(answer).toEqual({ status: 200, body: {} });
    expect(await waitingAt(0)).toBe(1);
    await runInDurableObject(shardObject(0), (o: WorkflowObject) => o.cancelPolls('staying-poller'));
    expect(await staying).toEqual([]);
  });

  it('a task taken at a shard and never acknowledged (its worker died) goes back to its queue when the offer’s window ends, and another worker gets it', async () => {
    const wid = unique('shard-lost');
    const tq = unique('tq');
    const shard = shardOf(wid, SHARDS);
    const polled = shardPoll(shard, tq, 'dead-poller');
    await until(() => waitingAt(shard), (n) => n === 1);
    await startWorkflow(wid, tq);
    const [lost] = await polled;
    await settle(wid);
    expect((await queueState(tq)).backlog).toEqual([]);

    await advance(wid, OFFER_WINDOW_MS);
    expectError(await call('POST', '/tasks/acknowledge', { taskToken: lost!.taskToken, identity: 'dead-worker' }), 'TASK_NOT_FOUND');
    expect((await queueState(tq)).backlog).toMatchObject([{ workflowId: wid, scheduledEventId: 2, attempt: 1 }]);
    const again = await queuePoll(tq, 'worker-2');
    expect(again).toMatchObject({ kind: 'workflow', task: { attempt: 1, startedEventId: 3 } });
    await completeWorkflowTask((again as { task: WorkflowTask }).task.taskToken, [], { identity: 'worker-2' });
    const events = await history(wid);
    expect(eventTypes(events)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted', 'WorkflowTaskCompleted']);
    expect(events[2]!.attributes).toMatchObject({ identity: 'worker-2' });
  });

  it('a worker found dead on its queue (a polled task it never acknowledged) has its shard polls ended too', async () => {
    const wid = unique('shard-dead-worker');
    const tq = unique('tq');
    const { runId } = await startWorkflow(wid, tq);
    await settle(wid);
    const shardPolls = Array.from({ length: SHARDS }, (_, shard) => shardPoll(shard, tq, 'dead-poller'));
    for (let shard = 0; shard < SHARDS; shard++) await until(() => waitingAt(shard), (n) => n === 1);
    // The run's first task waited in the backlog: the dead worker's queue poll starts it, naming its poller id.
    const lost = await partitionStub(testEnv, NS, tq, 'workflow', 0).poll('dead-worker', 0, 'dead-poller', true);
    expect(lost).toMatchObject({ kind: 'workflow', task: { workflowExecution: { runId } } });

    await advance(wid, Limits.handOffAckMs);
    for (const answer of await Promise.all(shardPolls)) expect(answer).toEqual([]);
  });

  it('a workflow-task poll of the queue tells the worker how many shards to poll, and (protocol 10) that the shards wake parked polls', async () => {
    const tq = unique('tq');
    const polled = call('POST', `/task-queues/${tq}/workflow-tasks/poll`, { identity: 'w', pollerId: 'w-poller', acknowledgesHandOff: true });
    await until(() => queueState(tq), (q) => q.waitingPollers === 1);
    await ok('POST', `/task-queues/${tq}/polls/cancel`, { kind: 'workflow', pollerId: 'w-poller' });
    expect(await polled).toEqual({ status: 200, body: { workflowShards: SHARDS, wakes: true } });
  });

  it('a poll naming no shard of the service is refused with INVALID_ARGUMENT; a service without shards answers FEATURE_DISABLED', async () => {
    const body = { taskQueue: 'tq', identity: 'w', pollerId: 'w-poller', acknowledgesHandOff: true };
    for (const shard of [String(SHARDS), '-1', '01', 'x', '1e1']) {
      expectError(await call('POST', `/shards/${shard}/workflow-tasks/poll`, body), 'INVALID_ARGUMENT', /shard/);
    }
    // A poll that does not acknowledge hand-offs cannot take an offered task.
    expectError(await call('POST', '/shards/0/workflow-tasks/poll', { ...body, acknowledgesHandOff: false }), 'INVALID_ARGUMENT', /acknowledgesHandOff/);
    const objects = { ...testEnv, KEEL_WORKFLOW_SHARDS: '0' };
    const res = await createRouter().fetch(new Request(`http://keel.test/api/v1/namespaces/${NS}/shards/0/workflow-tasks/poll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }), objects);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FEATURE_DISABLED');
  });

  describe('an offer made while the shard’s poll of its queue is on its way back (it just took a task)', () => {
    /** A poll of `tq` at the shard of `first` took that workflow's first task: its worker polls again soon. */
    async function pollAnswered(first: string, tq: string) {
      const shard = shardOf(first, SHARDS);
      const moveClock = await freezeShardClock(shardObject(shard));
      const polled = shardPoll(shard, tq, 'worker-1-poller');
      await until(() => waitingAt(shard), (n) => n === 1);
      await startWorkflow(first, tq);
      expect(await polled).toHaveLength(1);
      await settle(first);
      return { shard, moveClock };
    }
    /** A workflow id kept in `shard`. */
    const idIn = (shard: number, prefix: string) => {
      for (;;) {
        const id = unique(prefix);
        if (shardOf(id, SHARDS) === shard) return id;
      }
    };

    it('is held for the next poll, which takes every one held (up to its maxTasks) at once: no call to the queue', async () => {
      const tq = unique('tq');
      const { shard } = await pollAnswered(unique('shard-held-0'), tq);
      const wids = [idIn(shard, 'shard-held-1'), idIn(shard, 'shard-held-2'), idIn(shard, 'shard-held-3')];
      for (const wid of wids) await startWorkflow(wid, tq);
      await until(() => heldAt(shard, tq), (n) => n === 3);

      const next = (await shardObject(shard).pollWorkflowTasks(tq, 'worker-1-poller', 60_000, 2)) as unknown as WorkflowTask[];
      expect(next.map((t) => t.workflowExecution.workflowId)).toEqual(wids.slice(0, 2));
      const rest = await shardPoll(shard, tq, 'worker-1-poller');
      expect(rest.map((t) => t.workflowExecution.workflowId)).toEqual(wids.slice(2));
      for (const wid of wids) await settle(wid);
      expect(await queueMetrics(tq)).toMatchObject({ added: 0 });
      for (const [i, t] of [...next, ...rest].entries()) {
        await completeWorkflowTask(t.taskToken, [{ type: 'CompleteWorkflowExecution', result: json(i) }], { identity: 'worker-1' });
        expect((await history(wids[i]!)).at(-1)!.eventType).toBe('WorkflowExecutionCompleted');
      }
    });

    it('no poll comes within the hold: it goes to its queue, and a poll there gets it', async () => {
      const tq = unique('tq');
      const { shard, moveClock } = await pollAnswered(unique('shard-late-0'), tq);
      const wid = idIn(shard, 'shard-late-1');
      await startWorkflow(wid, tq);
      await until(() => heldAt(shard, tq), (n) => n === 1);
      await moveClock(shardHoldMs(testEnv) + 1);
      // The next look at what the shard holds finds it past its time.
      expect(await shardPoll(shard, tq, 'worker-1-poller', 0)).toEqual([]);
      await settle(wid);
      expect(await queueMetrics(tq)).toMatchObject({ added: 1 });
      expect(await queuePoll(tq, 'worker-2')).toMatchObject({ kind: 'workflow', task: { workflowExecution: { workflowId: wid }, startedEventId: 3 } });
    });
  });
});
