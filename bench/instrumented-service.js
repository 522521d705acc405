// The Keel Worker with counters, for the `requests` workload only: the same classes as
// src/index.ts, with every Durable Object method call, storage transaction, SQL statement and
// alarm call counted, and the counts served at GET /__bench/counts (?reset=1 clears them); and
// POST /__bench/sweep, which makes each shard's retention sweep delete its closed runs now (below).
// Plain JavaScript on purpose: the root tsconfig checks bench/ with Node's types only.
// Built by bench/lib.ts with esbuild into bench/.build/ and run through startLocalService's
// `scriptPath`; nothing outside bench/ is changed.
import worker, { TaskQueueObject as BaseTaskQueueObject, WorkflowObject as BaseWorkflowObject } from '../src/index.ts';
import { DEFAULT_RETENTION_MS } from '../protocol/index.ts';
import { DAY_MS } from '../src/storage/day-tables.ts';
import { workflowShardStubs } from '../src/stubs.ts';

const counts = { http: {}, rpc: {}, sql: {}, storage: {}, stubCalls: {}, d1: {} };
const bump = (map, key, n = 1) => (map[key] = (map[key] ?? 0) + n);

// Billable units (Cloudflare's price list, bench/prices.md): the SQL cursors of the window, whose
// rowsRead/rowsWritten are final once consumed and are summed when the counts are read; the
// rows written by statement kind (which statements the bill is made of); the
// wall-clock time each object had a call in progress (duration is billed while an object is
// active); each workflow object's database size after its last call.
let cursors = [];
const active = new Map(); // object id → { cls, inFlight, since, ms }
const dbSize = new Map(); // workflow object id → bytes
// Workflow object id → the workflow ids it keeps (a shard keeps many: its file's bytes are shared by them).
const keptBy = new Map();

function enter(id, cls) {
  let a = active.get(id);
  if (!a) active.set(id, (a = { cls, inFlight: 0, since: 0, ms: 0 }));
  if (a.inFlight++ === 0) a.since = Date.now();
}
function leave(id) {
  const a = active.get(id);
  if (a && --a.inFlight === 0) a.ms += Date.now() - a.since;
}

function billing() {
  let rowsRead = 0;
  let rowsWritten = 0;
  const rowsWrittenBy = {};
  const rowsReadBy = {};
  for (const { cursor: c, key } of cursors) {
    rowsRead += c.rowsRead;
    rowsWritten += c.rowsWritten;
    if (c.rowsWritten > 0) bump(rowsWrittenBy, key, c.rowsWritten);
    if (c.rowsRead > 0) bump(rowsReadBy, key, c.rowsRead);
  }
  const activeMs = {};
  for (const a of active.values()) bump(activeMs, a.cls, a.ms + (a.inFlight > 0 ? Date.now() - a.since : 0));
  const sizes = [...dbSize.values()];
  return {
    rowsRead,
    rowsWritten,
    rowsWrittenBy,
    rowsReadBy,
    activeMs,
    // The workflows the measured objects keep (each object one, but a shard many, warm-ups included).
    workflowObjects: [...dbSize.keys()].reduce((n, id) => n + Math.max(1, keptBy.get(id)?.size ?? 1), 0),
    workflowObjectBytes: sizes.reduce((x, y) => x + y, 0),
  };
}

const NOT_CALLS = new Set(['then', 'dup', 'id', 'name', 'toJSON', 'constructor']);

/** A Durable Object stub whose method calls (each a billed request) are counted. */
function countedStub(stub, ns) {
  return new Proxy(stub, {
    get(target, prop) {
      const v = target[prop];
      if (typeof prop !== 'string' || NOT_CALLS.has(prop) || typeof v !== 'function') return v;
      // Called through the stub itself: `v.apply` would be an RPC call of a method named "apply".
      return (...args) => {
        bump(counts.stubCalls, `${ns}.${prop}`);
        return target[prop](...args);
      };
    },
  });
}

/** The env, with its namespaces handing out counted stubs and D1's batches counted. */
function countedEnv(env) {
  return new Proxy(env, {
    get(target, prop) {
      const v = target[prop];
      if (prop === 'WORKFLOWS' || prop === 'TASK_QUEUES') {
        return new Proxy(v, {
          get(ns, p) {
            const f = ns[p];
            if (p === 'get' || p === 'getByName') return (...a) => countedStub(Reflect.apply(f, ns, a), prop);
            return typeof f === 'function' ? f.bind(ns) : f;
          },
        });
      }
      if (prop === 'VISIBILITY' && v) {
        return new Proxy(v, {
          get(db, p) {
            const f = db[p];
            if (p === 'batch')
              return async (statements) => {
                const results = await Reflect.apply(f, db, [statements]);
                bump(counts.d1, 'batches');
                bump(counts.d1, 'statements', statements.length);
                for (const r of results) {
                  bump(counts.d1, 'rowsRead', r.meta?.rows_read ?? 0);
                  bump(counts.d1, 'rowsWritten', r.meta?.rows_written ?? 0);
                }
                return results;
              };
            return typeof f === 'function' ? f.bind(db) : f;
          },
        });
      }
      return v;
    },
  });
}

/** A short name for a SQL statement: its verb and table. */
function classify(query) {
  const q = query.trim().replace(/\s+/g, ' ');
  const m =
    /^(SELECT)\b.*?\bFROM (\w+)/i.exec(q) ??
    /^(INSERT OR REPLACE INTO|INSERT INTO|UPDATE|DELETE FROM) (\w+)/i.exec(q) ??
    /^(CREATE TABLE IF NOT EXISTS) (\w+)/i.exec(q);
  if (!m) return q.slice(0, 40);
  const what = /MIN\(|MAX\(|COUNT\(/i.exec(q) && m[1].toUpperCase() === 'SELECT' ? `SELECT ${/(MIN|MAX|COUNT)\(\w*\)?/i.exec(q)[0]}` : m[1].toUpperCase();
  return `${what} ${m[2]}`;
}

/**
 * Counts the storage calls of one object. The DurableObject base class insists on the real
 * DurableObjectState, so the methods are replaced on the storage and SQL objects themselves.
 */
function instrumentCtx(ctx, cls) {
  const storage = ctx.storage;
  const sql = storage.sql;
  const exec = sql.exec.bind(sql);
  sql.exec = (query, ...args) => {
    const key = `${cls}: ${classify(query)}`;
    bump(counts.sql, key);
    const cursor = exec(query, ...args);
    cursors.push({ cursor, key });
    // The size after the object's last write: the delivered summary's row is deleted outside a
    // transaction, after the last call returned.
    if (cls === 'WorkflowObject' && /^\s*(INSERT|DELETE|UPDATE)/i.test(query)) dbSize.set(ctx.id.toString(), sql.databaseSize);
    return cursor;
  };
  for (const name of ['transactionSync', 'transaction', 'setAlarm', 'deleteAlarm', 'getAlarm']) {
    const fn = storage[name].bind(storage);
    storage[name] = (...args) => {
      bump(counts.storage, `${cls}: ${name}`);
      const result = fn(...args);
      if (name === 'transactionSync' && cls === 'WorkflowObject') dbSize.set(ctx.id.toString(), sql.databaseSize);
      return result;
    };
  }
  if (storage.sql !== sql) bump(counts.storage, `${cls}: (sql object not stable; SQL counts incomplete)`);
  return ctx;
}

function countMethods(Sub, Base, cls) {
  for (const name of Object.getOwnPropertyNames(Base.prototype)) {
    if (name === 'constructor') continue;
    const desc = Object.getOwnPropertyDescriptor(Base.prototype, name);
    if (!desc || typeof desc.value !== 'function') continue;
    const fn = desc.value;
    Object.defineProperty(Sub.prototype, name, {
      configurable: true,
      writable: true,
      value: function (...args) {
        bump(counts.rpc, `${cls}.${name}`);
        const id = this.ctx.id.toString();
        // `call` is an RPC's way to a workflow, `callHere` a shard channel's too (protocol 7 and 8: no RPC).
        if (cls === 'WorkflowObject' && (name === 'call' || name === 'callHere')) {
          if (!keptBy.has(id)) keptBy.set(id, new Set());
          keptBy.get(id).add(JSON.stringify(args[0]));
        }
        enter(id, cls);
        const done = () => {
          leave(id);
          if (cls === 'WorkflowObject') dbSize.set(id, this.ctx.storage.sql.databaseSize);
        };
        try {
          const r = fn.apply(this, args);
          if (r && typeof r.then === 'function') r.then(done, done);
          else done();
          return r;
        } catch (err) {
          done();
          throw err;
        }
      },
    });
  }
}

export class WorkflowObject extends BaseWorkflowObject {
  constructor(ctx, env) {
    super(instrumentCtx(ctx, 'WorkflowObject'), countedEnv(env));
    bump(counts.rpc, 'WorkflowObject (constructed)');
  }

  /**
   * Bench only: one turn of this shard's retention sweep (src/workflow-object/retention-sweep.ts) as
   * its alarm runs it `aheadMs` from now — at most a page of runs deleted, in one turn and commit — its
   * clock moved there for the turn and back after it (a sweep the shard's own timer runs later sees the
   * wall clock). With `cold`, the shard first lets go of the workflows it holds in memory that nothing
   * waits for (as it does past MAX_HOSTS, or as a shard evicted meanwhile starts): at retention, days
   * after their close, the sweep reads a run's rows from storage. Counted as an alarm invocation would
   * be: its duration, and a call under `WorkflowObject.alarm (retention sweep, bench)`.
   */
  async benchSweep(aheadMs, cold) {
    const id = this.ctx.id.toString();
    bump(counts.rpc, 'WorkflowObject.alarm (retention sweep, bench)');
    enter(id, 'WorkflowObject');
    const sweep = this.sweep;
    sweep.clock.advance(aheadMs);
    try {
      if (cold) {
        for (const [workflowId, { host, storage }] of this.hosts) {
          if (!host.quiet) continue;
          storage.close();
          this.hosts.delete(workflowId);
        }
      }
      return { deleted: await sweep.run(), page: sweep.page };
    } finally {
      sweep.clock.advance(-aheadMs);
      leave(id);
      dbSize.set(id, this.ctx.storage.sql.databaseSize);
    }
  }
}
countMethods(WorkflowObject, BaseWorkflowObject, 'WorkflowObject');

export class TaskQueueObject extends BaseTaskQueueObject {
  constructor(ctx, env) {
    super(instrumentCtx(ctx, 'TaskQueueObject'), countedEnv(env));
    bump(counts.rpc, 'TaskQueueObject (constructed)');
  }
}
countMethods(TaskQueueObject, BaseTaskQueueObject, 'TaskQueueObject');

/**
 * POST /__bench/sweep?namespace=default[&aheadMs=…][&cold=0]: each shard of the namespace deletes the
 * closed runs that are past retention `aheadMs` from now (by default a day, the default retention and a
 * minute: every run closed by now, its day's tables dropped whole once their day has ended and the
 * retention has passed, src/storage/day-tables.ts), a page per turn as its alarm does (a full page brings the sweep
 * back for the next one), the shards one after another. Answers each turn's runs deleted and its ms.
 */
async function sweepNow(url, env) {
  const namespace = url.searchParams.get('namespace') ?? 'default';
  const aheadMs = Number(url.searchParams.get('aheadMs') ?? DAY_MS + DEFAULT_RETENTION_MS + 60_000);
  const cold = url.searchParams.get('cold') !== '0';
  const turns = [];
  for (const stub of workflowShardStubs(env, namespace)) {
    for (;;) {
      // Timed here, across the RPC (workerd's clock moves only on I/O): the turn's duration with its RPC, an upper bound.
      const t0 = Date.now();
      const { deleted, page } = await stub.benchSweep(aheadMs, cold);
      turns.push({ deleted, ms: Date.now() - t0 });
      if (deleted < page) break;
    }
  }
  return new Response(JSON.stringify({ turns, deleted: turns.reduce((a, t) => a + t.deleted, 0) }), { headers: { 'content-type': 'application/json' } });
}

const ENDPOINT = /^\/api\/v1\/namespaces\/[^/]+(\/.*)$/;

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === '/__bench/counts') {
      const body = JSON.stringify({ ...counts, billing: billing() });
      if (url.searchParams.get('reset')) {
        for (const m of Object.values(counts)) for (const k of Object.keys(m)) delete m[k];
        cursors = [];
        for (const [id, a] of active) if (a.inFlight === 0) active.delete(id);
        else Object.assign(a, { ms: 0, since: Date.now() });
        dbSize.clear();
      }
      return new Response(body, { headers: { 'content-type': 'application/json' } });
    }
    if (url.pathname === '/__bench/sweep' && request.method === 'POST') return sweepNow(url, env);
    const m = ENDPOINT.exec(url.pathname);
    const path = m ? m[1].replace(/^\/workflows\/[^/]+/, '/workflows/{workflowId}').replace(/^\/task-queues\/[^/]+/, '/task-queues/{taskQueue}') : url.pathname;
    bump(counts.http, `${request.method} ${path}`);
    return worker.fetch(request, countedEnv(env), ctx);
  },
};
