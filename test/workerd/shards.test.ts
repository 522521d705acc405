/**
 * Shards (src/workflow-object.ts): the workflows whose ids hash to one shard share its object, its
 * database and its one alarm, and none sees another's rows; a timer fires through the shard's alarm
 * with nothing forcing it; deleting a workflow deletes its rows and its slot only; a workflow's
 * stored bytes are its own rows'.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { shardOf, workflowShards } from '../../src/workflow-shards.js';
import { workflowObjectStub } from '../../src/stubs.js';
import { Space } from './visibility-helpers.js';
import { keyScope } from '../../src/workflow-object/host-storage.js';
import type { ExecutionCost } from '../../protocol/prices.js';
import { IDLE_MS, type WorkflowObject } from '../../src/workflow-object.js';
import { BUCKET_MS, bucketOf } from '../../src/workflow-object/alarm-rows.js';
import { NEAR_MS, ShardAlarms } from '../../src/workflow-object/shard-alarms.js';
import { completeWorkflowTask, eventTypes, getDescription, history, inWorkflow, json, NS, ok, pollActivityTask, pollWorkflowTask, settle, startAndCompleteFirstTask, shardSlot, startWorkflow, tablesOf, testEnv, unique, until, untilWallClock, wfObject } from './helpers.js';

/** Two workflow ids that hash to the same shard. */
function shardMates(prefix: string): [string, string] {
  const shards = workflowShards(testEnv);
  const first = unique(prefix);
  for (let i = 0; ; i++) {
    const other = `${first}-mate-${i}`;
    if (shardOf(other, shards) === shardOf(first, shards)) return [first, other];
  }
}

/** The rows of a workflow in its shard's database (keys without its scope), and its alarm slot. */
const rawRows = (workflowId: string) =>
  runInDurableObject(wfObject(workflowId), (o: WorkflowObject, state) => {
    const scope = keyScope(workflowId);
    const table = tablesOf(o.host(workflowId, NS)).state;
    const rows = state.storage.sql
      .exec<{ k: string }>(`SELECT k FROM ${table} WHERE k >= ? AND k < ? ORDER BY k`, scope, scope.slice(0, -1) + '0')
      .toArray()
      .map((r) => r.k.slice(scope.length));
    const slot = shardSlot(o, state, scope);
    return { rows, slot, bytes: state.storage.sql.exec<{ b: number }>(`SELECT COALESCE(SUM(length(k) + length(v) + 8), 0) AS b FROM ${table} WHERE k >= ? AND k < ?`, scope, scope.slice(0, -1) + '0').one().b };
  });

describe('workflows in shards', () => {
  it('runs in shards here (the suite is configured so)', () => {
    expect(workflowShards(testEnv)).toBeGreaterThan(1);
  });

  it('keeps two workflows of one shard apart: their runs, histories and signals', async () => {
    const [a, b] = shardMates('mates');
    expect(wfObject(a).id.toString()).toBe(wfObject(b).id.toString());
    const tq = unique('mates-tq');
    const runA = await startWorkflow(a, tq);
    const runB = await startWorkflow(b, tq);
    // Their first tasks reach the queue (offered, src/engine/task-offer.ts): a signal then is written at once.
    await Promise.all([settle(a), settle(b)]);
    await ok('POST', `/workflows/${a}/signal`, { signalName: 'only-a', input: [json(1)] });

    expect(eventTypes(await history(a))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowExecutionSignaled']);
    expect(eventTypes(await history(b))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);
    expect((await getDescription(a)).execution).toEqual({ workflowId: a, runId: runA.runId });
    expect((await getDescription(b)).execution).toEqual({ workflowId: b, runId: runB.runId });
    // A workflow id that is another's scope with more after it is a workflow of its own.
    expect((await rawRows(a)).rows.every((k) => !k.startsWith(keyScope(b)))).toBe(true);
  });

  it("fires a timer through the shard's one alarm, with nothing forcing it", async () => {
    const [a, b] = shardMates('timer');
    const tq = unique('timer-tq');
    for (const id of [a, b]) await startWorkflow(id, tq);
    for (const timer of [300, 150]) {
      const task = (await pollWorkflowTask(tq))!;
      await completeWorkflowTask(task.taskToken, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: timer }]);
    }
    // Both timers fire by the wall clock: the shard's alarm (or its in-memory timer) finds their slots due.
    const fired = async () => (await Promise.all([a, b].map(async (id) => eventTypes(await history(id)).includes('TimerFired')))).every(Boolean);
    expect(await until(fired, (done) => done, 200)).toBe(true);
  });

  it('fires a slot that comes due while a shard-mate’s alarm still runs at once, runs neither twice, and then sets the alarm to the earliest slot', async () => {
    const [a, b] = shardMates('overlap');
    await runInDurableObject(wfObject(a), async (instance, state) => {
      const alarms = (instance as unknown as { alarms: ShardAlarms }).alarms;
      const slot = (id: string) => alarms.slot(keyScope(id), state.storage.sql).get()!;
      const due = (id: string, at: number) => alarms.slot(keyScope(id), state.storage.sql).set(at);
      // As when the object's alarm runs (an alarm an earlier test of this shard set within NEAR_MS would otherwise stay).
      alarms.usedUp();
      const began = Date.now();
      due(a, began - 1);
      const fired: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      // a's alarm waits (as on a slow hand-over) …
      const first = alarms.fire(async (scope) => {
        fired.push(scope);
        await held;
      });
      // … while b comes due: the next firing runs b at once, and not a again …
      due(b, began - 1);
      let secondEnded = false;
      const second = alarms.fire(async (scope) => void fired.push(scope)).then(() => (secondEnded = true));
      expect(fired.filter((scope) => [a, b].map(keyScope).includes(scope))).toEqual([keyScope(a), keyScope(b)]);
      // … but ends only with a (a's slot is due too: as the object's alarm handler, it must not end
      // before the alarm is set again, which a does when it ends).
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(secondEnded).toBe(false);
      release();
      await Promise.all([first, second]);
      // Neither set its slot again (took nothing): each is tried again a second later, by the timer
      // at the earliest of them; the object's alarm, the backstop, NEAR_MS from when it was set.
      expect(slot(a)).toBeGreaterThan(began);
      expect(slot(b)).toBeGreaterThan(began);
      const earliest = Math.min(slot(a), slot(b));
      // (The timer may be earlier still, for a slot another workflow has since moved later: it then fires, finds nothing, and re-arms.)
      expect((alarms as unknown as { timerAt: number }).timerAt).toBeLessThanOrEqual(earliest);
      // The alarm is no later than their rows need, and NEAR_MS ahead at least.
      const alarm = (await state.storage.getAlarm())!;
      expect(alarm).toBeGreaterThanOrEqual(began + NEAR_MS);
      expect(alarm).toBeLessThanOrEqual(Math.max(bucketOf(earliest, began), Date.now() + NEAR_MS));
    });
  });

  it('a busy shard writes its alarm once for the backstops its workflows clear within ms: a start finds it set within NEAR_MS and leaves it', async () => {
    const [a, b] = shardMates('busy');
    const tq = unique('busy-tq');
    // Counts the object's alarm writes from here on (each a commit of the shard and of workerd's alarm index).
    const writes = await runInDurableObject(wfObject(a), (_o, state) => {
      const counted = { n: 0 };
      const setAlarm = state.storage.setAlarm.bind(state.storage);
      state.storage.setAlarm = (...args: Parameters<typeof setAlarm>) => (counted.n++, setAlarm(...args));
      return counted;
    });
    const alarmWrites = () => runInDurableObject(wfObject(a), () => writes.n);
    const before = await alarmWrites();
    await startWorkflow(a, tq);
    const afterA = await alarmWrites();
    // a's start: its task's delivery has a second to happen (its slot), so the alarm is set, NEAR_MS ahead at most.
    expect(afterA - before).toBeLessThanOrEqual(1);
    const alarm = (await runInDurableObject(wfObject(a), (_o, state) => state.storage.getAlarm()))!;
    expect(alarm).toBeLessThanOrEqual(Date.now() + NEAR_MS);
    // b's start, and a's and b's workflow tasks and closes, write the alarm no more.
    await startWorkflow(b, tq);
    for (let i = 0; i < 2; i++) {
      const task = (await pollWorkflowTask(tq))!;
      await completeWorkflowTask(task.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }]);
    }
    expect(await alarmWrites()).toBe(afterA);
    expect(await runInDurableObject(wfObject(a), (_o, state) => state.storage.getAlarm())).toBe(alarm);
    // Both closed: nothing due for them, their slots gone (their runs' deletion is the shard's sweep's).
    for (const id of [a, b]) expect((await rawRows(id)).slot).toBeNull();
  });

  it('a timer due within NEAR_MS fires on time from memory, and from its row in storage when the shard is restarted before it', async () => {
    const [a, b] = shardMates('backstop');
    const tq = unique('backstop-tq');
    for (const id of [a, b]) await startWorkflow(id, tq);
    const startTimer = async (ms: number) => {
      const task = (await pollWorkflowTask(tq))!;
      await completeWorkflowTask(task.taskToken, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: ms }]);
      return task.workflowExecution.workflowId;
    };
    const fired = async (id: string) => eventTypes(await history(id)).includes('TimerFired');
    // On time: the shard's timer fires it, long before its alarm (NEAR_MS ahead) would.
    const first = await startTimer(50);
    expect(await until(() => fired(first), (done) => done, 10_000)).toBe(true);

    // The next timer's slot is set while the shard's timer cannot run (as in an instance about to end) …
    await runInDurableObject(wfObject(a), (instance) => {
      const alarms = (instance as unknown as { alarms: { startTimer: (at: number) => void } }).alarms;
      alarms.startTimer = () => {};
    });
    const second = await startTimer(1);
    const slot = (await rawRows(second)).slot!;
    // … and the instance ends: the new one knows of the slot only from storage, its row, and fires it
    // from there — by its timer at the row's second, or by the alarm.
    await runInDurableObject(wfObject(a), (_o, state) => {
      try {
        state.abort('restart');
      } catch {
        // abort throws in the caller by design.
      }
    }).catch(() => undefined);
    // What storage knows of it: the earliest row that holds it (its own second's, or one within NEAR_MS that held it already).
    const row = await runInDurableObject(wfObject(a), (_o, state) => state.storage.sql.exec<{ at: number }>(`SELECT MIN(at) AS at FROM alarm_buckets WHERE instr(scopes, ?) > 0`, JSON.stringify(keyScope(second))).one().at);
    expect(row).toBeGreaterThanOrEqual(slot);
    expect(row).toBeLessThanOrEqual(slot + NEAR_MS + BUCKET_MS);
    const alarm = (await runInDurableObject(wfObject(a), (_o, state) => state.storage.getAlarm()))!;
    expect(alarm).toBeGreaterThanOrEqual(row);
    expect(alarm).toBeLessThanOrEqual(slot + NEAR_MS + BUCKET_MS);
    // (The test runs the alarm at once: not before its row's second, as workerd would not. The new
    // instance's timer may have taken the row already.)
    await untilWallClock(row);
    await runDurableObjectAlarm(wfObject(a));
    expect(await until(() => fired(second), (done) => done, 10_000)).toBe(true);
  });

  it('the alarm is set to the second of a slot due later than NEAR_MS (an evicted shard wakes by then), and to NEAR_MS ahead for one due sooner', async () => {
    // A shard's alarms over an object of their own, so that no other test's slots are in it.
    const stub = testEnv.WORKFLOWS.get(testEnv.WORKFLOWS.idFromName(JSON.stringify([NS, unique('alarms-only')])));
    await runInDurableObject(stub, async (_o, state) => {
      const alarms = new ShardAlarms(state.storage, Date.now, async () => {});
      const began = Date.now();
      alarms.slot('1:x/', state.storage.sql).set(began + 60_000);
      expect(await state.storage.getAlarm()).toBe(bucketOf(began + 60_000, began));
      expect(bucketOf(began + 60_000, began) - (began + 60_000)).toBeLessThan(BUCKET_MS);
      // Due sooner: the timer fires it on time; the alarm, its backstop, moves to NEAR_MS from now …
      alarms.slot('1:y/', state.storage.sql).set(began + 100);
      expect((alarms as unknown as { timerAt: number }).timerAt).toBe(began + 100);
      const alarm = (await state.storage.getAlarm())!;
      expect(alarm).toBeGreaterThanOrEqual(began + NEAR_MS);
      expect(alarm).toBeLessThanOrEqual(Date.now() + NEAR_MS);
      // … where it stays for the next slot due soon.
      alarms.slot('1:z/', state.storage.sql).set(Date.now() + 200);
      expect(await state.storage.getAlarm()).toBe(alarm);
      clearTimeout((alarms as unknown as { timer: ReturnType<typeof setTimeout> }).timer);
      await state.storage.deleteAlarm();
    });
  });

  it('backstops cleared before they fire cost a busy shard one alarm write, not one per workflow: the timer finds nothing due and leaves the alarm for the next start; the alarm, once it runs, moves on once', async () => {
    const stub = testEnv.WORKFLOWS.get(testEnv.WORKFLOWS.idFromName(JSON.stringify([NS, unique('alarms-only')])));
    await runInDurableObject(stub, async (_o, state) => {
      const writes: Array<number | null> = [];
      const storage = Object.assign(Object.create(state.storage) as DurableObjectStorage, {
        setAlarm: (at: number) => (writes.push(at), state.storage.setAlarm(at)),
        deleteAlarm: () => (writes.push(null), state.storage.deleteAlarm()),
      });
      const alarms = new ShardAlarms(storage, Date.now, async () => {});
      const slot = (scope: string) => alarms.slot(scope, state.storage.sql);
      // Two workflows start, each with a backstop a second ahead: one alarm write.
      const start = Date.now();
      slot('1:a/').set(start + 1000);
      slot('1:b/').set(start + 1000);
      expect(writes).toHaveLength(1);
      // Both close within ms: their slots go to their deletion, days ahead; the alarm stays.
      const deletion = Date.now() + 72 * 3_600_000;
      slot('1:a/').set(deletion);
      slot('1:b/').set(deletion);
      expect(writes).toHaveLength(1);
      // The timer's firing finds nothing due and leaves the alarm where it is, so the next start
      // (a busy shard's next workflow) finds it set and leaves it too.
      await alarms.fire(async () => {
        throw new Error('nothing is due');
      });
      slot('1:c/').set(start + 1000);
      slot('1:c/').set(deletion);
      expect(writes).toHaveLength(1);
      // The alarm runs (for nothing: the slots' row, of a second ahead, has passed) and moves once, to the deletion's second.
      await untilWallClock(bucketOf(start + 1000, start));
      alarms.usedUp();
      await alarms.fire(async () => {
        throw new Error('nothing is due');
      });
      expect(writes).toEqual([writes[0], bucketOf(deletion, start)]);
      clearTimeout((alarms as unknown as { timer: ReturnType<typeof setTimeout> }).timer);
      await state.storage.deleteAlarm();
    });
  });

  it('clears a closing workflow’s slot at once, not keeping the earlier one it held: its run’s deletion is its shard’s sweep’s', async () => {
    const [a] = shardMates('closing');
    const tq = unique('closing-tq');
    await startWorkflow(a, tq);
    const task = (await pollWorkflowTask(tq))!;
    // The slot holds the started task's timeout, seconds ahead.
    const held = (await rawRows(a)).slot!;
    expect(held).toBeGreaterThan(Date.now());
    await completeWorkflowTask(task.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }]);
    // Closed: nothing is due for it (its alarm would fire at `held` only to clear it); the shard's
    // retention sweep deletes the run (test/workerd/retention-sweep.test.ts).
    expect((await rawRows(a)).slot).toBeNull();
  });

  it('deletes one workflow’s rows and slot, and leaves its shard-mate', async () => {
    const [a, b] = shardMates('delete');
    const tq = unique('delete-tq');
    await startWorkflow(a, tq);
    await startWorkflow(b, tq);
    const before = await history(b);
    expect((await rawRows(a)).rows.length).toBeGreaterThan(0);

    await ok('POST', `/workflows/${a}/delete`, {});
    await until(() => rawRows(a), (r) => r.rows.length === 0 && r.slot === null, 200);
    expect(await history(b)).toEqual(before);
    expect((await rawRows(b)).rows.some((k) => k.startsWith('r/'))).toBe(true);
    expect((await getDescription(b)).status).toBe('RUNNING');
  });

  it('counts a workflow’s stored bytes as those of its own rows', async () => {
    const wid = unique('bytes');
    const tq = unique('bytes-tq');
    await startWorkflow(wid, tq);
    const task = (await pollWorkflowTask(tq))!;
    await completeWorkflowTask(task.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }]);
    const { cost } = await ok<{ cost: ExecutionCost }>('GET', `/workflows/${wid}`);
    expect(cost.units.storedBytes).toBe((await rawRows(wid)).bytes);
    expect(cost.units.sqliteRowsWritten).toBeGreaterThan(0);
  });
});

describe('a workflow new to its shard', () => {
  it('a W1 in a shard reads none of the rows it wrote: its tasks’ history, its activity’s input, its result and its stored bytes come from memory, and its alarm finds nothing to expire or drop without a statement', async () => {
    const wid = unique('w1-reads');
    const statements: string[] = [];
    await inWorkflow(NS, wid, (_o, state) => {
      const sql = state.storage.sql;
      const exec = sql.exec.bind(sql);
      (sql as unknown as { exec: (query: string, ...bindings: SqlStorageValue[]) => unknown }).exec = (query: string, ...bindings: SqlStorageValue[]) => {
        if (typeof bindings[0] === 'string' && bindings[0].startsWith(keyScope(wid))) statements.push(query);
        return exec<Record<string, SqlStorageValue>>(query, ...bindings);
      };
    });
    const tq = unique('w1-reads-tq');
    await startWorkflow(wid, tq);
    const first = (await pollWorkflowTask(tq))!;
    await completeWorkflowTask(first.taskToken, [{ type: 'ScheduleActivityTask', activityId: '1', activityType: 'greet', taskQueue: tq, input: [json('x')], startToCloseTimeoutMs: 10_000 }]);
    const act = (await pollActivityTask(tq))!;
    expect(act.input).toEqual([json('x')]);
    await ok('POST', '/activity-tasks/complete', { taskToken: act.taskToken, result: json('hello x'), identity: 'test-worker' });
    const second = (await pollWorkflowTask(tq))!;
    expect(eventTypes(second.history)).toContain('ActivityTaskCompleted');
    await completeWorkflowTask(second.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('hello x') }]);
    expect(eventTypes(await history(wid)).at(-1)).toBe('WorkflowExecutionCompleted');
    const reads = statements.filter((q) => q.startsWith('SELECT'));
    // Every history read (the tasks', the activity's input, the page above) found its rows in memory,
    // and the reads that would have found nothing (a new workflow's runs, outbox, request ids) were not made.
    expect(reads.filter((q) => / v FROM state|MIN\(k\)/.test(q))).toEqual([]);
    expect(reads.filter((q) => /SELECT k, v, n|json_extract|MAX\(n\)|MIN\(n\)/.test(q))).toEqual([]);
    // Nor its alarm slot's (it had no row in the shard, so no slot either): the start wrote it unread.
    expect(reads.filter((q) => /FROM alarm_buckets/.test(q))).toEqual([]);
    // Nor its stored bytes, for its summaries at start and close: memory holds every row it wrote (test/workerd/stored-bytes.test.ts).
    expect(reads).toEqual([]);
    expect(statements.length).toBeGreaterThan(0);

    // A wake of its alarm with nothing due (its summary's slot, left where it was when it moved later)
    // neither deletes expired request ids nor looks for runs: memory knows there are none and one.
    statements.length = 0;
    await inWorkflow(NS, wid, (o) => o.alarm());
    expect(statements.filter((q) => /^DELETE|MIN\(n\)|ORDER BY k DESC/.test(q))).toEqual([]);
  });
});

describe("a shard's memory", () => {
  it('drops idle workflows past its bound; one dropped is read back from storage, and what ran on it can no longer write', async () => {
    const [a, b] = shardMates('dropped');
    const tq = unique('dropped-tq');
    await startAndCompleteFirstTask(a, tq);
    const before = await history(a);
    const dropped = await runInDurableObject(wfObject(a), (o: WorkflowObject) => {
      const old = o.host(a);
      const entries = (o as unknown as { hosts: Map<string, { usedAt: number }> }).hosts;
      for (const entry of entries.values()) entry.usedAt = 0; // idle long enough
      o.maxHosts = 0;
      o.host(b); // past the bound: the idle ones go (b, just used, stays)
      const stillHeld = entries.has(a);
      o.maxHosts = 1000;
      return { stillHeld, write: (() => { try { old.deliverOutbox(); (old as unknown as { store: { forget(): void; currentRunId(): unknown } }).store.forget(); (old as unknown as { store: { currentRunId(): unknown } }).store.currentRunId(); return 'ran'; } catch (err) { return (err as { code?: string }).code; } })() };
    });
    expect(dropped).toEqual({ stillHeld: false, write: 'CLOSED_WORKFLOW_STORAGE' });
    // The next request reads the workflow back from storage, as after an eviction.
    expect(await history(a)).toEqual(before);
    await ok('POST', `/workflows/${a}/signal`, { signalName: 'after', input: [] });
    expect(eventTypes(await history(a)).slice(-2)).toEqual(['WorkflowExecutionSignaled', 'WorkflowTaskScheduled']);
  });
});

describe("a shard's clock", () => {
  it("drops a quiet workflow idle past IDLE_MS by the shard's clock, not the wall clock", async () => {
    const s = new Space();
    const [a, b] = shardMates('idle-clock');
    await s.start(a);
    await s.terminate(a);
    const held = await runInDurableObject(workflowObjectStub(testEnv, s.ns, a), (o: WorkflowObject) => {
      const hosts = (o as unknown as { hosts: Map<string, unknown> }).hosts;
      o.maxHosts = 1;
      try {
        o.host(a, s.ns);
        // Past the bound, with `a` used just now: it stays.
        o.host(b, s.ns);
        const whileRecent = hosts.has(a);
        // IDLE_MS on by the shard's clock; the wall clock has not moved (workerd moves it only across I/O).
        o.clock.advance(IDLE_MS);
        o.host(b, s.ns);
        return { whileRecent, onceIdle: hosts.has(a) };
      } finally {
        o.maxHosts = 1000;
      }
    });
    expect(held).toEqual({ whileRecent: true, onceIdle: false });
  });
});

describe('a shard with no name of its own', () => {
  it('starts a workflow new to it (as one woken by its alarm after a restart, which workerd gives no name)', async () => {
    const s = new Space();
    const wid = unique('nameless');
    // The shard's instance made first through an id with no name, as its alarm makes it.
    const named = workflowObjectStub(testEnv, s.ns, wid);
    const nameless = testEnv.WORKFLOWS.get(testEnv.WORKFLOWS.idFromString(named.id.toString()));
    expect(await runInDurableObject(nameless, (_o, state) => state.id.name)).toBeUndefined();
    const { runId } = await s.ok<{ runId: string }>('POST', '/workflows', { workflowId: wid, workflowType: 'w', taskQueue: unique('nameless-tq'), input: [] });
    expect((await s.ok('GET', `/workflows/${wid}`)).execution).toEqual({ workflowId: wid, runId });
  });
});
