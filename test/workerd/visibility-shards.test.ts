/**
 * Visibility with workflow shards (the workerd project: 4 shards): a run's summary is a row of its
 * shard's own `visibility` table, written in the transaction of the change that makes it — no
 * outbox row, no D1 write, nothing left to deliver — and list, count and the namespace's cost ask
 * every shard and merge what they answer (src/visibility/shard-store.ts, list-rows.ts).
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { ResponseOf } from '../../protocol/index.js';
import { shardOf, workflowShards } from '../../src/workflow-shards.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { StateTable } from '../../src/storage/state-table.js';
import { ShardSummaries } from '../../src/visibility/shard-store.js';
import type { ExecutionSummary } from '../../src/visibility/summary.js';
import { fireAlarm, hostStorage, inWorkflow, tablesOf, json, testEnv } from './helpers.js';
import { RUNNING_SUMMARY_DELAY_MS } from '../../src/visibility/outbox.js';
import { taskQueueStub, workflowObjectStub } from '../../src/stubs.js';
import type { WorkflowObject } from '../../src/workflow-object.js';
import type { RetentionSweep } from '../../src/workflow-object/retention-sweep.js';
import { Space, complete } from './visibility-helpers.js';
import { DAY_MS, STATE_ONLY } from '../../src/storage/day-tables.js';
import { VISIBILITY_TABLE } from '../../src/visibility/list-entry.js';

const db = (env as unknown as { VISIBILITY: D1Database }).VISIBILITY;

/** The run's row in its workflow's visibility table in the shard (`visibility`, or its day's), or undefined. */
const shardRow = (s: Space, workflowId: string, runId: string) =>
  inWorkflow(s.ns, workflowId, (o: WorkflowHost, state) => {
    const { listTable: visibility } = tablesOf(o);
    const tables = state.storage.sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE name = ?`, visibility).toArray();
    if (tables.length === 0) return undefined;
    return state.storage.sql.exec<{ status: string; history_length: number }>(`SELECT status, history_length FROM ${visibility} WHERE run_id = ?`, runId).toArray()[0];
  });

/** The workflow's pending summaries (`v/` rows) in its shard's state table. */
const outboxRows = (s: Space, workflowId: string) => inWorkflow(s.ns, workflowId, (o: WorkflowHost, state) => new StateTable(state.storage.sql, [], hostStorage(o).scope, undefined, hostStorage(o).tables).range('v/').length);

/** The workflow's next change fails at its last write (its alarm, after the summary): all of it rolls back. */
const failNextChange = (s: Space, workflowId: string) =>
  inWorkflow(s.ns, workflowId, (o: WorkflowHost) => {
    const alarms = (o as unknown as { alarms: { schedule: () => void } }).alarms;
    const schedule = alarms.schedule.bind(alarms);
    alarms.schedule = () => {
      alarms.schedule = schedule;
      throw new Error('storage failed');
    };
  });

describe('summaries in the shard, written with their change', () => {
  it('runs in shards here (the suite is configured so)', () => {
    expect(workflowShards(testEnv)).toBe(4);
  });

  it('writes a run’s summary to its shard in the start’s transaction: listed at once, no outbox row, nothing in D1', async () => {
    const s = new Space();
    const { runId } = await s.ok<{ runId: string }>('POST', '/workflows', { workflowId: 'now', workflowType: 'order', taskQueue: s.queueOf('now'), input: [] });
    // No delivery was waited for: the answer came after the transaction that wrote the row.
    expect(await shardRow(s, 'now', runId)).toEqual({ status: 'RUNNING', history_length: 2 });
    expect(await s.ids()).toEqual(['now']);
    expect(await outboxRows(s, 'now')).toBe(0);
    expect(await inWorkflow(s.ns, 'now', (o: WorkflowHost) => [o.visibility.earliestDue(), o.visibility.settled])).toEqual([undefined, true]);

    await s.completeTask('now', complete);
    expect(await shardRow(s, 'now', runId)).toEqual({ status: 'COMPLETED', history_length: 5 });
    const d1 = await db.prepare('SELECT COUNT(*) AS n FROM executions WHERE namespace = ?').bind(s.ns).first<{ n: number }>();
    expect(d1!.n).toBe(0);
    // The run's bill has no D1 row: its summaries were SQLite rows of its shard.
    const cost = await s.ok<ResponseOf<'describeWorkflow'>>('GET', '/workflows/now', { runId });
    expect(cost.cost!.units.d1RowsWritten).toBe(0);
  });

  it('a summary written, replaced or deleted in `visibility` (a workflow of `state`) is one billed row', async () => {
    const s = new Space();
    await s.start('rows');
    const written = await inWorkflow(s.ns, 'rows', (_o: WorkflowHost, state) => {
      state.storage.sql.exec(VISIBILITY_TABLE);
      const counts: number[] = [];
      const sql = { exec: (query: string, ...values: unknown[]) => { const c = state.storage.sql.exec(query, ...values); counts.push(c.rowsWritten); return c; } } as unknown as SqlStorage;
      const summaries = new ShardSummaries(sql, 0, Date.now, STATE_ONLY);
      const summary: ExecutionSummary = {
        namespace: s.ns, workflowId: 'rows-direct', runId: crypto.randomUUID(), firstRunId: 'r', workflowType: 't', taskQueue: 'q', status: 'RUNNING',
        startTime: 1000, executionTime: 1000, historyLength: 2, version: 2, searchAttributes: { Tags: ['a', 'b'], Notes: { type: 'Text', value: 'three little words' } },
      };
      state.storage.transactionSync(() => {
        summaries.enqueue(summary, 0);
        summaries.enqueue({ ...summary, status: 'COMPLETED', closeTime: 2000, historyLength: 5, version: 5 }, 0);
        summaries.enqueueDeletion(s.ns, summary.runId, summary.startTime);
      });
      return counts;
    });
    // Search-attribute values ride in the run's row: no row of their own, whatever their number.
    expect(written).toEqual([1, 1, 1]);
  });

  it('a change that rolls back takes its summary with it', async () => {
    const s = new Space();
    // The alarm is the last write of a change (after the summary): a failure there rolls all of it back.
    await failNextChange(s, 'rolled');
    const failed = await s.call('POST', '/workflows', { workflowId: 'rolled', workflowType: 'order', taskQueue: s.queueOf('rolled'), input: [] });
    expect(failed.status).toBe(500);
    expect(await s.ids()).toEqual([]);
    expect((await s.count()).count).toBe(0);
    // The next start is written whole, the table made with it when it is the shard's first summary.
    await s.start('rolled');
    expect(await s.ids()).toEqual(['rolled']);
  });

  it('DeleteWorkflowExecution deletes the run’s row in its transaction', async () => {
    const s = new Space();
    const runId = await s.start('gone');
    await s.start('kept', { minutesLater: 1 });
    await s.ok('POST', '/workflows/gone/delete', {});
    expect(await shardRow(s, 'gone', runId)).toBeUndefined();
    expect(await s.ids()).toEqual(['kept']);
    expect((await s.count()).count).toBe(1);
  });

  it('retention’s sweep deletes a closed run’s row with the run', async () => {
    const s = new Space();
    const runId = await s.start('old');
    await s.completeTask('old', complete);
    // Past the default retention, 72 h, and the end of the run's day (its day table goes whole), on the shard's sweep clock (src/workflow-object/retention-sweep.ts).
    const deleted = await runInDurableObject(workflowObjectStub(testEnv, s.ns, 'old'), (o: WorkflowObject) => {
      const sweep = (o as unknown as { sweep: RetentionSweep }).sweep;
      sweep.clock.advance(73 * 3600_000 + DAY_MS);
      return sweep.run();
    });
    expect(deleted).toBe(1);
    expect(await shardRow(s, 'old', runId)).toBeUndefined();
    expect((await s.count()).count).toBe(0);
  });
});

/**
 * A start's entry held in its workflow's memory for KEEL_RUNNING_SUMMARY_DELAY_MS (the suite sets it to
 * 0, so each test gives its host the default): a run that closes by then writes one row, not two, and
 * nothing reads the difference.
 */
describe("a start's list entry, held in memory for its first second (a workflow of `state`)", () => {
  /** The workflow's summaries hold a start's entry for RUNNING_SUMMARY_DELAY_MS; counts the rows they write. */
  const holding = async (s: Space, workflowId: string) => {
    const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
    // Only a workflow of `state` holds (one of a day table lists its runs in their rows: day-tables.test.ts).
    await runInDurableObject(workflowObjectStub(testEnv, s.ns, workflowId), (o: WorkflowObject) => void ((o as unknown as { days: { newInDays: boolean } }).days.newInDays = false));
    await inWorkflow(s.ns, workflowId, (o: WorkflowHost) => {
      (o.visibility as unknown as { holdMs: number }).holdMs = RUNNING_SUMMARY_DELAY_MS;
      const sql = hostStorage(o).sql;
      const exec = sql.exec.bind(sql);
      sql.exec = ((query: string, ...values: unknown[]) => {
        const cursor = exec(query, ...values);
        if (/INTO visibility/.test(query)) cursors.push(cursor);
        return cursor;
      }) as SqlStorage['exec'];
    });
    return () => cursors.reduce((n, c) => n + c.rowsWritten, 0);
  };
  const startRun = async (s: Space, workflowId: string) =>
    (await s.ok<{ runId: string }>('POST', '/workflows', { workflowId, workflowType: 'order', taskQueue: s.queueOf(workflowId), input: [] })).runId;

  it('a run that closes within the hold writes one row, its close’s', async () => {
    const s = new Space();
    const rowsWritten = await holding(s, 'brief');
    const runId = await startRun(s, 'brief');
    expect(await shardRow(s, 'brief', runId)).toBeUndefined();
    await s.completeTask('brief', complete);
    expect(await shardRow(s, 'brief', runId)).toEqual({ status: 'COMPLETED', history_length: 5 });
    expect(rowsWritten()).toBe(1);
  });

  it('a list or count made during the hold sees the run: the read writes held entries first', async () => {
    const s = new Space();
    await holding(s, 'listed');
    const runId = await startRun(s, 'listed');
    expect(await s.ids()).toEqual(['listed']);
    expect(await shardRow(s, 'listed', runId)).toEqual({ status: 'RUNNING', history_length: 2 });
    expect((await s.count()).count).toBe(1);
  });

  it('a metrics read during the hold counts the run from memory and writes no row', async () => {
    const s = new Space();
    const rowsWritten = await holding(s, 'scraped');
    const runId = await startRun(s, 'scraped');
    const counts = await runInDurableObject(workflowObjectStub(testEnv, s.ns, 'scraped'), (o: WorkflowObject) => o.readVisibility({ kind: 'byQueue' }));
    expect(counts.filter((c) => c.task_queue === s.queueOf('scraped'))).toEqual([{ task_queue: s.queueOf('scraped'), status: 'RUNNING', n: 1 }]);
    expect(await shardRow(s, 'scraped', runId)).toBeUndefined();
    expect(rowsWritten()).toBe(0);
  });

  it('a hold that ends shortly before the workflow’s own timer rides on that timer’s firing: one alarm, not two', async () => {
    const s = new Space();
    await holding(s, 'timed');
    const runId = await startRun(s, 'timed');
    const started = await taskQueueStub(testEnv, s.ns, s.queueOf('timed'), 'workflow').poll('vis-worker', 2000);
    if (started?.kind !== 'workflow') throw new Error('no workflow task');
    await s.ok('POST', '/workflow-tasks/complete', { taskToken: started.task.taskToken, commands: [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 1_500 }], identity: 'vis-worker' });
    const [slot, holdEnds] = await inWorkflow(s.ns, 'timed', async (o: WorkflowHost) => [(await hostStorage(o).getAlarm())!, o.clock.toWallClock(o.visibility.earliestDue()!)] as const);
    // The slot is the timer's, within a hold's length after the hold ends.
    expect(slot).toBeGreaterThan(holdEnds);
    expect(slot - holdEnds).toBeLessThanOrEqual(RUNNING_SUMMARY_DELAY_MS);
    // That one firing writes the entry.
    await inWorkflow(s.ns, 'timed', (o: WorkflowHost) => o.clock.advance(slot - o.clock.toWallClock(o.clock.now())));
    expect(await fireAlarm('timed', s.ns)).toBe(true);
    expect((await shardRow(s, 'timed', runId))?.status).toBe('RUNNING');
    expect(await inWorkflow(s.ns, 'timed', (o: WorkflowHost) => o.visibility.settled)).toBe(true);
  });

  it('the workflow’s alarm writes the entry when the hold ends, and the workflow holds nothing after', async () => {
    const s = new Space();
    await holding(s, 'slow');
    const runId = await startRun(s, 'slow');
    const [wait, quiet] = await inWorkflow(s.ns, 'slow', (o: WorkflowHost) => [o.visibility.earliestDue()! - o.clock.now(), o.quiet] as const);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(RUNNING_SUMMARY_DELAY_MS);
    // A workflow that holds an entry is not dropped from its shard's memory.
    expect(quiet).toBe(false);
    await inWorkflow(s.ns, 'slow', (o: WorkflowHost) => o.clock.advance(RUNNING_SUMMARY_DELAY_MS));
    expect(await fireAlarm('slow', s.ns)).toBe(true);
    expect(await shardRow(s, 'slow', runId)).toEqual({ status: 'RUNNING', history_length: 2 });
    expect(await inWorkflow(s.ns, 'slow', (o: WorkflowHost) => [o.visibility.settled, o.visibility.earliestDue()])).toEqual([true, undefined]);
  });

  it('an entry lost with the shard’s memory (a crash) is written by the workflow’s next change', async () => {
    const s = new Space();
    await holding(s, 'lost');
    const runId = await startRun(s, 'lost');
    // The shard forgets the workflow as a restart would, its held entry unwritten.
    await runInDurableObject(workflowObjectStub(testEnv, s.ns, 'lost'), (o: WorkflowObject) => (o as unknown as { hosts: Map<string, unknown> }).hosts.delete('lost'));
    expect(await shardRow(s, 'lost', runId)).toBeUndefined();
    await s.ok('POST', '/workflows/lost/signal', { signalName: 'poke', input: [] });
    expect((await shardRow(s, 'lost', runId))?.status).toBe('RUNNING');
  });

  it('… or by its alarm, which the start set in its transaction: a restart with nothing else to do lists it too', async () => {
    const s = new Space();
    await holding(s, 'woken');
    const runId = await startRun(s, 'woken');
    await runInDurableObject(workflowObjectStub(testEnv, s.ns, 'woken'), (o: WorkflowObject) => (o as unknown as { hosts: Map<string, unknown> }).hosts.delete('woken'));
    expect(await fireAlarm('woken', s.ns)).toBe(true);
    expect(await shardRow(s, 'woken', runId)).toEqual({ status: 'RUNNING', history_length: 2 });
  });

  it('a start that rolls back holds nothing', async () => {
    const s = new Space();
    await holding(s, 'undone');
    await failNextChange(s, 'undone');
    expect((await s.call('POST', '/workflows', { workflowId: 'undone', workflowType: 'order', taskQueue: s.queueOf('undone'), input: [] })).status).toBe(500);
    expect(await inWorkflow(s.ns, 'undone', (o: WorkflowHost) => o.visibility.settled)).toBe(true);
    expect((await s.count()).count).toBe(0);
  });
});

describe('list and count across the shards', () => {
  /** Twelve runs, started a minute apart, over more than one shard. */
  async function spread() {
    const s = new Space();
    const ids = Array.from({ length: 12 }, (_, i) => `w${String(i).padStart(2, '0')}`);
    expect(new Set(ids.map((id) => shardOf(id, 4))).size).toBeGreaterThan(1);
    for (const [i, id] of ids.entries()) await s.start(id, { minutesLater: i, type: i % 2 ? 'odd' : 'even', searchAttributes: { Rank: 100 - i } });
    return { s, newestFirst: [...ids].reverse() };
  }

  it('merges the shards’ pages in the list’s order: page size honoured, every run once, one token for all shards', async () => {
    const { s, newestFirst } = await spread();
    const seen: string[] = [];
    let token: string | undefined;
    const sizes: number[] = [];
    do {
      const page = await s.list(undefined, { pageSize: 5, ...(token ? { nextPageToken: token } : {}) });
      sizes.push(page.executions.length);
      seen.push(...page.executions.map((e) => e.execution.workflowId));
      token = page.nextPageToken;
    } while (token);
    expect(sizes).toEqual([5, 5, 2]);
    expect(seen).toEqual(newestFirst);

    // A filtered list ordered by a custom attribute, paged: the same merge by other keys.
    const odd: string[] = [];
    token = undefined;
    do {
      const page = await s.list("WorkflowType = 'odd' ORDER BY Rank ASC", { pageSize: 4, ...(token ? { nextPageToken: token } : {}) });
      odd.push(...page.executions.map((e) => e.execution.workflowId));
      token = page.nextPageToken;
    } while (token);
    expect(odd).toEqual(['w11', 'w09', 'w07', 'w05', 'w03', 'w01']);
  });

  it('counts in total and by status, summed over the shards', async () => {
    const { s } = await spread();
    await s.completeTask('w00', complete);
    await s.completeTask('w05', complete);
    await s.terminate('w07');
    expect((await s.count()).count).toBe(12);
    expect((await s.count("WorkflowType = 'odd'")).count).toBe(6);
    expect(await s.count(undefined, 'ExecutionStatus')).toEqual({
      count: 12,
      groups: [
        { groupValues: ['Running'], count: 9 },
        { groupValues: ['Completed'], count: 2 },
        { groupValues: ['Terminated'], count: 1 },
      ],
    });
  });

  it("sums the namespace's month so far over the shards", async () => {
    const s = new Space();
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5']) await s.start(id);
    await s.completeTask('c1', [{ type: 'CompleteWorkflowExecution', result: json('done') }]);
    const answer = await s.ok<ResponseOf<'describeNamespaceCost'>>('GET', '/cost');
    expect(answer.runs).toBe(5);
    // Every start is a Worker request its run counts.
    expect(answer.units.workerRequests).toBeGreaterThanOrEqual(5);
    expect(answer.units.d1RowsWritten).toBe(0);
  });
});
