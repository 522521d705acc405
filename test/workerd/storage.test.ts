/**
 * The workflow object's storage: what one finished W1 execution (start, one activity, complete)
 * leaves on disk and writes on the way, and that a database written by an older Keel (schema
 * version 1, a table per kind of row; version 2, history a row per event in a table of its own)
 * opens with everything in it.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../protocol/index.js';
import type { RunState } from '../../src/engine/run-state.js';
import { V1, openSchema } from '../../src/storage/schema.js';
import { eventsTable, insertEvent } from '../../src/storage/events-table.js';
import { runKey, splitRun } from '../../src/storage/run-rows.js';
import { STATE_TABLE, StateTable } from '../../src/storage/state-table.js';
import { insertHistory, selectHistory } from '../../src/storage/history-rows.js';
import { WorkflowStore } from '../../src/storage/workflow-store.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import type { WorkflowObject } from '../../src/workflow-object.js';
import { DEFAULT_RETENTION_MS } from '../../protocol/index.js';
import { advance, alarmAt, clockNow, completeWorkflowTask, eventTypes, freezeClock, history, json, ok, pollActivityTask, pollWorkflowTask, settle, unique, wfStub, inWorkflow, NS, wfObject } from './helpers.js';

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

/** A W2: ten activities one after another (each its own workflow task and activity task), then the run's completion. */
async function runW2(wid: string, tq: string): Promise<string> {
  const { runId } = await ok<{ runId: string }>('POST', '/workflows', { workflowId: wid, workflowType: 'w2', taskQueue: tq, input: [json('x')], identity: 'client', requestId: crypto.randomUUID() });
  for (let i = 1; i <= 10; i++) {
    const task = (await pollWorkflowTask(tq))!;
    await completeWorkflowTask(task.taskToken, [{ type: 'ScheduleActivityTask', activityId: String(i), activityType: 'step', taskQueue: tq, input: [json(i)], startToCloseTimeoutMs: 10_000 }], { requestId: crypto.randomUUID() });
    await settle(wid);
    const act = (await pollActivityTask(tq))!;
    await ok('POST', '/activity-tasks/complete', { taskToken: act.taskToken, result: json(`step ${i} done`), identity: 'test-worker', requestId: crypto.randomUUID() });
    await settle(wid);
  }
  const last = (await pollWorkflowTask(tq))!;
  await completeWorkflowTask(last.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }], { requestId: crypto.randomUUID() });
  await settle(wid);
  return runId;
}

/** Counts the rows every SQL statement of the object reads and writes from now on (SqlStorageCursor's billed units). */
async function countRows(wid: string): Promise<() => { read: number; written: number }> {
  const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  await inWorkflow(NS, wid, (_o: WorkflowHost, state) => {
    const sql = state.storage.sql;
    const exec = sql.exec.bind(sql);
    (sql as unknown as { exec: (query: string, ...bindings: SqlStorageValue[]) => unknown }).exec = (query: string, ...bindings: SqlStorageValue[]) => {
      const cursor = exec<Record<string, SqlStorageValue>>(query, ...bindings);
      cursors.push(cursor);
      return cursor;
    };
  });
  return () => ({ read: cursors.reduce((n, c) => n + c.rowsRead, 0), written: cursors.reduce((n, c) => n + c.rowsWritten, 0) });
}

describe('storage footprint', () => {
  it('a finished W1 execution keeps its database within three 4 KB pages: SQLite’s first, the alarm’s, and state’s (history included)', async () => {
    const wid = unique('w1-footprint');
    const rows = await countRows(wid);
    await runW1(wid, unique('tq'));
    // Rows written are billed per row: 50 before the storage diet (schema version 1), 36 after
    // (version 2), 30 with history a row per transaction and one table (version 3), 26 with the
    // request-id records in the run's row (no row of their own, none to delete 24 h later), 24
    // with the run's only pending item (the activity) in the run's row too, 16 with the run's newest
    // events in its row (no history row: src/storage/history-rows.ts `appendHistory`).
    // A change that adds rows to the hot path fails here; lower the bound when a change removes some.
    const { read, written } = rows();
    console.log(`W1 workflow object: ${written} rows written, ${read} rows read`);
    expect(written).toBeLessThanOrEqual(16);
    const { databaseSize, tables } = await inWorkflow(NS, wid, (_o: WorkflowHost, state) => ({
      databaseSize: state.storage.sql.databaseSize,
      tables: state.storage.sql.exec<{ name: string }>(`SELECT name FROM sqlite_master ORDER BY name`).toArray().map((r) => r.name),
    }));
    expect(tables).toEqual(['_cf_METADATA', 'state']);
    // The run's row holds its whole history (about 3 KB of JSON): past about 1 KB a row's rest goes
    // to an overflow page, a fourth page, until the closed run's row was stored deflated (about
    // 300 bytes, src/storage/row-codec.ts). In a shard, whose pages many workflows share, a W1 keeps
    // its share of a page (docs/scale.md).
    expect(databaseSize).toBeLessThanOrEqual(12 * 1024);
  });

  it('a finished W2 (ten activities) keeps its history rows in state’s leaf pages: four 4 KB pages, not six', async () => {
    const wid = unique('w2-footprint');
    await runW2(wid, unique('tq'));
    const { databaseSize, rows } = await inWorkflow(NS, wid, (_o: WorkflowHost, state) => ({
      databaseSize: state.storage.sql.databaseSize,
      rows: state.storage.sql.exec<{ k: string; type: string; length: number }>(`SELECT k, typeof(v) AS type, length(v) AS length FROM state WHERE k >= 'h/' AND k < 's' ORDER BY k`).toArray(),
    }));
    console.log(`W2 workflow object: ${databaseSize} bytes; history and run rows (type, length): ${rows.map((r) => `${r.k.slice(0, 2)} ${r.type} ${r.length}`).join(', ')}`);
    // Its events passed the run row's tail twice: two history rows of ~4.3 KB of JSON, each an overflow
    // page of its own as text, ~500 bytes deflated (src/storage/row-codec.ts). The closed run's row,
    // deflated too, is still just over a leaf cell's ~1 KB: its 16 request records are random ids.
    const history = rows.filter((r) => r.k.startsWith('h/'));
    expect(history).toHaveLength(2);
    for (const r of history) expect(r).toMatchObject({ type: 'blob', length: expect.any(Number) as number });
    expect(Math.max(...history.map((r) => r.length))).toBeLessThan(1000);
    expect(databaseSize).toBeLessThanOrEqual(16 * 1024);
  });

  it('a W1 over its whole life writes rows while it runs and when retention deletes it, and at no moment between', async () => {
    const wid = unique('w1-life');
    await freezeClock(wid);
    const rows = await countRows(wid);
    await runW1(wid, unique('tq'));
    const live = rows().written;
    // The one alarm left is the run's deletion, the namespace's retention after its close (no
    // request records to expire after 24 h: they are in the run's row). Before: 30 live, 4 more
    // and an alarm 24 h later, 10 at deletion; then 24 live, 10 at deletion; now (history in the
    // run's row) 16 live, 4 at deletion.
    const closedAt = await clockNow(wid);
    expect(await alarmAt(wid)).toBe(closedAt + DEFAULT_RETENTION_MS);
    await advance(wid, DEFAULT_RETENTION_MS);
    const deleted = rows().written - live;
    console.log(`W1 over its life: ${live} rows written while it ran, ${deleted} when retention deleted it`);
    // The run's row (its history with it: no history row), the current-run row, its summary's deletion written and delivered (and its visibility row in D1).
    expect(deleted).toBeLessThanOrEqual(4);
    expect(await alarmAt(wid)).toBeNull();
  });
});

describe('schema migrations', () => {
  it('a version 1 database (as keel dev kept it before the storage diet) opens with its runs, history, outbox and request ids', async () => {
    // A run as version 2 stores it, written back in version 1's layout into another object.
    const source = unique('v1-source');
    const tq = unique('tq');
    const { runId } = await ok<{ runId: string }>('POST', '/workflows', { workflowId: source, workflowType: 'w1', taskQueue: tq, input: [json('x')] });
    const task = (await pollWorkflowTask(tq))!;
    await completeWorkflowTask(task.taskToken, [
      { type: 'ScheduleActivityTask', activityId: 'a', activityType: 'greet', taskQueue: tq, input: [], startToCloseTimeoutMs: 60_000 },
      { type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 60_000 },
    ]);
    const { run, events } = await inWorkflow(NS, source, (_o: WorkflowHost, state) => {
      const store = new WorkflowStore(state.storage);
      return { run: store.loadRun(runId)!, events: store.readEvents(runId, 1) };
    });
    expect(Object.keys(run.activities)).toHaveLength(1);
    expect(Object.keys(run.timers)).toHaveLength(1);

    const target = unique('v1-target');
    const ref = { namespace: 'default', workflowId: target, runId, kind: 'activity', scheduledEventId: 5, attempt: 1, seq: 0 };
    await inWorkflow(NS, target, (_o: WorkflowHost, state) => {
      const sql = state.storage.sql;
      state.storage.transactionSync(() => {
        sql.exec(`DROP TABLE IF EXISTS events`);
        sql.exec(`DROP TABLE state`);
        for (const stmt of V1) sql.exec(stmt);
        sql.exec(`INSERT INTO meta (key, value) VALUES ('currentRunId', ?), ('name', ?)`, runId, JSON.stringify(['default', target]));
        sql.exec(`INSERT INTO runs (run_id, seq, state) VALUES (?, 1, ?)`, runId, JSON.stringify({ ...run, workflowId: target } satisfies RunState));
        for (const e of events) sql.exec(`INSERT INTO events (run_id, event_id, event) VALUES (?, ?, ?)`, runId, e.eventId, JSON.stringify(e));
        sql.exec(`INSERT INTO outbox (task_queue, kind, ref, due_at) VALUES (?, 'activity', ?, 0)`, tq, JSON.stringify(ref));
        sql.exec(`INSERT INTO requests (request_id, fingerprint, response, created_at) VALUES ('r1', 'signal:{"x":1}', '{}', ?)`, Date.now());
      });
      openSchema(state.storage);
    });

    const migrated = await inWorkflow(NS, target, (_o: WorkflowHost, state) => {
      const store = new WorkflowStore(state.storage);
      return {
        tables: state.storage.sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE name NOT LIKE '\\_cf%' ESCAPE '\\' AND name != 'sqlite_sequence' ORDER BY name`).toArray().map((r) => r.name),
        run: store.loadRun(runId),
        events: store.readEvents(runId, 1),
        outbox: store.dueOutbox(Date.now()).map((r) => JSON.parse(r.ref) as unknown),
        sameRequest: store.priorRequest('r1', 'signal:{"x":1}')?.sameRequest,
        otherRequest: store.priorRequest('r1', 'signal:{"x":2}')?.sameRequest,
      };
    });
    // (sqlite_sequence, made by version 1's AUTOINCREMENT, cannot be dropped.)
    expect(migrated.tables).toEqual(['state']);
    expect(migrated.run).toEqual({ ...run, workflowId: target });
    expect(migrated.events).toEqual(events satisfies HistoryEvent[]);
    expect(migrated.outbox).toEqual([ref]);
    expect(migrated.sameRequest).toBe(true);
    expect(migrated.otherRequest).toBe(false);
    // The migrated run goes on: a signal lands after its history.
    await ok('POST', `/workflows/${target}/signal`, { signalName: 'go', input: [] });
    expect(eventTypes(await history(target, runId))).toEqual([...eventTypes(events), 'WorkflowExecutionSignaled', 'WorkflowTaskScheduled']);
  });

  it('a version 2 database (history a row per event, in `events`) opens with every run’s history in batches, its current run and its name', async () => {
    const source = unique('v2-source');
    const tq = unique('tq');
    const { runId } = await ok<{ runId: string }>('POST', '/workflows', { workflowId: source, workflowType: 'w1', taskQueue: tq, input: [json('x')] });
    const task = (await pollWorkflowTask(tq))!;
    await completeWorkflowTask(task.taskToken, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 60_000 }]);
    const { run, events } = await inWorkflow(NS, source, (_o: WorkflowHost, state) => {
      const store = new WorkflowStore(state.storage);
      return { run: store.loadRun(runId)!, events: store.readEvents(runId, 1) };
    });
    // Enough events that version 2's rows become several history rows (BATCH_CHARS each) and a
    // page that starts in the middle of one is read from there.
    const signals: HistoryEvent[] = Array.from({ length: 300 }, (_, i) => ({
      eventId: events.length + 1 + i,
      eventTime: new Date(1_700_000_000_000 + i).toISOString(),
      eventType: 'WorkflowExecutionSignaled',
      attributes: { signalName: `s${i}`, input: [json('y'.repeat(500))] },
    }) as HistoryEvent);
    const all = [...events, ...signals];
    const moved: RunState = { ...run, workflowId: unique('v2-target'), nextEventId: all.length + 1 };

    const target = moved.workflowId;
    await inWorkflow(NS, target, (_o: WorkflowHost, state) => {
      const sql = state.storage.sql;
      state.storage.transactionSync(() => {
        // Version 2's layout, as that version wrote it.
        sql.exec(`DROP TABLE state`);
        sql.exec(eventsTable());
        sql.exec(STATE_TABLE);
        const rows = new StateTable(sql);
        rows.put('m/schemaVersion', '2');
        rows.put('m/currentRunId', runId);
        rows.put('m/name', JSON.stringify(['default', target]));
        const split = splitRun(moved);
        rows.put(runKey(runId), split.core, 1);
        for (const [k, v] of split.items) rows.put(k, v);
        for (const e of all) insertEvent(sql, 1, e);
      });
      openSchema(state.storage);
    });

    const migrated = await inWorkflow(NS, target, (_o: WorkflowHost, state) => {
      const store = new WorkflowStore(state.storage);
      const sql = state.storage.sql;
      return {
        tables: sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE name NOT LIKE '\\_cf%' ESCAPE '\\' ORDER BY name`).toArray().map((r) => r.name),
        keys: sql.exec<{ k: string }>(`SELECT k FROM state WHERE k LIKE 'm/%' ORDER BY k`).toArray().map((r) => r.k),
        historyRows: sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM state WHERE k >= 'h/' AND k < 'h0'`).one().n,
        currentRunId: store.currentRunId(),
        name: store.meta('name'),
        run: store.loadRun(runId),
        events: store.readEvents(runId, 1),
        middle: store.readEvents(runId, 150, 152),
        page: store.readEvents(runId, 100, undefined, 5),
      };
    });
    expect(migrated.tables).toEqual(['state']);
    expect(migrated.keys).toEqual(['m/current', 'm/schemaVersion']);
    expect(migrated.historyRows).toBeGreaterThan(1);
    expect(migrated.historyRows).toBeLessThan(all.length / 10);
    expect(migrated.currentRunId).toBe(runId);
    expect(migrated.name).toBe(JSON.stringify(['default', target]));
    expect(migrated.run).toEqual(moved);
    expect(migrated.events).toEqual(all);
    expect(migrated.middle).toEqual(all.slice(149, 152));
    expect(migrated.page).toEqual(all.slice(99, 104));
    // The migrated run goes on: a signal lands after its history, in a row of its own.
    await ok('POST', `/workflows/${target}/signal`, { signalName: 'go', input: [] });
    expect(eventTypes(await history(target, runId)).slice(-3)).toEqual(['WorkflowExecutionSignaled', 'WorkflowExecutionSignaled', 'WorkflowTaskScheduled']);
  });
});

describe('history rows', () => {
  it('reads a page of a 10,000-event history from its own rows and the one before, wherever the page starts', async () => {
    const wid = unique('long-history');
    const { pages, rowsRead } = await inWorkflow(NS, wid, (_o: WorkflowHost, state) => {
      const sql = state.storage.sql;
      const state_ = new StateTable(sql);
      const event = (id: number) => ({ event: { eventId: id, eventTime: new Date(1_700_000_000_000 + id).toISOString(), eventType: 'MarkerRecorded', attributes: { markerName: `m${id}` } } as HistoryEvent });
      // Transactions of three events each, as a W1's are.
      state.storage.transactionSync(() => {
        for (let first = 1; first <= 10_000; first += 3) insertHistory(state_, 7, [first, first + 1, first + 2].filter((id) => id <= 10_000).map(event));
      });
      const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
      const counted = { exec: (query: string, ...bindings: SqlStorageValue[]) => { const c = sql.exec<Record<string, SqlStorageValue>>(query, ...bindings); cursors.push(c); return c; } } as unknown as SqlStorage;
      const read = (from: number, to: number, limit: number) => {
        const start = cursors.length;
        const ids = selectHistory(new StateTable(counted), 7, from, to, limit).map((e) => e.eventId);
        return { ids, rowsRead: cursors.slice(start).reduce((n, c) => n + c.rowsRead, 0) };
      };
      const results = [read(1, Number.MAX_SAFE_INTEGER, 10), read(5_000, Number.MAX_SAFE_INTEGER, 10), read(9_995, Number.MAX_SAFE_INTEGER, 10), read(4_000, 4_000, -1)];
      return { pages: results.map((r) => r.ids), rowsRead: results.map((r) => r.rowsRead) };
    });
    expect(pages).toEqual([
      Array.from({ length: 10 }, (_, i) => 1 + i),
      Array.from({ length: 10 }, (_, i) => 5_000 + i),
      Array.from({ length: 6 }, (_, i) => 9_995 + i),
      [4_000],
    ]);
    // A page of `limit` events reads at most `limit` rows (each holds at least one of its events) and
    // the seek of the row that holds its last id: the same at the start, the middle and the end of
    // the history (a scan from the history's start would read thousands).
    console.log(`rows read for a page at the start, middle, end, and one event: ${rowsRead.join(', ')}`);
    for (const n of rowsRead.slice(0, 3)) expect(n).toBeLessThanOrEqual(10 + 2);
    expect(rowsRead[3]).toBeLessThanOrEqual(3);
  });
});

describe('history rows', () => {
  it('reads the rows it has just written from memory, event for event as from storage', async () => {
    await inWorkflow(NS, unique('recent-history'), (_o: WorkflowHost, state) => {
      const sql = state.storage.sql;
      const table = new StateTable(sql);
      const event = (id: number) => ({ event: { eventId: id, eventTime: new Date(1_700_000_000_000 + id).toISOString(), eventType: 'MarkerRecorded', attributes: { markerName: `m${id}`.repeat(id % 5) } } as HistoryEvent });
      const recent = state.storage.transactionSync(() => [1, 4, 5, 9].flatMap((first, i, all) => insertHistory(table, 8, Array.from({ length: (all[i + 1] ?? 12) - first }, (_, j) => event(first + j)))));
      let statements = 0;
      const counted = new StateTable({ exec: (query: string, ...bindings: SqlStorageValue[]) => (statements++, sql.exec(query, ...bindings)) } as unknown as SqlStorage);
      for (const [from, to, limit, maxBytes] of [[1, 11, -1], [1, Number.MAX_SAFE_INTEGER, -1], [2, 6, -1], [4, 4, -1], [5, 9, 2], [6, 11, -1, 200], [1, 11, -1, 1], [11, 11, -1], [12, 20, -1]] as Array<[number, number, number, number?]>) {
        expect(selectHistory(counted, 8, from, to, limit, maxBytes, recent)).toEqual(selectHistory(table, 8, from, to, limit, maxBytes));
        // From the rows after the first it keeps, too (memory keeps the newest rows, not always all).
        if (from >= 4) expect(selectHistory(counted, 8, from, to, limit, maxBytes, recent.slice(1))).toEqual(selectHistory(table, 8, from, to, limit, maxBytes));
      }
      expect(statements).toBe(0);
    });
  });
});

describe('state rows kept in memory', () => {
  it('a mirrored prefix answers every read as storage does, and after a rollback reads storage again once told to forget', async () => {
    await runInDurableObject(wfObject(unique('mirror')), (o: WorkflowObject, state) => {
      o.host(); // its store opens the schema
      const sql = state.storage.sql;
      const mirrored = new StateTable(sql, ['x/']);
      const plain = new StateTable(sql);
      const same = () => {
        for (const t of [mirrored, plain]) t.get('x/a'); // loads the mirror on the first round
        expect(mirrored.range('x/')).toEqual(plain.range('x/'));
        expect(mirrored.range('x/', { nAtMost: 20 })).toEqual(plain.range('x/', { nAtMost: 20 }));
        expect(mirrored.range('x/', { limit: 1 })).toEqual(plain.range('x/', { limit: 1 }));
        expect(mirrored.minN('x/')).toBe(plain.minN('x/'));
        expect(mirrored.maxN('x/')).toBe(plain.maxN('x/'));
        expect(mirrored.lastKey('x/')).toBe(plain.lastKey('x/'));
        for (const k of ['x/a', 'x/b', 'x/c', 'x/d']) expect(mirrored.get(k)).toEqual(plain.get(k));
      };
      same();
      mirrored.put('x/b', 'b', 30);
      mirrored.put('x/a', 'a', 10);
      mirrored.put('x/d', 'd', null);
      same();
      mirrored.put('x/a', 'a2', 25);
      mirrored.delete('x/b');
      mirrored.put('x/c', 'c', 5);
      same();
      mirrored.deleteOlder('x/', 10);
      same();
      expect(mirrored.range('x/').map((r) => r.k)).toEqual(['x/a', 'x/d']);

      // A transaction that throws rolls storage back but not memory: the owner forgets, and the next read is storage's.
      expect(() =>
        state.storage.transactionSync(() => {
          mirrored.put('x/e', 'e', 1);
          throw new Error('roll back');
        }),
      ).toThrow('roll back');
      expect(mirrored.get('x/e')?.v).toBe('e');
      mirrored.forget();
      expect(mirrored.get('x/e')).toBeUndefined();
      same();
    });
  });
});
