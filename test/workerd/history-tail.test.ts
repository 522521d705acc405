/**
 * A run's newest events ride in its run's row (src/storage/history-rows.ts `appendHistory`, the
 * run row's `$h`), so a change that adds a few events writes one state row, not two; past
 * TAIL_CHARS they go to a history row. Every read of history sees them: pages, a task's history,
 * after the object is evicted (the tail read back with the run's row), and a deleted run takes
 * them with it.
 */
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../protocol/index.js';
import { TAIL_CHARS } from '../../src/storage/history-rows.js';
import { splitExtras } from '../../src/storage/run-rows.js';
import { decodeRow, type StoredValue } from '../../src/storage/row-codec.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { NS, expectError, call, history, hostStorage, inWorkflow, json, ok, restart, sendSignal, startWorkflow, storedState, unique } from './helpers.js';
import { completeActivity, heldRun, speculation } from './speculative-helpers.js';

/** Counts the rows each statement writes to the state table from now on, by the kind of key (its prefix: 'r/' runs, 'h/' history, …). */
async function countStateWrites(workflowId: string): Promise<() => Record<string, number>> {
  const written: Record<string, number> = {};
  await inWorkflow(NS, workflowId, (o: WorkflowHost, state) => {
    const scope = hostStorage(o).scope;
    const sql = state.storage.sql;
    const exec = sql.exec.bind(sql);
    (sql as unknown as { exec: (query: string, ...bindings: SqlStorageValue[]) => unknown }).exec = (query: string, ...bindings: SqlStorageValue[]) => {
      const cursor = exec<Record<string, SqlStorageValue>>(query, ...bindings);
      if (/^INSERT (OR REPLACE )?INTO state(_d\d+)?\b/.test(query)) {
        const kind = String(bindings[0]).slice(scope.length, scope.length + 2);
        written[kind] = (written[kind] ?? 0) + cursor.rowsWritten;
      }
      return cursor;
    };
  });
  return () => ({ ...written });
}

/** Every page of the run's history at `pageSize` events a page, in order. */
async function pages(workflowId: string, pageSize: number): Promise<HistoryEvent[][]> {
  const out: HistoryEvent[][] = [];
  let nextPageToken: string | undefined;
  do {
    const page = await ok<{ events: HistoryEvent[]; nextPageToken?: string }>('GET', `/workflows/${workflowId}/history`, { pageSize, ...(nextPageToken ? { nextPageToken } : {}) });
    if (page.events.length === 0) break;
    out.push(page.events);
    nextPageToken = page.nextPageToken;
  } while (nextPageToken);
  return out;
}

/** The run's history rows and its row's tail, as stored. */
const storedHistory = (workflowId: string, runId: string) =>
  storedState(workflowId).then(({ events, runs }) => ({
    rows: (events as unknown as Array<{ v: StoredValue }>).map((r) => JSON.parse(decodeRow(r.v)) as Array<[number, ...unknown[]]>),
    tail: splitExtras(decodeRow((runs as unknown as Array<{ k: string; v: StoredValue }>).find((r) => r.k === `r/${runId}`)!.v)).tail,
  }));

describe("a run's history tail in its row", () => {
  it('a W1 as the SDK runs it (three changes) writes three state rows: its run’s, its events with it, no history row', async () => {
    const workflowId = unique('tail-w1');
    const writes = await countStateWrites(workflowId);
    // Start (eager), the first task's completion (an eager activity), the activity's completion with the task it causes.
    const { sticky, activity, end } = await heldRun('tail-w1', workflowId);
    await completeActivity(activity, sticky, { workflowTaskCompletion: speculation(end, sticky, [{ type: 'CompleteWorkflowExecution', result: json('done') }]) });
    expect(writes()).toEqual({ 'r/': 3 });
    const events = await history(workflowId);
    expect(events.map((e) => e.eventId)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(events.at(-1)?.eventType).toBe('WorkflowExecutionCompleted');
    expect((await storedState(workflowId)).events).toEqual([]);
  });

  it('history read after the object restarts is the history read before, and the run goes on from the tail read back', async () => {
    const workflowId = unique('tail-restart');
    const { runId } = await startWorkflow(workflowId, unique('tail-restart-tq'));
    await sendSignal(workflowId, 'one', [json('a'.repeat(300))]);
    const before = await history(workflowId);
    await restart(workflowId);
    expect(await history(workflowId)).toEqual(before);
    // Events added to a tail read back from storage (its events not kept) join it in order.
    await sendSignal(workflowId, 'two', [json('b'.repeat(300))]);
    const after = await history(workflowId);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.map((e) => e.eventId)).toEqual(Array.from({ length: after.length }, (_, i) => i + 1));
    expect(after.at(-1)?.eventType).toBe('WorkflowExecutionSignaled');
    await restart(workflowId);
    expect(await history(workflowId)).toEqual(after);
    expect((await storedHistory(workflowId, runId)).rows).toEqual([]);
  });

  it('a tail past its bound goes to a history row; pages across the rows and the tail are whole and in order, also after a restart', async () => {
    const workflowId = unique('tail-bound');
    const { runId } = await startWorkflow(workflowId, unique('tail-bound-tq'));
    // Signals of about 1 KB each: a history row every few changes. One of 2 × TAIL_CHARS goes to a row at once.
    for (let i = 0; i < 16; i++) await sendSignal(workflowId, `s${i}`, [json(String(i % 10).repeat(i === 9 ? 2 * TAIL_CHARS : 700))]);
    await sendSignal(workflowId, 'last');
    const { rows, tail } = await storedHistory(workflowId, runId);
    const all = await history(workflowId);
    expect(all.map((e) => e.eventId)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    // Several rows, far fewer than the 18 changes; each holds more than the tail may, and follows the one before.
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.length).toBeLessThan(10);
    for (const row of rows) expect(JSON.stringify(row).length).toBeGreaterThan(TAIL_CHARS);
    const ids = [...rows.flatMap((r) => r.map((e) => e[0])), ...(tail ? JSON.parse(tail.v).map((e: [number]) => e[0]) : [])];
    expect(ids).toEqual(all.map((e) => e.eventId));
    expect(tail!.v.length).toBeLessThanOrEqual(TAIL_CHARS);
    // The signal of 2 × TAIL_CHARS ended a row (with the tail before it).
    const big = all.find((e) => (e.attributes as { signalName?: string }).signalName === 's9')!;
    expect(rows.some((r) => r.at(-1)![0] === big.eventId)).toBe(true);

    for (const pageSize of [1, 2, 3, 5, 7, 100]) expect((await pages(workflowId, pageSize)).flat()).toEqual(all);
    await restart(workflowId);
    for (const pageSize of [1, 3, 7]) expect((await pages(workflowId, pageSize)).flat()).toEqual(all);
    expect(await history(workflowId)).toEqual(all);
  });

  it('deleting a run deletes its tail with its row: nothing of the workflow is left', async () => {
    const workflowId = unique('tail-delete');
    const { runId } = await startWorkflow(workflowId, unique('tail-delete-tq'));
    await sendSignal(workflowId, 'one');
    expect((await storedHistory(workflowId, runId)).tail).toBeDefined();
    await ok('POST', `/workflows/${workflowId}/delete`, { runId });
    expect((await storedState(workflowId)).state).toEqual([]);
    expectError(await call('GET', `/workflows/${workflowId}/history`, { runId }), 'WORKFLOW_NOT_FOUND');
  });
});
