/**
 * A workflow's stored bytes in a shard (its summary's and describe's `storedBytes`): SQL's sum over
 * its rows (`StateTable.bytes`), which a workflow new to its shard counts from memory instead
 * (`WorkflowStore.storedBytes`), with no statement. The count from memory must be SQL's at every
 * change; where memory may not hold every row (a rollback, a request record of its own row, the
 * scope emptied) it gives way to SQL.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Command } from '../../protocol/index.js';
import type { ExecutionCost } from '../../protocol/prices.js';
import { StateTable, sqlTextLength } from '../../src/storage/state-table.js';
import type { WorkflowStore } from '../../src/storage/workflow-store.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import type { WorkflowObject } from '../../src/workflow-object.js';
import { keyScope } from '../../src/workflow-object/host-storage.js';
import { call, completeWorkflowTask, hostStorage, inWorkflow, tablesOf, json, NS, ok, pollActivityTask, pollWorkflowTask, settle, startWorkflow, unique, wfObject } from './helpers.js';

const activity = (activityId: string, taskQueue: string): Command => ({ type: 'ScheduleActivityTask', activityId, activityType: 'charge', taskQueue, input: [json('x')], startToCloseTimeoutMs: 10_000 });
const storeOf = (host: WorkflowHost) => (host as unknown as { store: WorkflowStore }).store;

/** The workflow's stored bytes as its store counts them from memory (undefined: it asks SQL), and as SQL sums them. */
const bytes = (workflowId: string) =>
  inWorkflow(NS, workflowId, (host, state) => ({
    memory: storeOf(host).storedBytes(),
    sql: new StateTable(state.storage.sql, [], hostStorage(host).scope, undefined, hostStorage(host).tables).bytes(),
  }));

/** The storedBytes of the run's list entry in its shard's table (its last summary's). */
const summaryBytes = (workflowId: string, runId: string) =>
  inWorkflow(NS, workflowId, (host, state) => {
    const row = state.storage.sql.exec<{ units: string }>(`SELECT units FROM ${tablesOf(host).listTable} WHERE run_id = ?`, runId).one();
    return (JSON.parse(row.units) as { storedBytes: number }).storedBytes;
  });

const describedBytes = async (workflowId: string) => (await ok<{ cost: ExecutionCost }>('GET', `/workflows/${encodeURIComponent(workflowId)}`)).cost.units.storedBytes;

/** Statements the workflow's own handle runs on its scope's rows that sum their bytes. */
async function watchSums(workflowId: string): Promise<string[]> {
  const sums: string[] = [];
  await inWorkflow(NS, workflowId, (host) => {
    const sql = hostStorage(host).sql;
    const exec = sql.exec.bind(sql);
    (sql as unknown as { exec: (query: string, ...bindings: SqlStorageValue[]) => unknown }).exec = (query: string, ...bindings: SqlStorageValue[]) => {
      if (/SUM\(length/.test(query)) sums.push(query);
      return exec<Record<string, SqlStorageValue>>(query, ...bindings);
    };
  });
  return sums;
}

describe("a workflow's stored bytes in its shard", () => {
  it("counts SQLite's length as SQL does: characters before the first NUL, a lone surrogate one character", async () => {
    const texts = ['', 'ascii', 'é ü ß', '日本語', '😀 astral 𝄞', 'lone \ud800 high', 'lone \udc00 low', 'swapped \udc00\ud800', 'nul\u0000after', '\u0000', 'end high \ud83d'];
    await runInDurableObject(wfObject(unique('lengths')), (_o: WorkflowObject, state) => {
      for (const t of texts) expect([t, sqlTextLength(t)]).toEqual([t, state.storage.sql.exec<{ n: number }>(`SELECT length(?) AS n`, t).one().n]);
    });
  });

  it('a workflow new to its shard counts them from memory, equal to SQL’s sum at every change, and its summaries carry them with no SUM statement', async () => {
    // Non-ASCII in its scope, its items' keys, a signal's name and a failure's message (payloads are
    // base64): characters, not UTF-16 units nor bytes.
    const wid = unique('bytés-😀');
    const tq = unique('bytes-tq');
    const sums = await watchSums(wid);
    const { runId } = await startWorkflow(wid, tq);
    let b = await bytes(wid);
    expect(b.memory).toBeDefined();
    expect(b.memory).toBe(b.sql);
    expect(await summaryBytes(wid, runId)).toBe(b.sql);

    const first = (await pollWorkflowTask(tq))!;
    // Two pending activities: each a row of its own (one alone rides in the run's row).
    await completeWorkflowTask(first.taskToken, [activity('ä-1', tq), activity('𝄞-2', tq)]);
    await settle(wid);
    b = await bytes(wid);
    expect(b.memory).toBe(b.sql);
    expect(await inWorkflow(NS, wid, (h, state) => state.storage.sql.exec(`SELECT k FROM ${tablesOf(h).state} WHERE k >= ? AND k < ? AND k LIKE '%/i/%'`, keyScope(wid), keyScope(wid).slice(0, -1) + '0').toArray().length)).toBe(2);

    const done = (await pollActivityTask(tq))!;
    await ok('POST', '/activity-tasks/complete', { taskToken: done.taskToken, result: json('result'), identity: 'test-worker' });
    b = await bytes(wid);
    expect(b.memory).toBe(b.sql);
    const failed = (await pollActivityTask(tq))!;
    await ok('POST', '/activity-tasks/fail', { taskToken: failed.taskToken, failure: { message: 'échec 😀 \ud800', nonRetryable: true }, identity: 'test-worker' });
    b = await bytes(wid);
    expect(b.memory).toBe(b.sql);
    await ok('POST', `/workflows/${encodeURIComponent(wid)}/signal`, { signalName: 'sïgnal 😀', input: [json('x')], requestId: 'sig-ü-1' });
    b = await bytes(wid);
    expect(b.memory).toBe(b.sql);

    const second = (await pollWorkflowTask(tq))!;
    await completeWorkflowTask(second.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }]);
    await settle(wid);
    b = await bytes(wid);
    expect(b.memory).toBe(b.sql);
    expect(await summaryBytes(wid, runId)).toBe(b.sql);
    expect(await describedBytes(wid)).toBe(b.sql);
    expect(sums).toEqual([]);
  });

  it('counts a continued run and the run after it, and the one left when the first is deleted, then gives way to SQL after a rollback', async () => {
    const wid = unique('bytes-can');
    const tq = unique('bytes-can-tq');
    const { runId } = await startWorkflow(wid, tq);
    const first = (await pollWorkflowTask(tq))!;
    await completeWorkflowTask(first.taskToken, [{ type: 'ContinueAsNewWorkflowExecution', input: [json('next')] }]);
    await settle(wid);
    let b = await bytes(wid);
    expect(b.memory).toBe(b.sql);
    expect(await inWorkflow(NS, wid, (host) => storeOf(host).closedRuns().length)).toBe(1);
    await ok('POST', `/workflows/${wid}/delete`, { runId });
    b = await bytes(wid);
    expect(b.memory).toBeDefined();
    expect(b.memory).toBe(b.sql);
    expect(await inWorkflow(NS, wid, (host) => storeOf(host).closedRuns().length)).toBe(0);

    // A completion of a task already completed is refused: its change threw, and storage rolled back.
    const next = (await pollWorkflowTask(tq))!;
    await completeWorkflowTask(next.taskToken, []);
    expect((await call('POST', '/workflow-tasks/complete', { taskToken: next.taskToken, commands: [] })).status).toBeGreaterThanOrEqual(400);
    b = await bytes(wid);
    expect(b.memory).toBeUndefined();
    expect(await describedBytes(wid)).toBe(b.sql);
  });

  it('gives way to SQL once a request record has a row of its own', async () => {
    const wid = unique('bytes-requests');
    const tq = unique('bytes-requests-tq');
    await startWorkflow(wid, tq);
    // The run's row keeps the newest RUN_REQUESTS_KEPT records; an older one still kept moves to a row of its own.
    for (let i = 0; i < 20; i++) await ok('POST', `/workflows/${wid}/signal`, { signalName: 's', requestId: `r-${i}` });
    const rows = await inWorkflow(NS, wid, (host, state) => new StateTable(state.storage.sql, [], hostStorage(host).scope, undefined, hostStorage(host).tables).range('q/').length);
    expect(rows).toBeGreaterThan(0);
    const b = await bytes(wid);
    expect(b.memory).toBeUndefined();
    expect(await describedBytes(wid)).toBe(b.sql);
  });
});
