/**
 * Request ids kept in the rows of their runs (src/storage/run-requests.ts): a retried request gets
 * its first answer and changes nothing, an id reused for another request is refused — across a
 * restart of the object, after the run closed, and for a busy run whose row cannot keep them all —
 * while a W1 writes no row of its own for them and sets no alarm to expire them.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION_MS } from '../../protocol/index.js';
import { REQUEST_ID_TTL_MS, RUN_REQUESTS_KEPT } from '../../src/storage/run-requests.js';
import type { WorkflowObject } from '../../src/workflow-object.js';
import {
  advance,
  alarmAt,
  call,
  clockNow,
  completeWorkflowTask,
  eventTypes,
  expectError,
  freezeClock,
  history,
  json,
  ok,
  pollActivityTask,
  pollWorkflowTask,
  restart,
  settle,
  startAndCompleteFirstTask,
  stateRows,
  storedState,
  unique,
  wfObject,
  inWorkflow,
  NS,
  sweepRetention,
} from './helpers.js';

const HOUR = 60 * 60 * 1000;

describe('request ids ride in the rows of their runs', () => {
  it('a W1 writes no request row and no alarm to expire one; after a restart each retry gets its first answer and changes nothing, and a reused id is refused', async () => {
    const wid = unique('reqid-w1');
    const tq = unique('tq');
    const start = { workflowId: wid, workflowType: 'w1', taskQueue: tq, input: [json('x')], identity: 'client', requestId: 'start-1', requestEagerExecution: true };
    const started = await ok<{ runId: string; eagerWorkflowTask?: { taskToken: string } }>('POST', '/workflows', start);
    const schedule = { taskToken: started.eagerWorkflowTask!.taskToken, commands: [{ type: 'ScheduleActivityTask', activityId: '1', activityType: 'greet', taskQueue: tq, input: [json('x')], startToCloseTimeoutMs: 10_000 }], requestId: 'wft-1' };
    const scheduled = await ok('POST', '/workflow-tasks/complete', schedule);
    await settle(wid);
    const activity = (await pollActivityTask(tq))!;
    const done = { taskToken: activity.taskToken, result: json('hello x'), identity: 'test-worker', requestId: 'act-1' };
    const completed = await ok('POST', '/activity-tasks/complete', done);
    await settle(wid);
    const second = (await pollWorkflowTask(tq))!;
    const close = { taskToken: second.taskToken, commands: [{ type: 'CompleteWorkflowExecution', result: json('hello x') }], requestId: 'wft-2' };
    const closed = await ok('POST', '/workflow-tasks/complete', close);
    await settle(wid);

    expect(await stateRows(wid, 'q/')).toEqual([]);
    // No alarm waits for request records to expire (in a shard, none at all: the run's deletion is the shard's sweep's).
    expect(await alarmAt(wid)).toBeNull();

    await restart(wid);
    const before = await storedState(wid);
    // The same run; its first task is long done, so no eager task comes with it (as before a restart).
    const { eagerWorkflowTask: _task, ...startAnswer } = started;
    expect(await ok('POST', '/workflows', start)).toEqual(startAnswer);
    expect(await ok('POST', '/workflow-tasks/complete', schedule)).toEqual(scheduled);
    expect(await ok('POST', '/activity-tasks/complete', done)).toEqual(completed);
    expect(await ok('POST', '/workflow-tasks/complete', close)).toEqual(closed);
    expect(await storedState(wid)).toEqual(before);

    await restart(wid);
    expectError(await call('POST', '/workflows', { ...start, input: [json('y')] }), 'REQUEST_ID_CONFLICT');
    expectError(await call('POST', `/workflows/${wid}/signal`, { signalName: 's', requestId: 'act-1' }), 'REQUEST_ID_CONFLICT');
    expect(await storedState(wid)).toEqual(before);
    expect(eventTypes(await history(wid)).filter((t) => t === 'WorkflowExecutionStarted' || t === 'ActivityTaskCompleted')).toEqual(['WorkflowExecutionStarted', 'ActivityTaskCompleted']);
  });

  it("the start's request id is answered after its run closed, until retention deletes the run and its records with it", async () => {
    const wid = unique('reqid-closed');
    const tq = unique('tq');
    await freezeClock(wid);
    const start = { workflowId: wid, workflowType: 'w1', taskQueue: tq, input: [json(1)], requestId: 'start-closed' };
    const first = await ok<{ runId: string }>('POST', '/workflows', start);
    await ok('POST', `/workflows/${wid}/terminate`, { reason: 'done' });
    await advance(wid, REQUEST_ID_TTL_MS + HOUR);
    expect(await ok('POST', '/workflows', start)).toEqual(first);
    expect((await storedState(wid)).runs).toHaveLength(1);

    await advance(wid, DEFAULT_RETENTION_MS);
    await sweepRetention(wid);
    expectError(await call('GET', `/workflows/${wid}`), 'WORKFLOW_NOT_FOUND');
    // Nothing of the deleted run answers for it: the same request now starts a new run.
    const again = await ok<{ runId: string; started: boolean }>('POST', '/workflows', start);
    expect(again.started).toBe(true);
    expect(again.runId).not.toBe(first.runId);
  });

  it("a busy run's older records move to rows of their own: every retry is answered once, also after a restart, and those rows expire after 24 h", async () => {
    const wid = unique('reqid-busy');
    const tq = unique('tq');
    await freezeClock(wid);
    await startAndCompleteFirstTask(wid, tq);
    const signal = (i: number) => ({ signalName: 'ping', input: [json(i)], requestId: `sig-${i}` });
    const count = RUN_REQUESTS_KEPT + 2;
    for (let i = 0; i < count; i++) await ok('POST', `/workflows/${wid}/signal`, signal(i));
    expect((await stateRows(wid, 'q/')).map((r) => r.k)).toEqual(['q/sig-0', 'q/sig-1']);

    const before = await storedState(wid);
    // Memory dropped (as a restart does, keeping this test's frozen clock): everything is read again from storage.
    await inWorkflow(NS, wid, (o) => (o as unknown as { store: { forget(): void } }).store.forget());
    for (let i = 0; i < count; i++) await ok('POST', `/workflows/${wid}/signal`, signal(i));
    expectError(await call('POST', `/workflows/${wid}/signal`, { ...signal(0), signalName: 'other' }), 'REQUEST_ID_CONFLICT');
    expectError(await call('POST', `/workflows/${wid}/signal`, { ...signal(count - 1), signalName: 'other' }), 'REQUEST_ID_CONFLICT');
    expect(await storedState(wid)).toEqual(before);
    expect(eventTypes(await history(wid)).filter((t) => t === 'WorkflowExecutionSignaled')).toHaveLength(count);

    await advance(wid, REQUEST_ID_TTL_MS + 1);
    expect(await stateRows(wid, 'q/')).toEqual([]);
  });
});

describe('a request that changed no run', () => {
  it('a start that found the run it wanted (USE_EXISTING) keeps its record in that run’s row, answered after a restart', async () => {
    const wid = unique('reqid-existing');
    const tq = unique('tq');
    const first = await ok<{ runId: string }>('POST', '/workflows', { workflowId: wid, workflowType: 'w1', taskQueue: tq, input: [json(1)] });
    const existing = { workflowId: wid, workflowType: 'w1', taskQueue: tq, input: [json(2)], workflowIdConflictPolicy: 'USE_EXISTING', requestId: 'use-existing-1' };
    const found = await ok<{ runId: string; started: boolean }>('POST', '/workflows', existing);
    expect(found).toMatchObject({ runId: first.runId, started: false });
    expect(await stateRows(wid, 'q/')).toEqual([]);
    // The run closes; a retry is still the same answer, not a new run.
    await ok('POST', `/workflows/${wid}/terminate`, { reason: 'done' });
    await restart(wid);
    expect(await ok('POST', '/workflows', existing)).toEqual(found);
    expect((await storedState(wid)).runs).toHaveLength(1);
  });
});

describe('a request whose change is rolled back leaves no record', () => {
  it('the same id is taken as new afterwards', async () => {
    const wid = unique('reqid-rollback');
    const tq = unique('tq');
    const { task } = await startAndCompleteFirstTask(wid, tq);
    // Refused whole (the task was completed already): nothing recorded under the id.
    expectError(await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands: [], requestId: 'late-1' }), 'TASK_NOT_FOUND');
    await ok('POST', `/workflows/${wid}/signal`, { signalName: 'ping', requestId: 'late-1' });
    expect(eventTypes(await history(wid)).filter((t) => t === 'WorkflowExecutionSignaled')).toHaveLength(1);
  });
});
