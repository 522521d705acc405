/**
 * Task queues: hand-off to a waiting poller, the backlog, what describe shows, stale
 * tasks skipped, empty long polls, and the OpenAPI document any HTTP worker starts from.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { Api, Limits, endpointPathTemplate, type WorkflowTask } from '../../protocol/index.js';
import { partitionStub } from '../../src/task-queue.js';
import type { TaskQueueObject } from '../../src/task-queue-object.js';
import type { TaskRef } from '../../src/task-token.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { StateTable } from '../../src/storage/state-table.js';
import { NS, call, completeWorkflowTask, eventTypes, expectError, fetchService, freezeQueueClock, history, ok, pollActivityTask, pollWorkflowTask, queueState, settle, startAndCompleteFirstTask, startHoldingFirstTask, startWorkflow, testEnv, unique, until, wfStub, inWorkflow, hostStorage } from './helpers.js';

const describeQueue = (tq: string, kind?: 'workflow' | 'activity') => ok('GET', `/task-queues/${tq}`, kind ? { kind } : undefined);

describe('hand-off', () => {
  it('a new task goes straight to a poller that is already waiting, never through the backlog', async () => {
    const wid = unique('straight');
    const tq = unique('tq');
    const polled = pollWorkflowTask(tq, 5000, 'eager-worker');
    await until(() => queueState(tq), (s) => s.waitingPollers === 1);
    const { runId } = await startWorkflow(wid, tq);
    const task = (await polled)!;
    expect(task.workflowExecution).toEqual({ workflowId: wid, runId });
    expect(task.history.at(-1)).toMatchObject({ eventType: 'WorkflowTaskStarted', attributes: { identity: 'eager-worker' } });
    expect(await queueState(tq)).toEqual({ backlog: [], everBacklogged: false, waitingPollers: 0 });
  });

  it('protocol 3: a poll with maxTasks takes the backlog tasks in one answer, oldest first, each started for it; without it, one task', async () => {
    const tq = unique('tq');
    const ids = [unique('many-a'), unique('many-b'), unique('many-c'), unique('many-d')];
    const runIds: string[] = [];
    for (const id of ids) runIds.push((await startWorkflow(id, tq)).runId);
    await Promise.all(ids.map((id) => settle(id)));
    const poll = (extra: Record<string, unknown>) => ok<{ task?: WorkflowTask; moreTasks?: WorkflowTask[] }>('POST', `/task-queues/${tq}/workflow-tasks/poll`, { identity: 'batch-worker', ...extra });

    const batch = await poll({ maxTasks: 3 });
    const got = [batch.task!, ...(batch.moreTasks ?? [])];
    expect(got.map((t) => t.workflowExecution.runId)).toEqual(runIds.slice(0, 3));
    for (const t of got) expect(t.history.at(-1)).toMatchObject({ eventType: 'WorkflowTaskStarted', attributes: { identity: 'batch-worker' } });
    expect(await describeQueue(tq, 'workflow')).toMatchObject({ backlogCount: 1 });

    const one = await poll({});
    expect(one.task!.workflowExecution.runId).toBe(runIds[3]);
    expect(one.moreTasks).toBeUndefined();
    // Every task of the batch is a task its worker can complete.
    for (const t of got) await completeWorkflowTask(t.taskToken, [{ type: 'CompleteWorkflowExecution' }]);
    expectError(await call('POST', `/task-queues/${tq}/workflow-tasks/poll`, { identity: 'w', maxTasks: Limits.maxTasksPerPoll + 1 }), 'INVALID_ARGUMENT');
  });

  it('with no poller the task waits in the backlog, and describe shows the backlog and recent pollers by identity', async () => {
    const tq = unique('tq');
    const [a, b] = [unique('backlog-a'), unique('backlog-b')];
    expect(await describeQueue(tq)).toMatchObject({ pollers: [], backlogCount: 0 });
    const runA = (await startWorkflow(a, tq)).runId;
    await startWorkflow(b, tq);
    await Promise.all([settle(a), settle(b)]);
    expect(await describeQueue(tq, 'workflow')).toMatchObject({ pollers: [], backlogCount: 2 });

    // The oldest task first.
    const task = (await pollWorkflowTask(tq, 1000, 'worker-1@host-a'))!;
    expect(task.workflowExecution.runId).toBe(runA);
    const d = await describeQueue(tq, 'workflow');
    expect(d.backlogCount).toBe(1);
    expect(d.pollers).toEqual([{ identity: 'worker-1@host-a', lastAccessTime: expect.any(String) }]);
    expect(Number.isNaN(Date.parse(d.pollers[0].lastAccessTime))).toBe(false);

    // Activity tasks of the same queue name are a separate queue.
    expect(await describeQueue(tq, 'activity')).toMatchObject({ pollers: [], backlogCount: 0 });
    await completeWorkflowTask(task.taskToken, [{ type: 'ScheduleActivityTask', activityId: 'x', activityType: 'x', input: [], startToCloseTimeoutMs: 60_000 }]);
    await settle(a);
    expect(await describeQueue(tq, 'activity')).toMatchObject({ pollers: [], backlogCount: 1 });
    expect(await pollActivityTask(tq, 1000, 'activity-worker')).toMatchObject({ activityId: 'x' });
    expect(await describeQueue(tq, 'activity')).toMatchObject({ pollers: [{ identity: 'activity-worker', lastAccessTime: expect.any(String) }], backlogCount: 0 });
    // The task waited in the queue until that poll took it (describe's schedule-to-start, from the queue's memory).
    expect((await describeQueue(tq, 'activity')).scheduleToStart).toMatchObject({ count: 1, averageMs: expect.any(Number) });
  });

  it("stamps pollers with the queue's own clock, so tests move it and no wall clock is read", async () => {
    const tq = unique('tq');
    const queue = partitionStub(testEnv, NS, tq, 'activity');
    const day = 24 * 60 * 60 * 1000;
    const moved = await runInDurableObject(queue, (o: TaskQueueObject) => {
      o.clock.advance(day);
      return o.clock.now();
    });
    await queue.poll('time-traveller', 0);
    const [poller] = (await describeQueue(tq, 'activity')).pollers;
    expect(poller.identity).toBe('time-traveller');
    expect(Date.parse(poller.lastAccessTime)).toBeGreaterThanOrEqual(moved);
  });

  it("counts the load it answers (requests a second) in seconds of its own clock, not the wall clock", async () => {
    const tq = unique('tq');
    const move = await freezeQueueClock(tq);
    const queue = partitionStub(testEnv, NS, tq, 'workflow');
    const load = async () => (await queue.pollTask('counted', 0)).load;
    expect([await load(), await load(), await load()]).toEqual([1, 2, 3]);
    // A second on by its clock: a new second, the last one's count still answered.
    await move(1000);
    expect(await load()).toBe(3);
    // Two seconds on, the last one quiet: only this one's count.
    await move(2000);
    expect(await load()).toBe(1);
  });

  it('a stale backlog task (its run was terminated) is skipped and the next one is returned', async () => {
    const tq = unique('tq');
    const [a, b] = [unique('stale-a'), unique('stale-b')];
    await startWorkflow(a, tq);
    const runB = (await startWorkflow(b, tq)).runId;
    await Promise.all([settle(a), settle(b)]);
    await ok('POST', `/workflows/${a}/terminate`, { reason: 'no longer wanted' });
    const before = await history(a);

    const task = (await pollWorkflowTask(tq, 1000))!;
    expect(task.workflowExecution).toEqual({ workflowId: b, runId: runB });
    expect((await describeQueue(tq)).backlogCount).toBe(0);
    // The stale task left no trace on its run.
    expect(await history(a)).toEqual(before);
    expect(eventTypes(before)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowExecutionTerminated']);
  });

  it("a started backlog task's delete is written with the next insert (one commit, not one of its own); a row left after a restart is stale", async () => {
    const tq = unique('tq');
    const [a, b, c] = [unique('taken-a'), unique('taken-b'), unique('taken-c')];
    // A stub each time: one that saw its object end stays broken.
    const queue = () => partitionStub(testEnv, NS, tq, 'workflow');
    const rows = () => runInDurableObject(queue(), (_o, state) => state.storage.sql.exec<{ ref: string }>('SELECT ref FROM backlog ORDER BY id').toArray().map((r) => (JSON.parse(r.ref) as TaskRef).workflowId));
    for (const id of [a, b]) {
      await startWorkflow(id, tq);
      await settle(id);
    }
    expect(await rows()).toEqual([a, b]);

    // Taking a writes nothing: its row stays on disk, but the queue never offers it again.
    expect((await pollWorkflowTask(tq, 1000))!.workflowExecution.workflowId).toBe(a);
    expect(await rows()).toEqual([a, b]);
    expect((await queueState(tq)).backlog.map((r) => r.workflowId)).toEqual([b]);
    // The next insert writes a's delete in its own statement's commit.
    await startWorkflow(c, tq);
    await settle(c);
    expect(await rows()).toEqual([b, c]);

    // b is taken, and the object ends before b's delete is written: the new instance finds b's row,
    // offers it, the workflow object calls it stale (b's task is started already), and c comes next.
    expect((await pollWorkflowTask(tq, 1000))!.workflowExecution.workflowId).toBe(b);
    await runInDurableObject(queue(), (_o, state) => {
      try {
        state.abort('restart');
      } catch {
        // abort throws in the caller by design.
      }
    }).catch(() => undefined);
    expect(await rows()).toEqual([b, c]);
    expect((await describeQueue(tq, 'workflow')).backlogCount).toBe(2);
    const next = (await pollWorkflowTask(tq, 1000))!;
    expect(next.workflowExecution.workflowId).toBe(c);
    expect(eventTypes(await history(b))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
    // With no insert to ride on, the deletes are written within a second.
    await until(rows, (r) => r.length === 0, 100_000);
  });

  it('a task started for a poller whose long poll runs out meanwhile still reaches that poller', async () => {
    const wid = unique('claimed');
    const tq = unique('tq');
    // Hold the task so that the test hands it over itself.
    const ref = await startHoldingFirstTask(wid, tq);

    const queue = partitionStub(testEnv, NS, tq, 'workflow');
    // A long poll that cannot run out by itself while the test sets up, however slow the machine: its time
    // is made to run out below, by the call its timer makes, at the moment the test needs.
    const polled = queue.poll('slow-start', 60_000);
    await until(() => queueState(tq), (s) => s.waitingPollers === 1);
    // Starting the task at the workflow object is held until the poll's time is up.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    type Waiting = { expired: boolean; claimed: boolean };
    const poller = await runInDurableObject(queue, (o: TaskQueueObject) => {
      const q = o as unknown as { startTask: (...a: unknown[]) => Promise<unknown>; waiting: Waiting[] };
      const original = q.startTask.bind(o);
      q.startTask = async (...args) => {
        await gate;
        return original(...args);
      };
      return q.waiting[0]!;
    });
    const added = queue.add(ref);
    await until(() => runInDurableObject(queue, () => poller.claimed), (claimed) => claimed);
    await runInDurableObject(queue, (o: TaskQueueObject) => (o as unknown as { expire(p: Waiting): void }).expire(poller));
    expect(poller.expired).toBe(true);
    open();

    expect(await added).toBe('delivered');
    const got = await polled;
    expect(got?.kind === 'workflow' && got.task.workflowExecution.workflowId).toBe(wid);
    expect(eventTypes(await history(wid)).at(-1)).toBe('WorkflowTaskStarted');
    await inWorkflow(NS, wid, (o: WorkflowHost) => {
      delete (o as unknown as { deliverOutbox?: unknown }).deliverOutbox;
    });
  });
});

describe('long polls', () => {
  it('an empty workflow or activity poll answers 200 with no task after the long-poll limit', async () => {
    const tq = unique('tq');
    for (const kind of ['workflow', 'activity'] as const) {
      const t0 = Date.now();
      const res = await call('POST', `/task-queues/${tq}/${kind}-tasks/poll`, { identity: `idle-${kind}` });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      expect(res).toEqual({ status: 200, body: {} });
      expect((await describeQueue(tq, kind)).pollers).toEqual([{ identity: `idle-${kind}`, lastAccessTime: expect.any(String) }]);
    }
  });

  it('a poll over HTTP gets a task that is waiting, with a task token that completes it', async () => {
    const wid = unique('http-poll');
    const tq = unique('tq');
    const { runId } = await startAndCompleteFirstTask(wid, tq, [{ type: 'ScheduleActivityTask', activityId: 'a', activityType: 'charge', input: [], startToCloseTimeoutMs: 60_000 }]);
    const res = await call('POST', `/task-queues/${tq}/activity-tasks/poll`, { identity: 'http-worker' });
    expect(res.status).toBe(200);
    expect(res.body.task).toMatchObject({ activityId: 'a', activityType: 'charge', attempt: 1, workflowExecution: { workflowId: wid, runId }, taskQueue: tq });
    await ok('POST', '/activity-tasks/complete', { taskToken: res.body.task.taskToken, identity: 'http-worker' });
    expect(eventTypes(await history(wid)).slice(-3)).toEqual(['ActivityTaskStarted', 'ActivityTaskCompleted', 'WorkflowTaskScheduled']);
  });
});

describe('cancelling polls', () => {
  it("a stopping worker's waiting polls answer at once with no task, and the next task waits in the backlog for a live worker", async () => {
    const wid = unique('cancel-polls');
    const tq = unique('tq');
    const stopping = call('POST', `/task-queues/${tq}/workflow-tasks/poll`, { identity: 'stopping', pollerId: 'worker-a' });
    await until(() => queueState(tq), (s) => s.waitingPollers === 1);
    expect(await ok('POST', `/task-queues/${tq}/polls/cancel`, { kind: 'workflow', pollerId: 'worker-a' })).toEqual({ cancelled: 1 });
    expect(await stopping).toEqual({ status: 200, body: {} });

    await startWorkflow(wid, tq);
    await settle(wid);
    expect((await describeQueue(tq)).backlogCount).toBe(1);
    expect((await pollWorkflowTask(tq, 1000, 'live'))?.workflowExecution.workflowId).toBe(wid);
  });

  it("cancels only the named worker's polls, of the named kind", async () => {
    const tq = unique('tq');
    const other = call('POST', `/task-queues/${tq}/workflow-tasks/poll`, { identity: 'other', pollerId: 'worker-b' });
    await until(() => queueState(tq), (s) => s.waitingPollers === 1);
    expect(await ok('POST', `/task-queues/${tq}/polls/cancel`, { kind: 'workflow', pollerId: 'worker-a' })).toEqual({ cancelled: 0 });
    expect(await ok('POST', `/task-queues/${tq}/polls/cancel`, { kind: 'activity', pollerId: 'worker-b' })).toEqual({ cancelled: 0 });
    expect(await queueState(tq)).toMatchObject({ waitingPollers: 1 });
    await ok('POST', `/task-queues/${tq}/polls/cancel`, { kind: 'workflow', pollerId: 'worker-b' });
    expect((await other).body).toEqual({});
  });
});

describe('OpenAPI', () => {
  it('serves the OpenAPI document at /api/v1/openapi.json with every endpoint of the table', async () => {
    const res = await fetchService('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const doc = (await res.json()) as { openapi: string; servers: Array<{ url: string }>; paths: Record<string, Record<string, { operationId: string }>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: 'http://keel.test' }]);
    for (const [name, e] of Object.entries(Api)) {
      expect(doc.paths[endpointPathTemplate(e)]?.[e.method.toLowerCase()]?.operationId, name).toBe(name);
    }
  });
});
