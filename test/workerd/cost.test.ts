/**
 * Cost per execution: a run's billable units as describe reports them are the units the run
 * used — rows read and written as workerd's SQL cursors count them (the count bench/cost.ts
 * prices, taken the same way as the instrumented bench build), the requests its protocol makes,
 * the visibility store's rows — priced with the one price table, and counting adds no row.
 */
import { runInDurableObject } from 'cloudflare:test';
import type { ResponseOf } from '../../protocol/index.js';
import { describe, expect, it } from 'vitest';
import { PRICES, priceUnits, totalUsd, type ExecutionCost } from '../../protocol/prices.js';
import { splitExtras } from '../../src/storage/run-rows.js';
import { decodeRow, type StoredValue } from '../../src/storage/row-codec.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { completeWorkflowTask, json, ok, pollActivityTask, pollWorkflowTask, settle, testEnv, unique, wfStub, inWorkflow, NS, hostStorage, tablesOf } from './helpers.js';
import { Space } from './visibility-helpers.js';

/**
 * Counts the rows every SQL statement of the object reads and writes from now on, as
 * bench/instrumented-service.js does, on top of what the object's meter counted before (its
 * constructor opened the schema before this wrapper could be installed).
 */
async function countRows(wid: string): Promise<() => { read: number; written: number }> {
  const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  const before = await inWorkflow(NS, wid, (o: WorkflowHost, state) => {
    const sql = state.storage.sql;
    const exec = sql.exec.bind(sql);
    (sql as unknown as { exec: (query: string, ...bindings: SqlStorageValue[]) => unknown }).exec = (query: string, ...bindings: SqlStorageValue[]) => {
      const cursor = exec<Record<string, SqlStorageValue>>(query, ...bindings);
      cursors.push(cursor);
      return cursor;
    };
    return o.usage.peek();
  });
  return () => ({ read: before.sqliteRowsRead + cursors.reduce((n, c) => n + c.rowsRead, 0), written: before.sqliteRowsWritten + cursors.reduce((n, c) => n + c.rowsWritten, 0) });
}

/** A W1 (start, one activity, complete) driven as a worker without eager paths would: three polls, three completions. */
async function runW1(wid: string, tq: string): Promise<string> {
  const { runId } = await ok<{ runId: string }>('POST', '/workflows', { workflowId: wid, workflowType: 'w1', taskQueue: tq, input: [json('x')], identity: 'client', requestId: crypto.randomUUID() });
  const first = (await pollWorkflowTask(tq))!;
  await completeWorkflowTask(first.taskToken, [{ type: 'ScheduleActivityTask', activityId: '1', activityType: 'greet', taskQueue: tq, input: [json('x')], startToCloseTimeoutMs: 10_000 }], { requestId: crypto.randomUUID() });
  await settle(wid);
  const act = (await pollActivityTask(tq))!;
  await ok('POST', '/activity-tasks/complete', { taskToken: act.taskToken, result: json('hello x'), identity: 'test-worker', requestId: crypto.randomUUID() });
  await settle(wid);
  const second = (await pollWorkflowTask(tq))!;
  await completeWorkflowTask(second.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('hello x') }], { requestId: crypto.randomUUID() });
  await settle(wid);
  return runId;
}

const storedRunRow = (wid: string, runId: string) =>
  inWorkflow(NS, wid, (o: WorkflowHost, state) => decodeRow(state.storage.sql.exec<{ v: StoredValue }>(`SELECT v FROM ${tablesOf(o).state} WHERE k = ?`, `${hostStorage(o).scope}r/${runId}`).one().v));

describe('cost per execution', () => {
  it("describe reports a W1's billable units as counted, priced at the list prices", async () => {
    const wid = unique('w1-cost');
    const rows = await countRows(wid);
    const runId = await runW1(wid, unique('tq'));
    const { cost } = await ok<{ cost: ExecutionCost }>('GET', `/workflows/${wid}`, { runId });
    const measured = rows();
    const databaseSize = await inWorkflow(NS, wid, (_o: WorkflowHost, state) => state.storage.sql.databaseSize);

    expect(cost.units.sqliteRowsRead).toBe(measured.read);
    expect(cost.units.sqliteRowsWritten).toBe(measured.written);
    expect(cost.units.storedBytes).toBe(databaseSize);
    // Requests, from the protocol: start, two workflow-task completions, one activity completion
    // and this describe reach the object from the Worker; three polls carried its tasks (each a
    // Worker request, the queue's RPC and the queue's startTask here); three outbox rows were
    // handed to queues (one RPC each).
    expect(cost.units.workerRequests).toBe(5 + 3);
    expect(cost.units.durableObjectRequests).toBe(5 + 3 * 2 + 3);
    expect(cost.units.alarms).toBe(0);
    // The summary's upserts into D1 (start and close).
    expect(cost.units.d1RowsWritten).toBeGreaterThan(0);

    expect(cost.priceTable).toEqual({ name: PRICES.name, date: PRICES.date });
    expect(cost.lines).toEqual(priceUnits(cost.units));
    expect(cost.totalUsd).toBeCloseTo(totalUsd(cost.lines), 12);
    // Rows written are the bill: a dollar per million rows.
    expect(cost.lines.find((l) => l.item === 'SQLite rows written')!.usd).toBeCloseTo(measured.written / 1e6, 12);
  });

  it('the units ride in the run’s own row: a change that writes it stores what was counted before', async () => {
    const wid = unique('w1-stored');
    const runId = await runW1(wid, unique('tq'));
    const row = splitExtras(await storedRunRow(wid, runId));
    // The close wrote the row: everything up to that change is stored (the close's own rows and what followed are still in memory).
    expect(row.usage!.workerRequests).toBeGreaterThanOrEqual(4);
    expect(row.usage!.sqliteRowsWritten).toBeGreaterThan(0);
    // The rest of the object's rows carry no units.
    const keys = await inWorkflow(NS, wid, (o: WorkflowHost, state) =>
      state.storage.sql.exec<{ k: string; v: StoredValue }>(`SELECT k, v FROM ${tablesOf(o).state}`).toArray().filter((r) => r.k.startsWith(hostStorage(o).scope) && decodeRow(r.v).includes('$usage')).map((r) => r.k.slice(hostStorage(o).scope.length)),
    );
    expect(keys).toEqual([`r/${runId}`]);
  });

  it("a namespace's month so far sums the units its runs' summaries carry: closed this month, or still running", async () => {
    const space = new Space();
    await space.start('closed');
    await space.completeTask('closed', [{ type: 'CompleteWorkflowExecution', result: json('done') }]);
    await space.start('running');
    const month = new Date().toISOString().slice(0, 7);
    const answer = await space.ok<ResponseOf<'describeNamespaceCost'>>('GET', '/cost');
    expect(answer).toMatchObject({ namespace: space.ns, month, runs: 2, priceTable: { name: PRICES.name, date: PRICES.date } });
    // Each summary carries its run's units as its object counted them when the summary was made.
    const summaries = await Promise.all(
      ['closed', 'running'].map((wid) =>
        testEnv.VISIBILITY!.prepare(`SELECT units FROM executions WHERE namespace = ? AND workflow_id = ?`).bind(space.ns, wid).first<{ units: string }>(),
      ),
    );
    const units = summaries.map((r) => JSON.parse(r!.units) as ExecutionCost['units']);
    expect(answer.units.sqliteRowsWritten).toBe(units[0]!.sqliteRowsWritten + units[1]!.sqliteRowsWritten);
    expect(answer.units.workerRequests).toBe(units[0]!.workerRequests + units[1]!.workerRequests);
    expect(answer.units.workerRequests).toBeGreaterThanOrEqual(3);
    expect(answer.totalUsd).toBeCloseTo(totalUsd(priceUnits(answer.units)), 12);
    // Another month has none of them; a malformed month is refused.
    expect((await space.ok<ResponseOf<'describeNamespaceCost'>>('GET', '/cost', { month: '2001-01' })).runs).toBe(0);
    expect((await space.call('GET', '/cost', { month: '2026-13' })).status).toBe(400);
  });
});
