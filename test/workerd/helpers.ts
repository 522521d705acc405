/**
 * Drives the service the way any HTTP client would, from inside workerd: every call
 * goes through the Worker's fetch handler, the router and the Durable Objects.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import type { ActivityTask, Command, HistoryEvent, Payload, WorkflowTask } from '../../protocol/index.js';
import { ErrorStatus, type ErrorCode, type RequestOf } from '../../protocol/index.js';
import type { Env } from '../../src/env.js';
import { taskQueueStub, workflowObjectStub, workflowStub } from '../../src/stubs.js';
import { shardOf, workflowShards } from '../../src/workflow-shards.js';
import type { HostStorage } from '../../src/workflow-object/host-storage.js';
import { SWEEP_SCOPE, type RetentionSweep } from '../../src/workflow-object/retention-sweep.js';
import type { ShardAlarms } from '../../src/workflow-object/shard-alarms.js';
import { partitionStub } from '../../src/task-queue.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import type { WorkflowObject } from '../../src/workflow-object.js';
import { StateTable } from '../../src/storage/state-table.js';
import { workflowTaskRef } from '../../src/engine/workflow-tasks.js';
import type { TaskRef } from '../../src/task-token.js';
import type { OfferedWorkflowTask } from '../../src/engine/transaction.js';
import { WorkflowStore } from '../../src/storage/workflow-store.js';
import { DAY_MS, STATE_ONLY } from '../../src/storage/day-tables.js';

export const testEnv = env as unknown as Env;
export const NS = 'default';

let counter = 0;
/** A name no other test uses, so each test has its own objects. */
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++counter}`;

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
}

export async function call<T = any>(method: 'GET' | 'POST', path: string, body?: unknown, init?: RequestInit): Promise<ApiAnswer<T>> {
  const url = new URL(`http://keel.test/api/v1/namespaces/${NS}${path}`);
  if (method === 'GET' && body) for (const [k, v] of Object.entries(body)) url.searchParams.set(k, String(v));
  const res = await (exports as unknown as { default: Fetcher }).default.fetch(url, {
    method,
    ...(method === 'POST' ? { body: typeof body === 'string' ? body : JSON.stringify(body ?? {}), headers: { 'content-type': 'application/json' } } : {}),
    ...init,
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** Calls and expects a 200; throws with the error body otherwise. */
export async function ok<T = any>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const r = await call<T>(method, path, body);
  if (r.status !== 200) throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

export const json = (value: unknown): Payload => ({ metadata: { encoding: btoa('json/plain') }, data: btoa(JSON.stringify(value)) });
export const fromJson = (p: Payload | undefined): unknown => (p ? JSON.parse(atob(p.data)) : undefined);

export function startWorkflow(workflowId: string, taskQueue: string, extra: Record<string, unknown> = {}) {
  return ok<{ runId: string; started: boolean }>('POST', '/workflows', { workflowId, workflowType: 'order', taskQueue, input: [json('x')], ...extra });
}

/** Polls a workflow task; the queue object is asked directly so the test can choose how long to wait. */
export async function pollWorkflowTask(taskQueue: string, waitMs = 5000, identity = 'test-worker'): Promise<WorkflowTask | undefined> {
  await settleAll();
  const started = await taskQueueStub(testEnv, NS, taskQueue, 'workflow').poll(identity, waitMs);
  return started?.kind === 'workflow' ? started.task : undefined;
}

export async function pollActivityTask(taskQueue: string, waitMs = 5000, identity = 'test-worker'): Promise<ActivityTask | undefined> {
  await settleAll();
  const started = await taskQueueStub(testEnv, NS, taskQueue, 'activity').poll(identity, waitMs);
  return started?.kind === 'activity' ? started.task : undefined;
}

export const completeWorkflowTask = (taskToken: string, commands: Command[], extra: Record<string, unknown> = {}) =>
  ok('POST', '/workflow-tasks/complete', { taskToken, commands, identity: 'test-worker', ...extra });

export async function history(workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  const r = await ok<{ events: HistoryEvent[] }>('GET', `/workflows/${encodeURIComponent(workflowId)}/history`, runId ? { runId } : {});
  return r.events;
}

export const eventTypes = (events: HistoryEvent[]) => events.map((e) => e.eventType);

export const wfStub = (workflowId: string) => workflowStub(testEnv, NS, workflowId);
/** The Durable Object that keeps the workflow (its own, or its shard). */
export const wfObject = (workflowId: string, namespace = NS) => workflowObjectStub(testEnv, namespace, workflowId);

/** `n` new workflow ids kept in one shard. */
export function shardMates(prefix: string, n: number): string[] {
  const shards = workflowShards(testEnv);
  const ids = [unique(prefix)];
  for (let i = 0; ids.length < n; i++) {
    const id = `${ids[0]}-mate-${i}`;
    if (shardOf(id, shards) === shardOf(ids[0]!, shards)) ids.push(id);
  }
  return ids;
}

/** A slot of a shard's alarm (a workflow's scope, or SWEEP_SCOPE) as the shard knows it: wall-clock ms, null when none (src/workflow-object/shard-alarms.ts). */
export const shardSlot = (o: WorkflowObject, state: DurableObjectState, scope: string) => (o as unknown as { alarms: ShardAlarms }).alarms.slot(scope, state.storage.sql).get();

/** The storage a workflow's host sees: its alarm (a shard's slot), its scope. */
export const hostStorage = (host: WorkflowHost) => (host as unknown as { storage: HostStorage }).storage;

/** The tables that hold the workflow's rows and list entries (in a shard, maybe its day's: src/storage/day-tables.ts). */
export const tablesOf = (host: WorkflowHost) => hostStorage(host).tables ?? STATE_ONLY;


/**
 * Runs the workflow's alarm if it has one (true), as `runDurableObjectAlarm` does for an object of its
 * own; in a shard, the workflow's own alarm at once (a test that moved its clock moved none of the
 * shard's other workflows, and the shard fires what is due by the wall clock).
 */
export async function fireAlarm(workflowId: string, namespace = NS): Promise<boolean> {
  if (workflowShards(testEnv) === 0) return runDurableObjectAlarm(wfObject(workflowId, namespace));
  return inWorkflow(namespace, workflowId, async (host) => {
    if ((await hostStorage(host).getAlarm()) === null) return false;
    await host.alarm();
    return true;
  });
}

/**
 * Runs the deletion of closed runs past their retention at the workflow's time (its clock, which tests
 * move): in a shard, the shard's retention sweep with its clock brought up to the workflow's
 * (src/workflow-object/retention-sweep.ts); in an object of its own, its alarm.
 */
export async function sweepRetention(workflowId: string, namespace = NS): Promise<void> {
  if (workflowShards(testEnv) === 0) return void (await fireAlarm(workflowId, namespace));
  await runInDurableObject(wfObject(workflowId, namespace), async (o: WorkflowObject) => {
    const sweep = (o as unknown as { sweep: RetentionSweep }).sweep;
    // A workflow of a day table goes with its table, once its day has ended too (src/storage/day-tables.ts): a day later at most.
    const day = hostStorage(o.host(workflowId, namespace)).tables?.day;
    const behind = o.host(workflowId, namespace).clock.now() + (day === null || day === undefined ? 0 : DAY_MS) - sweep.clock.now();
    if (behind > 0) sweep.clock.advance(behind);
    await sweep.run();
  });
}

/**
 * By when (the workflow's time) its closed run's deletion runs at the latest: its alarm in an object of
 * its own; in a shard, the shard's retention sweep, which fires by the earliest deletion of its runs.
 */
export async function deletionBy(workflowId: string): Promise<number | null> {
  if (workflowShards(testEnv) === 0) return alarmAt(workflowId);
  return runInDurableObject(wfObject(workflowId), (o: WorkflowObject, state) => {
    const wall = shardSlot(o, state, SWEEP_SCOPE);
    return wall === null ? null : wall - o.host(workflowId, NS).clock.toWallClock(0);
  });
}

/** What the workflow object does for `workflowId` from now on: its transactions, and the tasks queues ask it to start (`startTask`). */
export async function watchWorkflow(workflowId: string): Promise<{ transactions: number; startTask: number }> {
  const seen = { transactions: 0, startTask: 0 };
  await inWorkflow(NS, workflowId, (host: WorkflowHost) => {
    const storage = hostStorage(host);
    const transactionSync = storage.transactionSync.bind(storage);
    storage.transactionSync = (fn) => (seen.transactions++, transactionSync(fn));
    const startTask = host.startTask.bind(host);
    host.startTask = (...args) => (seen.startTask++, startTask(...args));
  });
  return seen;
}

/**
 * What the object that keeps `workflowIds` does from now on: the RPCs it takes (`call` and `callMany`),
 * and the turn each of the workflows' transactions ran in — a turn ends when the microtasks run, so
 * transactions in one turn are in one synchronous stretch, and workerd commits them together.
 */
export async function watchObject(workflowIds: string[]) {
  const seen = { call: 0, callMany: 0, turns: [] as number[] };
  let turn = 0;
  let ending = false;
  await runInDurableObject(wfObject(workflowIds[0]!), (o: WorkflowObject) => {
    // RPC reaches only methods of the object's prototype chain: the counting ones go in a prototype of its own.
    // (`callMany` and a shard's channel reach the hosts without `call`: those are not RPCs.)
    const proto = Object.getPrototypeOf(o) as WorkflowObject;
    Object.setPrototypeOf(
      o,
      Object.create(proto, {
        call: { value: function (this: WorkflowObject, ...a: Parameters<WorkflowObject['call']>) { seen.call++; return proto.call.apply(this, a); } },
        callMany: { value: function (this: WorkflowObject, ...a: Parameters<WorkflowObject['callMany']>) { seen.callMany++; return proto.callMany.apply(this, a); } },
      }),
    );
    for (const id of workflowIds) {
      const storage = hostStorage(o.host(id, NS));
      const run = storage.transactionSync.bind(storage);
      storage.transactionSync = ((fn: () => unknown) => {
        seen.turns.push(turn);
        if (!ending) {
          ending = true;
          queueMicrotask(() => ((turn += 1), (ending = false)));
        }
        return run(fn);
      }) as typeof storage.transactionSync;
    }
  });
  return seen;
}

/**
 * Stops a shard's clock (its time: what its held offers are timed by, so a slow machine cannot expire one
 * mid-test); returns a mover. Its wall clock, which its alarm's slots are in, runs on (src/workflow-object.ts).
 */
export async function freezeShardClock(shard: DurableObjectStub<WorkflowObject>): Promise<(ms: number) => Promise<void>> {
  const base = Date.now();
  let offset = 0;
  await runInDurableObject(shard, (o: WorkflowObject) => void Object.assign(o.clock, { now: () => base + offset }));
  return async (ms) => void (offset += ms);
}

/** Runs `fn` inside the object that keeps a workflow, with the workflow's host (and the object's state). */
export function inWorkflow<T>(namespace: string, workflowId: string, fn: (host: WorkflowHost, state: DurableObjectState) => T | Promise<T>): Promise<T> {
  return runInDurableObject(workflowObjectStub(testEnv, namespace, workflowId), (o: WorkflowObject, state) => fn(o.host(workflowId, namespace), state));
}

const touched = new Set<string>();
/** Hands every outbox row of the workflow to its queue, and waits for the tasks it offered (src/engine/task-offer.ts) to reach theirs. */
const deliverAll = (o: WorkflowHost) => Promise.all([o.deliverOutbox(), (o as unknown as { taskOffer: { settled(): Promise<void> } }).taskOffer.settled()]);
/** Waits until every outbox row of the object is handed to its queue. */
export async function settle(workflowId: string): Promise<void> {
  touched.add(workflowId);
  await inWorkflow(NS, workflowId, deliverAll);
}
async function settleAll(): Promise<void> {
  await Promise.all([...touched].map((id) => inWorkflow(NS, id, deliverAll)));
}

/**
 * Starts a workflow whose first task the object does not offer to its queue, and returns the ref that
 * names the task, for the test to add where it wants; the poll that takes it starts it as any task.
 * The object is told what a queue that backlogged the offer would tell it (src/engine/task-offer.ts),
 * so the hand-off window's end drops the offer's reserved start instead of sending the task to its
 * queue a second time: a test that outlasts the window (a loaded machine) still sees only its own adds.
 */
export async function startHoldingFirstTask(workflowId: string, taskQueue: string, extra: Record<string, unknown> = {}): Promise<TaskRef> {
  await inWorkflow(NS, workflowId, (o: WorkflowHost) => {
    const offer = (o as unknown as { taskOffer: { send: (offered: OfferedWorkflowTask) => Promise<void>; queued: Map<string, number> } }).taskOffer;
    offer.send = async (offered) => {
      if (offered.ref.seq !== undefined) offer.queued.set(offered.runId, offered.ref.seq);
    };
  });
  const { runId } = await startWorkflow(workflowId, taskQueue, extra);
  const run = await runState(workflowId, runId);
  return workflowTaskRef(run, run.workflowTask);
}

/** Ends the object's instance, as an eviction or a restart of the service does: the next request builds a new one from storage. */
export async function restart(workflowId: string, namespace = NS): Promise<void> {
  await runInDurableObject(wfObject(workflowId, namespace), (o: WorkflowObject, state) => {
    (o as unknown as { marked?: boolean }).marked = true;
    try {
      state.abort('restart');
    } catch {
      // abort throws in the caller by design (workerd also logs it as an uncaught exception).
    }
  }).catch(() => undefined);
  // A new instance: nothing of the old one's memory.
  if (await runInDurableObject(wfObject(workflowId, namespace), (o: WorkflowObject) => (o as unknown as { marked?: boolean }).marked)) throw new Error(`the object of ${workflowId} was not restarted`);
}

/** Moves the object's clock forward and runs its alarm, as if that much time had passed. */
export async function advance(workflowId: string, ms: number): Promise<void> {
  touched.add(workflowId);
  await inWorkflow(NS, workflowId, (o) => o.clock.advance(ms));
  await fireAlarm(workflowId);
  await settle(workflowId);
}

/** Reads a run's stored state, for assertions on what history does not show. */
export function runState(workflowId: string, runId: string) {
  return inWorkflow(NS, workflowId, (o: WorkflowHost, state) => new WorkflowStore(state.storage, undefined, hostStorage(o).scope, hostStorage(o).tables).loadRun(runId) as any);
}

// ---- Storage, queue and error probes (used by the executions, errors, invariants, ----
// ---- history-and-queries and task-queues suites)                                  ----

/** Fetches a path of the service as given (not under the namespace), e.g. `/api/v1/openapi.json`. */
export async function fetchService(path: string, init?: RequestInit): Promise<Response> {
  return (exports as unknown as { default: Fetcher }).default.fetch(new URL(`http://keel.test${path}`), init);
}

/** Everything a workflow object has stored, row by row, and its alarm: two snapshots are equal only if nothing changed. */
export function storedState(workflowId: string) {
  return inWorkflow(NS, workflowId, async (host, state) => {
    const scope = hostStorage(host).scope;
    const rows = (q: string) => state.storage.sql.exec(q).toArray().map((r) => ({ ...r }));
    // Every row of the workflow but the schema's version: history, runs and their items, outbox, request ids, …
    const all = rows(`SELECT k, v, n FROM ${tablesOf(host).state} WHERE k != 'm/schemaVersion' ORDER BY k`)
      .filter((r) => String(r.k).startsWith(scope))
      .map((r) => ({ ...r, k: String(r.k).slice(scope.length) }));
    const kind = (prefix: string) => all.filter((r) => String(r.k).startsWith(prefix));
    return {
      events: kind('h/'),
      state: all,
      runs: kind('r/'),
      outbox: kind('o/'),
      alarm: await hostStorage(host).getAlarm(),
    };
  });
}

/** The rows of a workflow object's state table whose keys start with `prefix` ('o/' outbox, 'c/' calls, 'v/' summaries, 'q/' request ids). */
export function stateRows(workflowId: string, prefix: string) {
  return inWorkflow(NS, workflowId, (o: WorkflowHost, state) => new StateTable(state.storage.sql, [], hostStorage(o).scope, undefined, hostStorage(o).tables).range(prefix));
}

/**
 * What a task queue object holds: backlog refs still waiting (rows already started, whose delete is
 * still to be written, are left out), long polls waiting now, and whether a row was ever backlogged.
 */
export function queueState(taskQueue: string, kind: 'workflow' | 'activity' = 'workflow', partition = 0) {
  return runInDurableObject(partitionStub(testEnv, NS, taskQueue, kind, partition), (o, state) => {
    const sql = state.storage.sql;
    const taken = (o as unknown as { taken: Set<number> }).taken;
    return {
      backlog: sql
        .exec<{ id: number; ref: string }>('SELECT id, ref FROM backlog ORDER BY id')
        .toArray()
        .filter((r) => !taken.has(r.id))
        .map((r) => JSON.parse(r.ref) as Record<string, unknown>),
      everBacklogged: sql.exec(`SELECT seq FROM sqlite_sequence WHERE name = 'backlog'`).toArray().length > 0,
      waitingPollers: (o as unknown as { waiting: unknown[] }).waiting.length,
    };
  });
}

/**
 * Freezes a task queue object's clock (what it measures its held tasks' time by, src/task-queue-object.ts);
 * returns a mover.
 */
export async function freezeQueueClock(taskQueue: string, partition = 0): Promise<(ms: number) => Promise<void>> {
  const stub = partitionStub(testEnv, NS, taskQueue, 'workflow', partition);
  await runInDurableObject(stub, (o) => {
    const base = Date.now();
    let offset = 0;
    Object.assign((o as unknown as { clock: object }).clock, { now: () => base + offset, advance: (ms: number) => (offset += ms) });
  });
  return (ms) => runInDurableObject(stub, (o) => void (o as unknown as { clock: { advance(ms: number): void } }).clock.advance(ms));
}

/**
 * Probes until `done` holds: for conditions that become true once another request has
 * got somewhere (a long poll registered, a delivery made). Each try is a round trip to
 * an object, never a sleep.
 */
/**
 * Waits until the wall clock reaches `at` (for a shard's alarm row, whose second must have passed
 * for a firing to take it). workerd's clock moves only across I/O, so each try waits on a timer.
 */
export async function untilWallClock(at: number): Promise<void> {
  for (let i = 0; i < 100 && Date.now() < at; i++) await new Promise((resolve) => setTimeout(resolve, Math.max(1, at - Date.now())));
  if (Date.now() < at) throw new Error(`the wall clock did not reach ${at}`);
}

export async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, tries = 1000): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await probe();
    if (done(value)) return value;
  }
  throw new Error(`condition not met after ${tries} probes`);
}

/** Waits until a long poll for new history events of the workflow object is held. */
export const historyWaiters = (workflowId: string) =>
  inWorkflow(NS, workflowId, (o: WorkflowHost) => (o as unknown as { waiters: Set<unknown> }).waiters.size);

/** Starts a workflow and completes its first workflow task with `commands`; the run then waits. */
export async function startAndCompleteFirstTask(workflowId: string, taskQueue: string, commands: RequestOf<'completeWorkflowTask'>['commands'] = [], extra: Record<string, unknown> = {}) {
  const { runId } = await startWorkflow(workflowId, taskQueue, extra);
  const task = await pollWorkflowTask(taskQueue);
  if (!task || task.workflowExecution.runId !== runId) throw new Error(`expected the first workflow task of ${workflowId}`);
  await completeWorkflowTask(task.taskToken, commands as Command[]);
  await settle(workflowId);
  return { runId, task };
}

// ---- Appended for the workflow-task, activity and timer suites ---------------------
// (imports are hoisted; kept here so that this block only appends)
import type { CommandOf, Failure, ResponseOf } from '../../protocol/index.js';

/**
 * Freezes the object's clock: from now on its time moves only by `advance`, so a test can
 * stand 1 ms before a due moment and know nothing fires. Call it before the workflow starts
 * (it creates the object) so that every event time is exact.
 */
export async function freezeClock(workflowId: string): Promise<number> {
  touched.add(workflowId);
  return inWorkflow(NS, workflowId, (o: WorkflowHost) => {
    const base = Date.now();
    let offset = 0;
    Object.assign(o.clock, {
      now: () => base + offset,
      advance: (ms: number) => {
        offset += ms;
      },
      toWallClock: (t: number) => t - offset,
    });
    return base;
  });
}

/** The object's current time. */
export const clockNow = (workflowId: string) => inWorkflow(NS, workflowId, (o: WorkflowHost) => o.clock.now());

/**
 * The moment (in the object's time) the workflow's alarm is set for, or null when none is: as the
 * workflow last set it (a shard's slot may hold an earlier moment: src/workflow-object/shard-alarms.ts).
 */
export const alarmAt = (workflowId: string) =>
  inWorkflow(NS, workflowId, async (o: WorkflowHost) => {
    const setTo = (o as unknown as { alarms: { setTo: number | null | undefined } }).alarms.setTo;
    const wall = setTo !== undefined ? setTo : await hostStorage(o).getAlarm();
    return wall === null ? null : wall - o.clock.toWallClock(0);
  });

export const iso = (t: number) => new Date(t).toISOString();

export const getDescription = (workflowId: string, runId?: string) =>
  ok<ResponseOf<'describeWorkflow'>>('GET', `/workflows/${encodeURIComponent(workflowId)}`, runId ? { runId } : undefined);

export const sendSignal = (workflowId: string, signalName = 'ping', input: Payload[] = []) =>
  ok('POST', `/workflows/${encodeURIComponent(workflowId)}/signal`, { signalName, input, identity: 'signaller' });

export const failWorkflowTaskWith = (taskToken: string, failure: Failure = { message: 'workflow code threw' }, extra: Record<string, unknown> = {}) =>
  ok('POST', '/workflow-tasks/fail', { taskToken, failure, identity: 'test-worker', ...extra });

/** A ScheduleActivityTask command (activity type 'charge'); `extra` sets its timeouts and retry policy. */
export const scheduleActivityCommand = (activityId: string, extra: Partial<CommandOf<'ScheduleActivityTask'>> = {}): Command => ({
  type: 'ScheduleActivityTask',
  activityId,
  activityType: 'charge',
  input: [json(activityId)],
  ...extra,
});

/**
 * Starts a workflow on a frozen clock and takes its first workflow task.
 * `t0` is the start time in the object's clock.
 */
export async function startAndTakeFirstTask(prefix: string, extra: Record<string, unknown> = {}) {
  const workflowId = unique(prefix);
  const taskQueue = unique(`${prefix}-tq`);
  const t0 = await freezeClock(workflowId);
  const { runId } = await startWorkflow(workflowId, taskQueue, extra);
  const task = (await pollWorkflowTask(taskQueue))!;
  return { workflowId, taskQueue, runId, t0, task };
}

/** The event types and ids from `from` on, for compact assertions. */
export const eventsFrom = (events: HistoryEvent[], from: number) => events.filter((e) => e.eventId >= from).map((e) => `${e.eventId} ${e.eventType}`);

/** Asserts an error answer: the code, the status the protocol gives it, and a message. */
export function expectError(res: ApiAnswer, code: ErrorCode, message?: RegExp): { code: ErrorCode; message: string; details?: any } {
  if (res.status !== ErrorStatus[code] || res.body?.error?.code !== code) {
    throw new Error(`expected ${code} (${ErrorStatus[code]}), got ${res.status}: ${JSON.stringify(res.body)}`);
  }
  const error = res.body.error as { code: ErrorCode; message: string; details?: any };
  if (typeof error.message !== 'string' || error.message.length < 10) throw new Error(`${code} has no useful message: ${JSON.stringify(error)}`);
  if (message && !message.test(error.message)) throw new Error(`${code} message ${JSON.stringify(error.message)} does not match ${message}`);
  return error;
}

/**
 * Runs `fn` while recording the cursor of every statement `sql` runs (the workflows' own handles
 * included: they call the shard's `exec`), then restores `exec`. Answers `fn`'s result and the rows
 * those statements wrote, as workerd bills them (`rowsWritten`).
 */
export async function rowsWrittenBy<T>(sql: SqlStorage, fn: () => Promise<T>): Promise<{ result: T; written: number }> {
  const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  const exec = sql.exec.bind(sql);
  sql.exec = ((query: string, ...bindings: SqlStorageValue[]) => {
    const cursor = exec<Record<string, SqlStorageValue>>(query, ...bindings);
    cursors.push(cursor);
    return cursor;
  }) as SqlStorage['exec'];
  try {
    const result = await fn();
    return { result, written: cursors.reduce((n, c) => n + c.rowsWritten, 0) };
  } finally {
    sql.exec = exec;
  }
}
