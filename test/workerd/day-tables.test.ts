/**
 * Day tables in a shard (src/storage/day-tables.ts, src/workflow-object/day-drop.ts; the workerd project:
 * 4 shards): a workflow new to its shard keeps its rows in the table of the day it arrived and its list
 * entries in that day's visibility table; the shard's retention sweep drops the pair whole once the day
 * has ended and the retention has passed — billed no row — after moving to `state` the workflows that
 * outlive it. The sweep's clock is moved and the sweep run (no waiting).
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { DAY_MS, dayEnd, dayOf, stateTableOf } from '../../src/storage/day-tables.js';
import { SCHEMA_VERSION } from '../../src/storage/schema.js';
import { workflowObjectStub, workflowShardStubs } from '../../src/stubs.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import type { WorkflowObject } from '../../src/workflow-object.js';
import { keyScope } from '../../src/workflow-object/host-storage.js';
import type { RetentionSweep } from '../../src/workflow-object/retention-sweep.js';
import { dropDay } from '../../src/workflow-object/day-drop.js';
import { shardOf, workflowShards } from '../../src/workflow-shards.js';
import { expectError, inWorkflow, restart, rowsWrittenBy, tablesOf, testEnv } from './helpers.js';
import { complete, spaceWithRetention as space, type Space } from './visibility-helpers.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** `n` workflow ids of one shard. */
function sameShard(prefix: string, n: number): string[] {
  const shards = workflowShards(testEnv);
  const ids = [`${prefix}-0`];
  for (let i = 1; ids.length < n; i++) if (shardOf(`${prefix}-${i}`, shards) === shardOf(ids[0]!, shards)) ids.push(`${prefix}-${i}`);
  return ids;
}

interface ShardView {
  o: WorkflowObject;
  sql: SqlStorage;
  sweep: RetentionSweep;
  days: { list(): readonly number[]; newInDays: boolean };
}

/** Runs `fn` on the shard that keeps `workflowId`. */
const inShard = <T>(s: Space, workflowId: string, fn: (shard: ShardView) => T | Promise<T>) =>
  runInDurableObject(workflowObjectStub(testEnv, s.ns, workflowId), (o: WorkflowObject, state) => {
    const inner = o as unknown as { sweep: RetentionSweep; days: ShardView['days'] };
    return fn({ o, sql: state.storage.sql, sweep: inner.sweep, days: inner.days });
  });

/** The day table the workflow's rows are in (null: `state`). */
const dayOfWorkflow = (s: Space, workflowId: string) => inWorkflow(s.ns, workflowId, (o: WorkflowHost) => tablesOf(o).day ?? null);

/** Every row of the workflow's scope in each of the shard's state tables, by table. */
const rowsByTable = (s: Space, workflowId: string) =>
  inShard(s, workflowId, ({ sql }) => {
    const scope = keyScope(workflowId);
    const tables = sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND (name = 'state' OR name LIKE 'state_d%')`).toArray();
    return Object.fromEntries(tables.map(({ name }) => [name, sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${name} WHERE k >= ? AND k < ?`, scope, scope.slice(0, -1) + '0').one().n]).filter(([, n]) => n !== 0));
  });

/**
 * Runs one sweep with its clock at `at` (wall-clock ms), counting every row the shard's statements
 * write meanwhile (the workflows' own handles call the shard's `exec` too). Answers the runs it deleted and the rows.
 */
const sweepAt = (s: Space, workflowId: string, at: number) =>
  inShard(s, workflowId, async ({ sql, sweep }) => {
    sweep.clock.advance(at - sweep.clock.now());
    const { result: deleted, written } = await rowsWrittenBy(sql, () => sweep.run());
    return { deleted, written };
  });


/**
 * Runs `fn` on the workflow's host with every statement of the shard's handle recorded, with the rows
 * each wrote (the cursor's rowsWritten, what Cloudflare bills).
 */
async function statementsOf(s: Space, workflowId: string, fn: () => Promise<unknown>): Promise<Array<{ query: string; written: number }>> {
  const cursors: Array<{ query: string; cursor: SqlStorageCursor<Record<string, SqlStorageValue>> }> = [];
  let restore: (() => void) | undefined;
  await inShard(s, workflowId, ({ sql }) => {
    const exec = sql.exec.bind(sql);
    sql.exec = ((query: string, ...bindings: SqlStorageValue[]) => {
      const cursor = exec<Record<string, SqlStorageValue>>(query, ...bindings);
      cursors.push({ query, cursor });
      return cursor;
    }) as SqlStorage['exec'];
    restore = () => void (sql.exec = exec);
  });
  try {
    await fn();
  } finally {
    await inShard(s, workflowId, () => restore?.());
  }
  return cursors.map(({ query, cursor }) => ({ query, written: cursor.rowsWritten })).filter((st) => st.written > 0);
}

/** The run's list entry in its row of the day table (undefined: none). */
const entryOf = (s: Space, workflowId: string, day: number, runId: string) =>
  inShard(s, workflowId, ({ sql }) => sql.exec<{ status: string; history_length: number; workflow_type: string; memo: string | null; search_attributes: string | null }>(`SELECT status, history_length, workflow_type, memo, search_attributes FROM ${entriesOf(day)} WHERE run_id = ?`, runId).toArray()[0]);

/** The list entries of a day table: its run rows' list columns (src/visibility/list-entry.ts), as a table to select from. */
const entriesOf = (day: number) => `(SELECT * FROM ${stateTableOf(day)} WHERE start_time IS NOT NULL)`;

const tableNames = (s: Space, workflowId: string) => inShard(s, workflowId, ({ sql }) => sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).toArray().map((r) => r.name));

/** Every run `s` lists, read in pages of two, a page token at each step (ten pages at most). */
async function listedInPages(s: Space): Promise<string[]> {
  const seen: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < 10; page++) {
    const answer = await s.list(undefined, { pageSize: 2, ...(token ? { nextPageToken: token } : {}) });
    seen.push(...answer.executions.map((e) => e.execution.workflowId));
    token = answer.nextPageToken || undefined;
    if (!token) break;
  }
  return seen;
}

describe("a shard's day tables", () => {
  it("keeps a new workflow's rows and list entry in the tables of the day it arrived, and nothing in state or visibility", async () => {
    const s = await space(HOUR);
    const runId = await s.start('fresh');
    await s.completeTask('fresh', complete);
    const day = dayOf(Date.now());
    expect(await dayOfWorkflow(s, 'fresh')).toBe(day);
    expect(Object.keys(await rowsByTable(s, 'fresh'))).toEqual([stateTableOf(day)]);
    const entries = await inShard(s, 'fresh', ({ sql }) => sql.exec<{ run_id: string; status: string }>(`SELECT run_id, status FROM ${entriesOf(day)} WHERE workflow_id = 'fresh'`).toArray());
    expect(entries).toEqual([{ run_id: runId, status: 'COMPLETED' }]);
    expect(await s.ids()).toEqual(['fresh']);
  });

  it("a finished workflow's deletion at retention writes no row: its day's tables are dropped whole once the day has ended and the retention has passed, and not before", async () => {
    const s = await space(HOUR);
    const ids = sameShard('w1', 3);
    for (const id of ids) {
      await s.start(id);
      await s.completeTask(id, complete);
    }
    const day = (await dayOfWorkflow(s, ids[0]!))!;
    // Retention passed since the closes, but the day has not ended an hour ago: nothing goes yet.
    expect((await sweepAt(s, ids[0]!, dayEnd(day) + HOUR - MINUTE)).deleted).toBe(0);
    expect((await s.count()).count).toBe(3);
    const swept = await sweepAt(s, ids[0]!, dayEnd(day) + HOUR + MINUTE);
    expect(swept).toEqual({ deleted: 3, written: 0 });
    // (Read before any request: the wall clock is still in that day, so a request for a workflow new to the shard would make its table again.)
    expect(await tableNames(s, ids[0]!)).not.toContain(stateTableOf(day));
    for (const id of ids) expectError(await s.call('GET', `/workflows/${id}`), 'WORKFLOW_NOT_FOUND');
    expect(await s.ids()).toEqual([]);
    expect((await s.count()).count).toBe(0);
    // The id starts afresh, in the day table of its new arrival.
    await s.start(ids[0]!);
    expect((await s.call('GET', `/workflows/${ids[0]!}`)).body.status).toBe('RUNNING');
  });

  it('moves a workflow still running, or closed less than the retention ago, to state when its day is dropped: it stays readable, and is deleted later as before', async () => {
    const s = await space(HOUR);
    const [running, recent, old] = sameShard('move', 3) as [string, string, string];
    const runningId = await s.start(running);
    await s.start(recent);
    await s.start(old);
    await s.completeTask(old, complete);
    const day = (await dayOfWorkflow(s, running))!;
    const dropAt = dayEnd(day) + HOUR + MINUTE;
    // `recent` closes after its day has ended (its clock moved there): less than the retention before the drop.
    await inWorkflow(s.ns, recent, (o: WorkflowHost) => o.clock.advance(dayEnd(day) + 2 * MINUTE - Date.now()));
    await s.completeTask(recent, complete);

    const swept = await sweepAt(s, running, dropAt);
    expect(swept.deleted).toBe(1);
    // The moved rows, billed once: the two workflows' rows and their list entries.
    expect(swept.written).toBeGreaterThan(0);
    expect(await tableNames(s, running)).not.toContain(stateTableOf(day));
    // Their hosts in memory were rebound to `state`; after a restart too, `state` is where they are found.
    expect(await dayOfWorkflow(s, running)).toBeNull();
    await restart(running, s.ns);
    expect(await dayOfWorkflow(s, running)).toBeNull();
    expect(Object.keys(await rowsByTable(s, running))).toEqual(['state']);
    expect(Object.keys(await rowsByTable(s, recent))).toEqual(['state']);
    expect(await rowsByTable(s, old)).toEqual({});
    expect((await s.call('GET', `/workflows/${running}`)).body).toMatchObject({ status: 'RUNNING', execution: { runId: runningId } });
    expect((await s.call('GET', `/workflows/${running}/history`)).status).toBe(200);
    expect((await s.call('GET', `/workflows/${recent}`)).body.status).toBe('COMPLETED');
    expect((await s.ids()).sort()).toEqual([recent, running].sort());
    // Their list entries were moved to `visibility` (`state` has no list columns), one each.
    const moved = await inShard(s, running, ({ sql }) => sql.exec<{ workflow_id: string; status: string }>(`SELECT workflow_id, status FROM visibility ORDER BY workflow_id`).toArray());
    expect(moved).toEqual([{ workflow_id: recent, status: 'COMPLETED' }, { workflow_id: running, status: 'RUNNING' }].sort((a, b) => (a.workflow_id < b.workflow_id ? -1 : 1)));

    // Still a workflow as before: it closes, its result is read, and its run is deleted row by row at its retention.
    await s.completeTask(running, complete);
    expect((await s.ok<{ events: Array<{ eventType: string }> }>('GET', `/workflows/${running}/history`)).events.at(-1)?.eventType).toBe('WorkflowExecutionCompleted');
    const later = await sweepAt(s, running, dropAt + 2 * HOUR);
    expect(later.deleted).toBe(2);
    expect(later.written).toBeGreaterThan(0);
    expectError(await s.call('GET', `/workflows/${running}`), 'WORKFLOW_NOT_FOUND');
    expect(await s.ids()).toEqual([]);
  });

  it("a new run of a workflow that lives in a day table stays in that table: a start after close, and one on a later day or after a restart", async () => {
    const s = await space(HOUR);
    const first = await s.start('reused');
    await s.terminate('reused');
    const day = (await dayOfWorkflow(s, 'reused'))!;
    const second = await s.start('reused');
    expect(second).not.toBe(first);
    expect(await dayOfWorkflow(s, 'reused')).toBe(day);
    // A workflow the shard's memory no longer holds is found in its table, whatever day it is now.
    await restart('reused', s.ns);
    // Three days on by the shard's wall clock (its day tables' clock), the wall clock itself not moved.
    const found = await inShard(s, 'reused', ({ o }) => {
      const days = (o as unknown as { days: { locate(scope: string): { day: number | null } } }).days;
      const wall = o.clock.wall;
      o.clock.wall = () => wall.call(o.clock) + 3 * DAY_MS;
      try {
        return { reused: days.locate(keyScope('reused')).day, fresh: days.locate(keyScope('never-seen')).day };
      } finally {
        o.clock.wall = wall;
      }
    });
    expect(found).toEqual({ reused: day, fresh: day + 3 });
    await s.terminate('reused');
    await s.start('reused');
    expect(Object.keys(await rowsByTable(s, 'reused'))).toEqual([stateTableOf(day)]);
    const runs = await inShard(s, 'reused', ({ sql }) => sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${entriesOf(day)} WHERE workflow_id = 'reused'`).one().n);
    expect(runs).toBe(3);
  });

  it('a continue-as-new run stays in its workflow’s day table', async () => {
    const s = await space(HOUR);
    await s.start('chain');
    await s.completeTask('chain', [{ type: 'ContinueAsNewWorkflowExecution', workflowType: 'order', taskQueue: s.queueOf('chain'), input: [] } as never]);
    const day = (await dayOfWorkflow(s, 'chain'))!;
    expect(Object.keys(await rowsByTable(s, 'chain'))).toEqual([stateTableOf(day)]);
    const statuses = await inShard(s, 'chain', ({ sql }) => sql.exec<{ status: string }>(`SELECT status FROM ${entriesOf(day)} WHERE workflow_id = 'chain' ORDER BY start_time`).toArray().map((r) => r.status));
    expect(statuses.sort()).toEqual(['CONTINUED_AS_NEW', 'RUNNING']);
  });

  it('lists and counts see the runs of every table, in order, a page token carrying across tables', async () => {
    const s = await space(HOUR);
    const ids = sameShard('across', 7);
    // In turn in `state` (as before day tables), in today's day table and in tomorrow's (as if they arrived then), in one shard.
    for (const [i, id] of ids.entries()) {
      await inShard(s, id, ({ o, days }) => {
        const shardDays = days as unknown as { newInDays: boolean; locate(scope: string): unknown; ownLocate?: (scope: string) => unknown };
        shardDays.newInDays = i % 3 !== 0;
        shardDays.ownLocate ??= shardDays.locate.bind(shardDays);
        // Tomorrow by the shard's wall clock while it locates the workflow (its slots stay on today's).
        shardDays.locate = (scope) => {
          const wall = o.clock.wall;
          if (i % 3 === 2) o.clock.wall = () => wall.call(o.clock) + DAY_MS;
          try {
            return shardDays.ownLocate!(scope);
          } finally {
            o.clock.wall = wall;
          }
        };
      });
      await s.start(id, { minutesLater: i });
    }
    await inShard(s, ids[0]!, ({ days }) => {
      const shardDays = days as unknown as { newInDays: boolean; locate: unknown; ownLocate?: unknown };
      shardDays.newInDays = true;
      shardDays.locate = shardDays.ownLocate;
    });
    const day = dayOf(Date.now());
    expect(await dayOfWorkflow(s, ids[0]!)).toBeNull();
    expect(await dayOfWorkflow(s, ids[1]!)).toBe(day);
    expect(await dayOfWorkflow(s, ids[2]!)).toBe(day + 1);
    const seen = await listedInPages(s);
    // Newest first: the later a run started, the earlier it is listed.
    expect(seen).toEqual([...ids].reverse());
    expect((await s.count()).count).toBe(7);
    expect((await s.count(undefined, 'ExecutionStatus')).groups?.map((g: { count: number }) => g.count)).toEqual([7]);
    expect(await s.ids(`WorkflowId = '${ids[3]!}'`)).toEqual([ids[3]]);
  });

  it('a shard whose memory is gone finds its workflows in their day tables, and lists them', async () => {
    const s = await space(HOUR);
    const runId = await s.start('remembered');
    await s.completeTask('remembered', complete);
    const day = await dayOfWorkflow(s, 'remembered');
    await restart('remembered', s.ns);
    expect(await inShard(s, 'remembered', ({ days }) => days.list())).toContain(day);
    expect(await dayOfWorkflow(s, 'remembered')).toBe(day);
    expect((await s.call('GET', '/workflows/remembered')).body).toMatchObject({ status: 'COMPLETED', execution: { runId } });
    expect(await s.ids()).toEqual(['remembered']);
  });

  it('keeps a finished workflow past its retention when something waits on it in memory (not quiet): moved, not dropped', async () => {
    const s = await space(HOUR);
    const [waited, free] = sameShard('busy', 2) as [string, string];
    for (const id of [waited, free]) {
      await s.start(id);
      await s.completeTask(id, complete);
    }
    const day = (await dayOfWorkflow(s, waited))!;
    const moved = await inShard(s, waited, ({ sql, o }) =>
      dropDay({ sql, transactionSync: (fn) => (o as unknown as { ctx: DurableObjectState }).ctx.storage.transactionSync(fn), busy: (id) => id === waited }, day, dayEnd(day) + MINUTE),
    );
    expect([...moved.moved]).toEqual([waited]);
    expect(moved.runsDropped).toBe(1);
    expect(Object.keys(await rowsByTable(s, waited))).toEqual(['state']);
    expect(await rowsByTable(s, free)).toEqual({});
  });

  it('a start that rolls back leaves nothing in its day table, and the next start is written whole', async () => {
    const s = await space(HOUR);
    // The start's last write (its alarm, after its rows and list entry) fails: all of it rolls back.
    await inWorkflow(s.ns, 'rolled', (o: WorkflowHost) => {
      const alarms = (o as unknown as { alarms: { schedule: () => void } }).alarms;
      const schedule = alarms.schedule.bind(alarms);
      alarms.schedule = () => {
        alarms.schedule = schedule;
        throw new Error('storage failed');
      };
    });
    const day = (await dayOfWorkflow(s, 'rolled'))!;
    const failed = await s.call('POST', '/workflows', { workflowId: 'rolled', workflowType: 'order', taskQueue: s.queueOf('rolled'), input: [] });
    expect(failed.status).toBe(500);
    expect(await rowsByTable(s, 'rolled')).toEqual({});
    const entries = () => inShard(s, 'rolled', ({ sql }) => sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${entriesOf(day)} WHERE workflow_id = 'rolled'`).one().n);
    expect(await entries()).toBe(0);
    expect(await s.ids()).toEqual([]);
    // The day's tables were made before the change, outside it: they stay, and the shard's memory of them holds.
    expect(await inShard(s, 'rolled', ({ days }) => days.list())).toContain(day);
    await s.start('rolled');
    expect(Object.keys(await rowsByTable(s, 'rolled'))).toEqual([stateTableOf(day)]);
    expect(await entries()).toBe(1);
    expect(await s.ids()).toEqual(['rolled']);
  });

  it('a shard with day tables records schema version 4, which a build from before them refuses', async () => {
    const s = await space(HOUR);
    await s.start('versioned');
    const recorded = await inShard(s, 'versioned', ({ sql }) => sql.exec<{ v: string }>(`SELECT v FROM state WHERE k = 'm/schemaVersion'`).toArray()[0]?.v);
    expect(recorded).toBe(String(SCHEMA_VERSION));
    expect(SCHEMA_VERSION).toBe(4);
  });

  it("a run's list entry rides in its run's row: each change writes that row once, and no list row of its own", async () => {
    const s = await space(HOUR);
    const day = dayOf(Date.now());
    let runId = '';
    const started = await statementsOf(s, 'w1', async () => void (runId = await s.start('w1')));
    // Listed at once after its start, with no hold in memory: the start's run row carries the entry.
    expect(await entryOf(s, 'w1', day, runId)).toMatchObject({ status: 'RUNNING', history_length: 2, workflow_type: 'order' });
    expect(await s.ids()).toEqual(['w1']);
    expect(await inWorkflow(s.ns, 'w1', (o: WorkflowHost) => [o.visibility.settled, o.visibility.earliestDue()])).toEqual([true, undefined]);
    // The first task's completion with no command (no summary change) keeps the entry as it was.
    const kept = await statementsOf(s, 'w1', () => s.completeTask('w1', []));
    expect(await entryOf(s, 'w1', day, runId)).toMatchObject({ status: 'RUNNING', history_length: 2 });
    await s.ok('POST', '/workflows/w1/signal', { signalName: 'go', input: [] });
    // The close, by the workflow task that completes the run, as a W1's last task does.
    const closed = await statementsOf(s, 'w1', () => s.completeTask('w1', complete));
    expect(await entryOf(s, 'w1', day, runId)).toMatchObject({ status: 'COMPLETED' });
    expect(await s.ids("ExecutionStatus = 'Completed'")).toEqual(['w1']);
    const runRow = (sts: Array<{ query: string; written: number }>) => sts.filter((st) => st.query.includes(`INTO ${stateTableOf(day)}`) && st.query.includes('(k, v, n'));
    for (const sts of [started, kept, closed]) {
      // No statement writes a list row anywhere: not `visibility`, no UPDATE of the entry after the run's INSERT.
      expect(sts.filter((st) => /visibility|^UPDATE/i.test(st.query))).toEqual([]);
    }
    // The start's and the close's run rows, with their entries, in one statement each: one row written each.
    for (const sts of [started, closed]) expect(runRow(sts).filter((st) => st.query.includes('start_time')).map((st) => st.written)).toEqual([1]);
    // A change that leaves the summary as it was writes the run's row alone (its entry kept): one row too
    // (the task's start, then its completion: a change each).
    const plain = runRow(kept).map((st) => ({ entry: st.query.includes('start_time'), written: st.written }));
    expect(plain.length).toBeGreaterThan(0);
    expect(plain).toEqual(plain.map(() => ({ entry: false, written: 1 })));
  });

  it('upserting search attributes or memo updates the run\'s entry in its row: lists filter by the new values', async () => {
    const s = await space(HOUR);
    const day = dayOf(Date.now());
    const runId = await s.start('tagged', { searchAttributes: { Region: 'eu' } });
    expect(await s.ids("Region = 'eu'")).toEqual(['tagged']);
    await s.completeTask('tagged', [
      { type: 'UpsertWorkflowSearchAttributes', searchAttributes: { Region: 'us', Tier: 3 } } as never,
      { type: 'ModifyWorkflowProperties', upsertedMemo: { note: { metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'ImhpIg==' } } } as never,
    ]);
    expect(await s.ids("Region = 'eu'")).toEqual([]);
    expect(await s.ids("Region = 'us' AND Tier >= 3")).toEqual(['tagged']);
    const entry = await entryOf(s, 'tagged', day, runId);
    expect(JSON.parse(entry!.memo!)).toHaveProperty('note');
    expect((await s.list()).executions[0]?.memo).toHaveProperty('note');
  });

  it('lists and counts answer alike over `visibility` (workflows of `state`) and day tables: status, type, search attributes, close-time order', async () => {
    const inState = await space(HOUR);
    const inDays = await space(HOUR);
    for (const stub of workflowShardStubs(testEnv, inState.ns)) await runInDurableObject(stub, (o: WorkflowObject) => void ((o as unknown as { days: { newInDays: boolean } }).days.newInDays = false));
    for (const s of [inState, inDays]) {
      for (let i = 0; i < 6; i++) await s.start(`m${i}`, { type: i % 2 ? 'ship' : 'order', minutesLater: i, searchAttributes: { Region: i % 3 ? 'eu' : 'us' } });
      // Closed in the order m4, m0, m2 (at 14, 20 and 32 minutes: each workflow's clock moves on its own).
      for (const [n, id] of ['m4', 'm0', 'm2'].entries()) {
        await inWorkflow(s.ns, id, (o: WorkflowHost) => o.clock.advance((10 + 10 * n) * MINUTE));
        await s.completeTask(id, complete);
      }
    }
    expect(await dayOfWorkflow(inState, 'm0')).toBeNull();
    expect(await dayOfWorkflow(inDays, 'm0')).toBe(dayOf(Date.now()));
    const queries = [
      undefined,
      "ExecutionStatus = 'Running'",
      "ExecutionStatus = 'Completed' ORDER BY CloseTime DESC",
      // (Running runs tie on CloseTime: the start time orders them, else the run id, random, would.)
      'ORDER BY CloseTime ASC, StartTime ASC',
      "WorkflowType = 'ship'",
      "Region = 'eu' AND WorkflowType = 'order'",
      "Region IN ('us') OR ExecutionStatus = 'Completed'",
    ];
    for (const q of queries) {
      const [a, b] = [await inState.ids(q), await inDays.ids(q)];
      expect({ q, ids: b }).toEqual({ q, ids: a });
    }
    expect(await inDays.ids("ExecutionStatus = 'Completed' ORDER BY CloseTime DESC")).toEqual(['m2', 'm0', 'm4']);
    expect(await inDays.ids("ExecutionStatus = 'Completed' ORDER BY CloseTime ASC")).toEqual(['m4', 'm0', 'm2']);
    for (const q of [undefined, "WorkflowType = 'order'", "Region = 'us'"]) expect((await inDays.count(q)).count).toBe((await inState.count(q)).count);
    const byStatus = async (s: Space) => ((await s.count(undefined, 'ExecutionStatus')).groups ?? []).map((g: { count: number }) => g.count).sort();
    expect(await byStatus(inDays)).toEqual(await byStatus(inState));
    // Pages of two over the day table, a token at each step: every run once, in the same order.
    expect(await listedInPages(inDays)).toEqual(await listedInPages(inState));
    // The namespace's cost and the service metrics count the day table's runs as `visibility`'s.
    const byQueue = (s: Space) => Promise.all(workflowShardStubs(testEnv, s.ns).map((stub) => runInDurableObject(stub, (o: WorkflowObject) => o.readVisibility({ kind: 'byQueue' }))));
    const total = async (s: Space) => (await byQueue(s)).flat().reduce((n, c) => n + c.n, 0);
    expect(await total(inDays)).toBe(6);
    expect(await total(inState)).toBe(6);
  });

  it('a list page over a day table reads each of its rows, and its run rows again to sort them: no index (an index entry is a billed row written), SQLite walks the table and sorts its run rows', async () => {
    const s = await space(HOUR);
    const ids = sameShard('paged', 12);
    for (const [i, id] of ids.entries()) await s.start(id, { minutesLater: i });
    const day = dayOf(Date.now());
    const { read, rows, runs, listed } = await inShard(s, ids[0]!, ({ sql, o }) => {
      const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
      const exec = sql.exec.bind(sql);
      sql.exec = ((query: string, ...bindings: SqlStorageValue[]) => {
        const cursor = exec<Record<string, SqlStorageValue>>(query, ...bindings);
        if (query.includes(`FROM ${stateTableOf(day)} e`)) cursors.push(cursor);
        return cursor;
      }) as SqlStorage['exec'];
      try {
        const page = o.readVisibility({ kind: 'list', query: '', pageSize: 3, maxBytes: 1 << 20 });
        const count = (where: string) => exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${stateTableOf(day)} WHERE ${where}`).one().n;
        return { read: cursors.reduce((n, c) => n + c.rowsRead, 0), rows: count('1'), runs: count('start_time IS NOT NULL'), listed: page.rows.length };
      } finally {
        sql.exec = exec;
      }
    });
    expect(listed).toBe(3);
    // Every row of the table once, and each run row again as SQLite sorts it, whatever the page size: on a
    // table of 100k W1s (a row each once closed) about 200k rows read a page, $0.0002 at $0.001 per million.
    expect(runs).toBe(12);
    expect(read).toBe(rows + runs);
  });

  it("a shard's stubs all answer a list over their day tables (no shard fails on a table it has not made)", async () => {
    const s = await space(HOUR);
    for (const stub of workflowShardStubs(testEnv, s.ns)) await runInDurableObject(stub, () => undefined);
    expect(await s.ids()).toEqual([]);
    expect((await s.count()).count).toBe(0);
  });
});
