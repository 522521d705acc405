// The Keel Worker with counters, for the `requests` workload only: the same classes as
// src/index.ts, with every Durable Object method call, storage transaction, SQL statement and
// alarm call counted, and the counts served at GET /__bench/counts (?reset=1 clears them).
// Plain JavaScript on purpose: the root tsconfig checks bench/ with Node's types only.
// Built by bench/lib.ts with esbuild into bench/.build/ and run through startLocalService's
// `scriptPath`; nothing outside bench/ is changed.
import worker, { TaskQueueObject as BaseTaskQueueObject, WorkflowObject as BaseWorkflowObject } from '../src/index.ts';

const counts = { http: {}, rpc: {}, sql: {}, storage: {}, rows: {}, db: {} };
/** Cursors not yet added to `counts.rows`: their counts are final only once they are read. */
const cursors = [];
/** Each WorkflowObject's database size after its last transaction (counts.db is built from it). */
const sizes = new Map();

/** Adds the rows read and written by every cursor so far (SqlStorageCursor.rowsRead/rowsWritten, billed units). */
function flushRows() {
  for (const [key, cursor] of cursors.splice(0)) {
    bump(counts.rows, `${key}: read`, cursor.rowsRead);
    bump(counts.rows, `${key}: written`, cursor.rowsWritten);
  }
}
const bump = (map, key, n = 1) => (map[key] = (map[key] ?? 0) + n);

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
    bump(counts.sql, `${cls}: ${classify(query)}`);
    const cursor = exec(query, ...args);
    cursors.push([cls, cursor]);
    return cursor;
  };
  for (const name of ['transactionSync', 'transaction', 'setAlarm', 'deleteAlarm', 'getAlarm']) {
    const fn = storage[name].bind(storage);
    storage[name] = (...args) => {
      bump(counts.storage, `${cls}: ${name}`);
      const result = fn(...args);
      if (name === 'transactionSync') {
        flushRows();
        if (cls === 'WorkflowObject') sizes.set(ctx.id.toString(), sql.databaseSize);
      }
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
        return fn.apply(this, args);
      },
    });
  }
}

export class WorkflowObject extends BaseWorkflowObject {
  constructor(ctx, env) {
    super(instrumentCtx(ctx, 'WorkflowObject'), env);
    bump(counts.rpc, 'WorkflowObject (constructed)');
  }
}
countMethods(WorkflowObject, BaseWorkflowObject, 'WorkflowObject');

export class TaskQueueObject extends BaseTaskQueueObject {
  constructor(ctx, env) {
    super(instrumentCtx(ctx, 'TaskQueueObject'), env);
    bump(counts.rpc, 'TaskQueueObject (constructed)');
  }
}
countMethods(TaskQueueObject, BaseTaskQueueObject, 'TaskQueueObject');

const ENDPOINT = /^\/api\/v1\/namespaces\/[^/]+(\/.*)$/;

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === '/__bench/counts') {
      flushRows();
      // Bytes: the SQLite database of each WorkflowObject written to since the last reset.
      const all = [...sizes.values()];
      if (all.length > 0) counts.db = { objects: all.length, avg_bytes: Math.round(all.reduce((a, b) => a + b, 0) / all.length), max_bytes: Math.max(...all) };
      const body = JSON.stringify(counts);
      if (url.searchParams.get('reset')) {
        for (const m of Object.values(counts)) for (const k of Object.keys(m)) delete m[k];
        sizes.clear();
      }
      return new Response(body, { headers: { 'content-type': 'application/json' } });
    }
    const m = ENDPOINT.exec(url.pathname);
    const path = m ? m[1].replace(/^\/workflows\/[^/]+/, '/workflows/{workflowId}').replace(/^\/task-queues\/[^/]+/, '/task-queues/{taskQueue}') : url.pathname;
    bump(counts.http, `${request.method} ${path}`);
    return worker.fetch(request, env, ctx);
  },
};
