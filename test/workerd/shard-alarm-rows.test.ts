/**
 * A shard's alarm slots in storage (src/workflow-object/shard-alarms.ts): rows shared by the slots due
 * in one second (in parts of a bounded size). A W1's slot costs one row written; a passed row of few
 * scopes is kept as a spare, and the next row made is written over it (one row written, where an
 * insert and a deletion were two), a slot moved later than its row moving to a row of its own then; a rolled-back transaction leaves no slot behind and loses none; a slot set, cleared and set
 * again is never lost, across a restart; a restarted shard fires from the rows what is due; the old
 * layout's slots are carried over. In a commit group's turn the slots set are written once per row at its
 * end (one row written for the group), a rolled-back change's scope left out, a row that cannot be written
 * handed to `lost`; outside one, at once.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { keyScope } from '../../src/workflow-object/host-storage.js';
import { BUCKET_MS, bucketOf } from '../../src/workflow-object/alarm-rows.js';
import { NEAR_MS, RETRY_MS, ShardAlarms } from '../../src/workflow-object/shard-alarms.js';
import { CommitGroup } from '../../src/workflow-object/commit-group.js';
import type { WorkflowObject } from '../../src/workflow-object.js';
import { completeWorkflowTask, json, NS, ok, pollActivityTask, pollWorkflowTask, restart, shardMates, shardSlot, startWorkflow, testEnv, unique, until, untilWallClock, wfObject } from './helpers.js';

/** The rows written by the statements on the alarm rows that pass `counts`, from here on (as bench/instrumented-service.js counts them). */
function countRowsWritten(sql: SqlStorage, counts: (query: string, bindings: unknown[]) => boolean): () => number {
  const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  const exec = sql.exec.bind(sql);
  (sql as unknown as { exec: (query: string, ...bindings: SqlStorageValue[]) => unknown }).exec = (query: string, ...bindings: SqlStorageValue[]) => {
    const cursor = exec<Record<string, SqlStorageValue>>(query, ...bindings);
    if (query.includes('alarm_buckets') && counts(query, bindings)) cursors.push(cursor);
    return cursor;
  };
  return () => cursors.reduce((n, c) => n + c.rowsWritten, 0);
}

/** Runs `fn` in an object of its own (not a shard: no other test's slots), with a ShardAlarms over its storage; its alarm and timer are cleared after. */
async function withAlarms<T>(fn: (state: DurableObjectState, make: (now?: () => number) => ShardAlarms) => Promise<T> | T): Promise<T> {
  const stub = testEnv.WORKFLOWS.get(testEnv.WORKFLOWS.idFromName(JSON.stringify([NS, unique('alarm-rows')])));
  return runInDurableObject(stub, async (_o, state) => {
    const made: ShardAlarms[] = [];
    try {
      return await fn(state, (now = Date.now) => {
        const alarms = new ShardAlarms(state.storage, now, async () => {});
        made.push(alarms);
        return alarms;
      });
    } finally {
      for (const alarms of made) clearTimeout((alarms as unknown as { timer: ReturnType<typeof setTimeout> }).timer);
      await state.storage.deleteAlarm();
    }
  });
}

/** Fires what is due (once the wall clock reaches `at`, if given), each fired workflow taking it (clearing its slot, as a closed workflow does); returns the scopes fired. */
async function fireClearing(alarms: ShardAlarms, sql: SqlStorage, at?: number): Promise<string[]> {
  if (at !== undefined) await untilWallClock(at);
  const fired: string[] = [];
  await alarms.fire(async (scope) => {
    fired.push(scope);
    alarms.slot(scope, sql).clear();
  });
  return fired;
}

/** The keys of the passed rows `alarms` keeps as spares (alarm-rows.ts): on disk, but no slot's. */
const sparesOf = (alarms: ShardAlarms) => (alarms as unknown as { rows: { spares: Set<number> } }).rows.spares;

/** The scopes stored in each row, by its second; with `alarms`, its spares left out. */
const rows = (sql: SqlStorage, alarms?: ShardAlarms) =>
  Object.fromEntries(
    sql
      .exec<{ at: number; scopes: string }>(`SELECT at, scopes FROM alarm_buckets ORDER BY at`)
      .toArray()
      .filter((r) => !alarms || !sparesOf(alarms).has(r.at))
      .map((r) => [r.at, r.scopes.split('\n').filter(Boolean).map((s) => JSON.parse(s) as string)]),
  );

describe("a shard's alarm rows", () => {
  it('a W1 writes its slot once: one row at its start, none at its activity, its close or its clearing', async () => {
    const wid = unique('w1-slot');
    const tq = unique('w1-slot-tq');
    const written = await runInDurableObject(wfObject(wid), (_o, state) => countRowsWritten(state.storage.sql, (_q, bindings) => bindings.some((b) => typeof b === 'string' && b.includes(JSON.stringify(keyScope(wid))))));
    await startWorkflow(wid, tq);
    const first = (await pollWorkflowTask(tq))!;
    await completeWorkflowTask(first.taskToken, [{ type: 'ScheduleActivityTask', activityId: '1', activityType: 'greet', taskQueue: tq, input: [json('x')], startToCloseTimeoutMs: 10_000 }]);
    const act = (await pollActivityTask(tq))!;
    await ok('POST', '/activity-tasks/complete', { taskToken: act.taskToken, result: json('hello x'), identity: 'test-worker' });
    const second = (await pollWorkflowTask(tq))!;
    await completeWorkflowTask(second.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('hello x') }]);
    const after = await runInDurableObject(wfObject(wid), (o, state) => ({ written: written(), slot: shardSlot(o, state, keyScope(wid)) }));
    expect(after).toEqual({ written: 1, slot: null });
    // Its row stays until its second has passed; then the shard's timer takes it, firing nothing for the
    // closed workflow, and keeps it as a spare (or deletes it): no slot's row holds the workflow any more.
    const holding = () =>
      runInDurableObject(wfObject(wid), (o, state) =>
        state.storage.sql
          .exec<{ at: number }>(`SELECT at FROM alarm_buckets WHERE instr(scopes, ?) > 0`, JSON.stringify(keyScope(wid)))
          .toArray()
          .map((r) => r.at)
          .filter((at) => !sparesOf((o as unknown as { alarms: ShardAlarms }).alarms).has(at)),
      );
    const held = await holding();
    expect(held).toHaveLength(1);
    await untilWallClock(held[0]!);
    expect(await until(holding, (rows) => rows.length === 0, 100_000)).toEqual([]);
  });

  it('slots due in one second share a row: one row written for each slot set; once it has passed, a slot moved later moves to a row of its own written over it (one row, no deletion)', async () => {
    await withAlarms(async (state, make) => {
      const alarms = make();
      const written = countRowsWritten(state.storage.sql, () => true);
      const slot = (scope: string) => alarms.slot(scope, state.storage.sql);
      const start = Date.now();
      const row = bucketOf(start + 500, start);
      for (const scope of ['1:a/', '1:b/', '1:c/']) slot(scope).set(start + 500);
      expect(written()).toBe(3);
      expect(rows(state.storage.sql)).toEqual({ [row]: ['1:a/', '1:b/', '1:c/'] });
      // a and b close (cleared), c waits for a timer a minute ahead: nothing written, the row holds them all.
      slot('1:a/').clear();
      slot('1:b/').clear();
      slot('1:c/').set(start + 60_000);
      expect(written()).toBe(3);
      expect(slot('1:c/').get()).toBe(start + 60_000);
      // The row's second passes: a firing fires none of them (known not due), and writes c into its own
      // row over the passed one (its key and scopes changed): one row written, not a deletion and an insert.
      await untilWallClock(row);
      const fired: string[] = [];
      await alarms.fire(async (scope) => void fired.push(scope));
      expect(fired).toEqual([]);
      expect(written()).toBe(3 + 1);
      expect(rows(state.storage.sql)).toEqual({ [bucketOf(start + 60_000, start)]: ['1:c/'] });
      // The alarm, set NEAR_MS ahead for the passed row, stays (it fires by c's row, finds nothing, and moves on).
      expect(await state.storage.getAlarm()).toBeLessThanOrEqual(bucketOf(start + 60_000, start));
    });
  });

  it("a busy second's scopes go into rows of a bounded size (parts keyed within the second), each set still one row written, and all fire from them", async () => {
    await withAlarms(async (state, make) => {
      const alarms = make();
      const written = countRowsWritten(state.storage.sql, () => true);
      const start = Date.now();
      const second = bucketOf(start + 500, start);
      const scopes = Array.from({ length: 60 }, (_, i) => keyScope(`a-workflow-id-of-some-length-${i}`));
      for (const scope of scopes) alarms.slot(scope, state.storage.sql).set(start + 500);
      expect(written()).toBe(scopes.length);
      const stored = state.storage.sql.exec<{ at: number; n: number }>(`SELECT at, length(scopes) AS n FROM alarm_buckets ORDER BY at`).toArray();
      expect(stored.length).toBeGreaterThan(1);
      for (const { at, n } of stored) {
        expect(at - second).toBeGreaterThanOrEqual(0);
        expect(at - second).toBeLessThan(BUCKET_MS);
        expect(n).toBeLessThanOrEqual(2000 + 60);
      }
      expect(Object.values(rows(state.storage.sql)).flat()).toEqual(scopes);
      // A restarted shard fires every one of them once its rows have passed.
      const restarted = make();
      const fired = await fireClearing(restarted, state.storage.sql, stored.at(-1)!.at);
      expect(fired.sort()).toEqual([...scopes].sort());
      expect(rows(state.storage.sql)).toEqual({});
    });
  });

  it('a rolled-back transaction leaves no slot of its own behind, and keeps the one set before it', async () => {
    await withAlarms(async (state, make) => {
      const alarms = make();
      const slot = alarms.slot('1:a/', state.storage.sql);
      const rolledBack = (fn: () => void) =>
        expect(() =>
          alarms.transaction(() =>
            state.storage.transactionSync(() => {
              fn();
              throw new Error('rolled back');
            }),
          ),
        ).toThrow('rolled back');
      // A slot set in it: gone with it, from memory and from the rows.
      const start = Date.now();
      rolledBack(() => slot.set(start + 30_000));
      expect(slot.get()).toBeNull();
      expect(rows(state.storage.sql)).toEqual({});
      // One set before: a rolled-back clear or earlier setting leaves it, in memory and in its row.
      slot.set(start + 30_000);
      rolledBack(() => slot.clear());
      rolledBack(() => slot.set(start + 10_000));
      expect(slot.get()).toBe(start + 30_000);
      expect(rows(state.storage.sql)).toEqual({ [bucketOf(start + 30_000, start)]: ['1:a/'] });
      // Memory and rows agree after: setting it earlier for real writes the earlier row.
      slot.set(start + 10_000);
      expect(rows(state.storage.sql)).toEqual({ [bucketOf(start + 10_000, start)]: ['1:a/'], [bucketOf(start + 30_000, start)]: ['1:a/'] });
    });
  });

  it('a slot set, cleared and set again later is never lost: its first row carries it until its own is written, and a restarted shard fires it from that', async () => {
    await withAlarms(async (state, make) => {
      const alarms = make();
      const slot = alarms.slot('1:a/', state.storage.sql);
      const start = Date.now();
      const first = bucketOf(start + 10, start);
      // Set, cleared (nothing written), set again for a later second: its first row still holds it (nothing written).
      slot.set(start + 10);
      slot.clear();
      slot.set(first + 1500);
      expect(rows(state.storage.sql)).toEqual({ [first]: ['1:a/'] });
      // The first row passes: its firing moves the slot to its own row instead of dropping it.
      await untilWallClock(first);
      await alarms.fire(async () => {
        throw new Error('not due yet');
      });
      const later = bucketOf(first + 1500, start);
      expect(rows(state.storage.sql)).toEqual({ [later]: ['1:a/'] });
      // The shard restarts (memory gone): its timer goes to the row's second, and then the new instance fires the slot from it.
      const restarted = make();
      expect((restarted as unknown as { timerAt: number }).timerAt).toBe(later);
      expect(restarted.slot('1:b/', state.storage.sql).get()).toBeNull();
      const fired = await fireClearing(restarted, state.storage.sql, later);
      expect(fired).toEqual(['1:a/']);
      // Its workflow took it (and cleared its slot): the row is no slot's (a spare, written over by the next row made).
      expect(rows(state.storage.sql, restarted)).toEqual({});
    });
  });

  it('a passed row kept as a spare is written over by the next row made: a shard that sees a workflow now and then writes one row for each, not two; a restarted shard fires a spare as a passed row', async () => {
    await withAlarms(async (state, make) => {
      const alarms = make();
      const written = countRowsWritten(state.storage.sql, () => true);
      const start = Date.now();
      const first = bucketOf(start + 10, start);
      alarms.slot('1:a/', state.storage.sql).set(start + 10);
      alarms.slot('1:a/', state.storage.sql).clear();
      await untilWallClock(first);
      await alarms.fire(async () => {
        throw new Error('nothing is due');
      });
      // Taken, nothing to fire: kept, not deleted.
      expect(written()).toBe(1);
      expect([...sparesOf(alarms)]).toEqual([first]);
      // The next workflow's slot: the spare, its key and scopes changed.
      const later = Date.now() + 1200;
      alarms.slot('1:b/', state.storage.sql).set(later);
      expect(written()).toBe(2);
      expect(rows(state.storage.sql)).toEqual({ [bucketOf(later, start)]: ['1:b/'] });
      expect(sparesOf(alarms).size).toBe(0);
      // A spare left on disk when the shard restarts is a passed row: its scope fires (and finds nothing due).
      alarms.slot('1:b/', state.storage.sql).clear();
      const restarted = make();
      const fired = await fireClearing(restarted, state.storage.sql, bucketOf(later, start));
      expect(fired).toEqual(['1:b/']);
      expect(rows(state.storage.sql, restarted)).toEqual({});
    });
  });

  it('a passed row kept as a spare in a transaction that rolls back is a passed row again, which the next firing takes', async () => {
    await withAlarms(async (state, make) => {
      const alarms = make();
      const start = Date.now();
      const row = bucketOf(start + 10, start);
      alarms.slot('1:a/', state.storage.sql).set(start + 10);
      await untilWallClock(row);
      // The fired workflow sets its slot again in a transaction that rolls back: the row it let go is no spare.
      await alarms.fire(async (scope) => {
        try {
          alarms.transaction(() =>
            state.storage.transactionSync(() => {
              alarms.slot(scope, state.storage.sql).set(Date.now() + 60_000);
              expect([...sparesOf(alarms)]).toEqual([row]);
              throw new Error('rolled back');
            }),
          );
        } catch {
          // (the shard's handler logs it)
        }
      });
      expect(sparesOf(alarms).has(row)).toBe(false);
      expect(rows(state.storage.sql, alarms)[row]).toEqual(['1:a/']);
    });
  });

  it('a restarted shard fires a row’s scopes, and one whose alarm failed (set nothing) is tried again a second later, in a row written before the passed one goes', async () => {
    await withAlarms(async (state, make) => {
      const start = Date.now();
      make().slot('1:a/', state.storage.sql).set(start + 10);
      const row = bucketOf(start + 10, start);
      const restarted = make();
      await untilWallClock(row);
      // (`alarm` does not throw: the shard's handler logs what failed.)
      await restarted.fire(async () => {});
      // Tried again a second later: in a row of its own, before the passed one went.
      const retry = restarted.slot('1:a/', state.storage.sql).get()!;
      expect(retry).toBeGreaterThan(row);
      expect(rows(state.storage.sql, restarted)).toEqual({ [bucketOf(retry, row)]: ['1:a/'] });
    });
  });

  it("fires by the clock it is given, not the wall clock: its alarm is set by it, and a workflow whose alarm failed, or asked again for a moment already past, is tried RETRY_MS after the firing by it", async () => {
    await withAlarms(async (state, make) => {
      const sql = state.storage.sql;
      // The shard's clock an hour ahead of the wall clock, which never reaches the rows while the test runs.
      const setAt = Date.now() + 3_600_000;
      let now = setAt;
      const alarms = make(() => now);
      alarms.slot('1:failed/', sql).set(now + 10);
      alarms.slot('1:behind/', sql).set(now + 10);
      // The object's alarm, by the same clock: NEAR_MS ahead of it (the rows are due sooner).
      expect(await state.storage.getAlarm()).toBe(setAt + NEAR_MS);
      now = bucketOf(setAt + 10, setAt) + 1;
      const fired: string[] = [];
      await alarms.fire(async (scope) => {
        fired.push(scope);
        // Its workflow took nothing: it asks again for what was due before the firing.
        if (scope === '1:behind/') alarms.slot(scope, sql).set(now - 5);
      });
      expect(fired.sort()).toEqual(['1:behind/', '1:failed/']);
      expect([alarms.slot('1:failed/', sql).get(), alarms.slot('1:behind/', sql).get()]).toEqual([now + RETRY_MS, now + RETRY_MS]);
      expect(rows(sql, alarms)).toEqual({ [bucketOf(now + RETRY_MS, now)]: expect.arrayContaining(['1:failed/', '1:behind/']) });
    });
  });

  it("carries an old shard's slots (a row each in `alarms`) into rows by second when it starts, and drops the old table", async () => {
    await withAlarms(async (state, make) => {
      const sql = state.storage.sql;
      const start = Date.now();
      sql.exec(`CREATE TABLE alarms (scope TEXT PRIMARY KEY, due INTEGER NOT NULL) WITHOUT ROWID`);
      sql.exec(`CREATE INDEX alarms_by_due ON alarms (due)`);
      // One due already, two due in the same second a minute ahead.
      sql.exec(`INSERT INTO alarms (scope, due) VALUES (?, ?), (?, ?), (?, ?)`, '1:a/', start - 5000, '1:b/', start + 60_000, 'retention', start + 60_000);
      const alarms = make();
      expect(sql.exec(`SELECT name FROM sqlite_master WHERE name IN ('alarms', 'alarms_by_due')`).toArray()).toEqual([]);
      const due = bucketOf(start - 5000, start);
      expect(rows(sql)).toEqual({ [due]: ['1:a/'], [bucketOf(start + 60_000, start)]: ['1:b/', 'retention'] });
      // The one due fires once its row's second has passed (the instance knows none of them: it fires what the row holds).
      await untilWallClock(due);
      const fired = await fireClearing(alarms, sql);
      expect(fired).toEqual(['1:a/']);
      // A second instance finds nothing to carry over.
      make();
      expect(Object.keys(rows(sql, alarms))).toEqual([String(bucketOf(start + 60_000, start))]);
    });
  });

  it("slots set by a commit group's changes are one row written for their bucket, in the group's turn, and all fire from it after a restart; a change outside a group writes at once", async () => {
    await withAlarms(async (state, make) => {
      const alarms = make();
      const group = new CommitGroup(() => alarms.gatherTurn());
      const written = countRowsWritten(state.storage.sql, () => true);
      const set = (scope: string) => group.run(() => alarms.transaction(() => state.storage.transactionSync(() => alarms.slot(scope, state.storage.sql).set(start + 500))));
      const start = Date.now();
      const row = bucketOf(start + 500, start);
      // The idle shard's change runs at once, outside a group turn: its row is written at once.
      set('1:a/');
      expect(written()).toBe(1);
      expect(rows(state.storage.sql)).toEqual({ [row]: ['1:a/'] });
      // Three arrive while its window is open: they run together when it ends, and their scopes are one append.
      const group3 = ['1:b/', '1:c/', '1:d/'].map(set);
      expect(written()).toBe(1);
      await Promise.all(group3);
      expect(written()).toBe(2);
      expect(rows(state.storage.sql)).toEqual({ [row]: ['1:a/', '1:b/', '1:c/', '1:d/'] });
      // The shard restarts (memory gone): every one of them fires from the row once its second has passed.
      const restarted = make();
      const fired = await fireClearing(restarted, state.storage.sql, row);
      expect(fired.sort()).toEqual(['1:a/', '1:b/', '1:c/', '1:d/']);
      expect(rows(state.storage.sql, restarted)).toEqual({});
    });
  });

  it("a change of a commit group that rolls back leaves its scope out of the group's row, and the others in", async () => {
    await withAlarms(async (state, make) => {
      const alarms = make();
      const group = new CommitGroup(() => alarms.gatherTurn());
      const written = countRowsWritten(state.storage.sql, () => true);
      const start = Date.now();
      const row = bucketOf(start + 500, start);
      const set = (scope: string, rollsBack = false) =>
        group.run(() =>
          alarms.transaction(() =>
            state.storage.transactionSync(() => {
              alarms.slot(scope, state.storage.sql).set(start + 500);
              if (rollsBack) throw new Error('rolled back');
            }),
          ),
        );
      // An unrelated change opens the window; b, c (rolled back) and d run in its turn.
      await group.run(() => undefined);
      const changes = [set('1:b/'), Promise.resolve(set('1:c/', true)).catch((err: Error) => err.message), set('1:d/')];
      expect(await Promise.all(changes)).toEqual([undefined, 'rolled back', undefined]);
      expect(written()).toBe(1);
      expect(rows(state.storage.sql)).toEqual({ [row]: ['1:b/', '1:d/'] });
      expect(alarms.slot('1:c/', state.storage.sql).get()).toBeNull();
      expect(alarms.slot('1:d/', state.storage.sql).get()).toBe(start + 500);
    });
  });

  it("a commit group's rows that cannot be written are handed to `lost` (the shard aborts, so the turn's changes do not commit without them)", async () => {
    await withAlarms(async (state) => {
      const lost: unknown[] = [];
      const alarms = new ShardAlarms(state.storage, Date.now, async () => {}, (err) => void lost.push(err));
      const group = new CommitGroup(() => alarms.gatherTurn());
      const start = Date.now();
      try {
        await group.run(() => undefined);
        // The table goes in the same turn, after the slot is gathered: neither the workflow's handle nor the shard's can write its row.
        await group.run(() => {
          alarms.slot('1:a/', state.storage.sql).set(start + 500);
          state.storage.sql.exec(`DROP TABLE alarm_buckets`);
        });
        expect(lost).toHaveLength(1);
        expect(String(lost[0])).toMatch(/alarm_buckets/);
      } finally {
        clearTimeout((alarms as unknown as { timer: ReturnType<typeof setTimeout> }).timer);
      }
    });
  });

  it("workflows started together in a shard's commit group write one slot row for their bucket, and a restarted shard fires every one of them from it", async () => {
    const ids = shardMates('group-start', 4);
    const tq = unique('group-start-tq');
    const scopes = ids.map((id) => JSON.stringify(keyScope(id)));
    const ours = (_q: string, bindings: unknown[]) => bindings.some((b) => typeof b === 'string' && scopes.some((scope) => b.includes(scope)));
    const holding = (sql: SqlStorage) =>
      sql
        .exec<{ at: number; scopes: string }>(`SELECT at, scopes FROM alarm_buckets ORDER BY at`)
        .toArray()
        .filter((r) => scopes.some((scope) => r.scopes.includes(scope)))
        .map((r) => ({ at: r.at, ours: scopes.filter((scope) => r.scopes.includes(scope)).length }));
    const started = await runInDurableObject(wfObject(ids[0]!), async (o: WorkflowObject, state) => {
      const written = countRowsWritten(state.storage.sql, ours);
      // The first finds the shard idle and runs at once (its row written then); the three others arrive
      // while its window is open and run together at its end: their slots are one append.
      const answers = await Promise.all(ids.map((id) => o.call([NS, id], 'start', [{ workflowId: id, workflowType: 'order', taskQueue: tq, input: [json('x')], identity: 'test' }] as never)));
      return { answers: answers.map((a) => (a as { ok: boolean }).ok), written: written(), rows: holding(state.storage.sql) };
    });
    expect(started.answers).toEqual([true, true, true, true]);
    expect(started.written).toBe(2);
    // Every one of them is in a row (the first's and the group's share one unless a second ended between them).
    expect(started.rows.reduce((n, r) => n + r.ours, 0)).toBe(4);
    // The shard restarts (its memory dropped): once the rows' second has passed, its firing runs every one's alarm from them.
    await restart(ids[0]!);
    await untilWallClock(started.rows.at(-1)!.at);
    const fired = await runInDurableObject(wfObject(ids[0]!), async (o: WorkflowObject) => {
      const fired: string[] = [];
      const host = o.host.bind(o);
      o.host = (workflowId, namespace) => (fired.push(workflowId!), host(workflowId, namespace));
      await (o as unknown as { fireDue(): Promise<void> }).fireDue();
      return fired;
    });
    expect(ids.filter((id) => fired.includes(id))).toEqual(ids);
  });
});
