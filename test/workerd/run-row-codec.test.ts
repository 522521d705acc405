/**
 * A closed run's row and a history row stored deflated (src/storage/row-codec.ts): what it keeps is the
 * same run, read through every path that reads run rows — the run (describe), its history and close
 * event (a result), the list, retention's close times, request ids across runs — from memory and, after
 * a restart, from storage; a row written as JSON text before the codec reads as it did; and a W1's row
 * (and a history row of a few KB) fits in its leaf page (a WITHOUT ROWID cell keeps ~1 KB before it
 * spills to an overflow page). Both layouts run it: retention reads close times through a shard's
 * sweep or an object's alarm.
 */
import { describe, expect, it } from 'vitest';
import type { ResponseOf } from '../../protocol/index.js';
import { decodeRow, ROW_CODEC_VERSION, type StoredValue } from '../../src/storage/row-codec.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { taskQueueStub } from '../../src/stubs.js';
import { workflowShards } from '../../src/workflow-shards.js';
import { expectError, fireAlarm, hostStorage, inWorkflow, tablesOf, json, restart, sweepRetention, testEnv } from './helpers.js';
import { spaceWithRetention, type Space } from './visibility-helpers.js';

const HOUR = 3_600_000;

/** The run's row as stored: its value (TEXT or BLOB) and SQLite's type and length of it. */
const storedRow = (s: Space, workflowId: string, runId: string) =>
  inWorkflow(s.ns, workflowId, (o: WorkflowHost, state) =>
    state.storage.sql.exec<{ v: StoredValue; type: string; length: number }>(`SELECT v, typeof(v) AS type, length(v) AS length FROM ${tablesOf(o).state} WHERE k = ?`, `${hostStorage(o).scope}r/${runId}`).one(),
  );

/** A W1 in `s`: a start (with `requestId`), one activity, its completion, the run's completion. */
async function runW1(s: Space, workflowId: string, requestId: string): Promise<{ runId: string; start: Record<string, unknown> }> {
  const start = { workflowId, workflowType: 'w1', taskQueue: s.queueOf(workflowId), input: [json('x')], identity: 'client', requestId };
  const { runId } = await s.ok<{ runId: string }>('POST', '/workflows', start);
  await s.settle(workflowId);
  await s.completeTask(workflowId, [{ type: 'ScheduleActivityTask', activityId: '1', activityType: 'greet', taskQueue: s.queueOf(workflowId), input: [json('x')], startToCloseTimeoutMs: 10_000 }]);
  const activity = await taskQueueStub(testEnv, s.ns, s.queueOf(workflowId), 'activity').poll('w', 2000);
  if (activity?.kind !== 'activity') throw new Error(`no activity task for ${workflowId}`);
  const token = activity.task.taskToken;
  await s.ok('POST', '/activity-tasks/complete', { taskToken: token, result: json('hello x'), identity: 'w', requestId: crypto.randomUUID() });
  await s.settle(workflowId);
  await s.completeTask(workflowId, [{ type: 'CompleteWorkflowExecution', result: json('hello x') }]);
  return { runId, start };
}

/** What a client reads of a run: describe, its history, its close event, its list entry. */
async function reads(s: Space, workflowId: string, runId: string) {
  const { cost: _cost, ...description } = await s.ok<ResponseOf<'describeWorkflow'>>('GET', `/workflows/${workflowId}`, { runId });
  return {
    description,
    history: await s.ok<ResponseOf<'getWorkflowHistory'>>('GET', `/workflows/${workflowId}/history`, { runId }),
    result: await s.ok<ResponseOf<'getWorkflowHistory'>>('GET', `/workflows/${workflowId}/history`, { runId, closeEventOnly: true }),
    list: (await s.list(`WorkflowId = '${workflowId}'`)).executions,
  };
}

describe("a closed run's row, stored deflated", () => {
  it('reads back as the run it was: describe, history, close event and list, from memory and from storage', async () => {
    const s = await spaceWithRetention(72 * HOUR);
    const { runId } = await runW1(s, 'w1', crypto.randomUUID());
    const row = await storedRow(s, 'w1', runId);
    expect(row.type).toBe('blob');
    expect(new Uint8Array(row.v as ArrayBuffer)[0]).toBe(ROW_CODEC_VERSION);
    // In its leaf page: a cell of a 4 KB page keeps ~1,000 bytes before the rest spills to an overflow page.
    expect(row.length).toBeLessThan(1000);
    const text = decodeRow(row.v);
    expect(JSON.parse(text)).toMatchObject({ runId, status: 'COMPLETED' });
    expect(text.length).toBeGreaterThan(2 * row.length);

    const fromMemory = await reads(s, 'w1', runId);
    expect(fromMemory.description).toMatchObject({ status: 'COMPLETED', execution: { runId } });
    expect(fromMemory.history.events.map((e) => e.eventType).at(-1)).toBe('WorkflowExecutionCompleted');
    expect(fromMemory.result.events).toHaveLength(1);
    expect(fromMemory.list).toHaveLength(1);
    await restart('w1', s.ns);
    expect(await reads(s, 'w1', runId)).toEqual(fromMemory);
  });

  it('a row written as JSON text (before the codec) still reads, and is deleted by retention', async () => {
    const s = await spaceWithRetention(HOUR);
    const { runId } = await runW1(s, 'old', crypto.randomUUID());
    const fromBlob = await reads(s, 'old', runId);
    // The row as the previous format wrote it: the same JSON, as TEXT.
    await inWorkflow(s.ns, 'old', (o: WorkflowHost, state) => {
      const k = `${hostStorage(o).scope}r/${runId}`;
      const v = state.storage.sql.exec<{ v: StoredValue }>(`SELECT v FROM ${tablesOf(o).state} WHERE k = ?`, k).one().v;
      state.storage.sql.exec(`UPDATE ${tablesOf(o).state} SET v = ? WHERE k = ?`, decodeRow(v), k);
    });
    await restart('old', s.ns);
    expect((await storedRow(s, 'old', runId)).type).toBe('text');
    expect(await reads(s, 'old', runId)).toEqual(fromBlob);
    await deletedAfterRetention(s, 'old');
  });

  it('is deleted by retention: its close time is read from the deflated row', async () => {
    const s = await spaceWithRetention(HOUR);
    const { runId } = await runW1(s, 'expiring', crypto.randomUUID());
    expect((await storedRow(s, 'expiring', runId)).type).toBe('blob');
    await deletedAfterRetention(s, 'expiring');
  });

  it("keeps its request records: a retried start after a restart gets the recorded answer, another request with the id is refused", async () => {
    const s = await spaceWithRetention(72 * HOUR);
    const requestId = crypto.randomUUID();
    const { runId, start } = await runW1(s, 'retried', requestId);
    // A new run of the id, so the record is in a closed run's row that is not the only one.
    const second = await s.ok<{ runId: string }>('POST', '/workflows', { ...start, requestId: crypto.randomUUID() });
    expect(second.runId).not.toBe(runId);
    await restart('retried', s.ns);
    expect((await storedRow(s, 'retried', runId)).type).toBe('blob');
    // Read from storage: the records of the deflated row are found.
    expect(await s.ok<{ runId: string }>('POST', '/workflows', start)).toMatchObject({ runId });
    await restart('retried', s.ns);
    expectError(await s.call('POST', '/workflows', { ...start, input: [json('y')] }), 'REQUEST_ID_CONFLICT');
  });
});

describe('history rows, stored deflated', () => {
  it('a history row (written once, when the tail passes 4 KB) is a BLOB in its leaf page; as text, as before, it reads the same', async () => {
    const s = await spaceWithRetention(72 * HOUR);
    await s.start('signals');
    for (let i = 0; i < 40; i++) await s.ok('POST', '/workflows/signals/signal', { signalName: 'ping', input: [json({ i, note: 'a signal with a payload' })], identity: 'signaller' });
    const rows = () =>
      inWorkflow(s.ns, 'signals', (o: WorkflowHost, state) => {
        const scope = hostStorage(o).scope;
        return state.storage.sql.exec<{ k: string; v: StoredValue; type: string; length: number }>(`SELECT k, v, typeof(v) AS type, length(v) AS length FROM ${tablesOf(o).state} WHERE k >= ? AND k < ?`, `${scope}h/`, `${scope}h0`).toArray();
      });
    const written = await rows();
    expect(written.length).toBeGreaterThan(0);
    for (const r of written) {
      expect(r.type).toBe('blob');
      expect(r.length).toBeLessThan(1000);
      expect(decodeRow(r.v).length).toBeGreaterThan(4000);
    }
    const history = async () => (await s.ok<ResponseOf<'getWorkflowHistory'>>('GET', '/workflows/signals/history')).events;
    const fromBlob = await history();
    expect(fromBlob.filter((e) => e.eventType === 'WorkflowExecutionSignaled')).toHaveLength(40);
    await inWorkflow(s.ns, 'signals', (o: WorkflowHost, state) => {
      for (const r of written) state.storage.sql.exec(`UPDATE ${tablesOf(o).state} SET v = ? WHERE k = ?`, decodeRow(r.v), r.k);
    });
    await restart('signals', s.ns);
    expect((await rows()).map((r) => r.type)).toEqual(written.map(() => 'text'));
    expect(await history()).toEqual(fromBlob);
  });
});

/** Moves the workflow's clock past the namespace's retention and runs the deletion: the run is gone. */
async function deletedAfterRetention(s: Space, workflowId: string): Promise<void> {
  // From storage: memory knows nothing of the run's close time.
  await restart(workflowId, s.ns);
  await inWorkflow(s.ns, workflowId, (o: WorkflowHost) => o.clock.advance(HOUR + 60_000));
  if (workflowShards(testEnv) === 0) await fireAlarm(workflowId, s.ns);
  else await sweepRetention(workflowId, s.ns);
  expectError(await s.call('GET', `/workflows/${workflowId}`), 'WORKFLOW_NOT_FOUND');
}
