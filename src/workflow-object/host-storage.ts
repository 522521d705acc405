/**
 * The storage one workflow sees (WorkflowHost): the part of a Durable Object's storage its code
 * uses, with its own SQL handle (its meter counts only its statements), a key scope, an alarm and
 * `deleteAll`. In an object of its own that is the object's storage as it is; in a shard
 * (src/workflow-object.ts) the keys carry the workflow's scope, the alarm is a slot of the shard's
 * one alarm (shard-alarms.ts), and `deleteAll` deletes the workflow's rows only.
 */
import { StateTable } from '../storage/state-table.js';
import type { ShardDays, TableBinding } from '../storage/day-tables.js';
import type { ShardAlarms } from './shard-alarms.js';

export interface HostStorage extends Pick<DurableObjectStorage, 'transactionSync' | 'getAlarm' | 'deleteAlarm' | 'deleteAll'> {
  /** Sets the workflow's alarm (in a shard, its slot: written in the caller's transaction, lazily, shard-alarms.ts). */
  setAlarm(at: number | Date): Promise<void>;
  /**
   * In a shard: makes the shard's retention sweep fire by `wall` (wall-clock ms), which deletes the
   * workflow's closed runs (retention-sweep.ts). An object of its own has none: its alarm does that.
   */
  readonly sweepBy?: (wall: number) => void;
  /** This workflow's own handle on the object's database (watched by its meter alone). */
  readonly sql: SqlStorage;
  /** The object's database, the same for every workflow of a shard (its schema is checked once: reopening-sql.ts). */
  readonly database: object;
  /** What every key of this workflow starts with on disk ('' in an object of its own). */
  readonly scope: string;
  /** In a shard: which tables hold this workflow's rows and list entries (day-tables.ts); else `state`. */
  readonly tables?: TableBinding;
  /**
   * The shard dropped this workflow from memory: every later statement through this view throws, so
   * that work still running on it (a delivery) cannot write from what it held; the alarm retries it.
   */
  close(): void;
}

/** A statement made through a workflow's view after its shard dropped it from memory. */
export class ClosedWorkflowStorageError extends Error {
  override readonly name = 'ClosedWorkflowStorageError';
  readonly code = 'CLOSED_WORKFLOW_STORAGE';
}

/**
 * A workflow's key scope in a shard: its id's length, the id, '/'. No scope is a prefix of
 * another (the length fixes where the id ends), so a range of keys is one workflow's, and it
 * starts with a digit, which no key of the shard's own starts with.
 */
export const keyScope = (workflowId: string) => `${workflowId.length}:${workflowId}/`;

/** The key scope a stored key of a workflow starts with. */
export function scopeOfKey(key: string): string {
  const colon = key.indexOf(':');
  return key.slice(0, colon + 1 + Number(key.slice(0, colon)) + 1);
}

/** The workflow id of a key scope. */
export function workflowIdOfScope(scope: string): string {
  const colon = scope.indexOf(':');
  return scope.slice(colon + 1, colon + 1 + Number(scope.slice(0, colon)));
}

/** A handle of its own over `raw` (a meter that wraps its `exec` wraps this handle's alone), which `close` ends. */
function ownHandle(raw: SqlStorage, databaseSize: () => number): { sql: SqlStorage; close: () => void } {
  let closed = false;
  const sql = {
    exec: (query: string, ...bindings: unknown[]) => {
      if (closed) throw new ClosedWorkflowStorageError("this workflow was dropped from its shard's memory; what it was doing is retried by its alarm");
      return raw.exec(query, ...bindings);
    },
    get databaseSize() {
      return databaseSize();
    },
  } as unknown as SqlStorage;
  return { sql, close: () => (closed = true) };
}

/** An object that holds one workflow: its storage as it is. */
export function objectStorage(storage: DurableObjectStorage): HostStorage {
  const { sql, close } = ownHandle(storage.sql, () => storage.sql.databaseSize);
  return {
    sql,
    database: storage.sql,
    scope: '',
    close,
    transactionSync: (fn) => storage.transactionSync(fn),
    getAlarm: (options) => storage.getAlarm(options),
    setAlarm: (at) => storage.setAlarm(at),
    deleteAlarm: (options) => storage.deleteAlarm(options),
    deleteAll: (options) => storage.deleteAll(options),
  };
}

/**
 * One workflow in a shard: its keys under its scope, in the table that holds them (`days.locate`: a
 * workflow new to the shard goes to its day's), its alarm a slot of the shard's, its runs' deletions
 * the shard's sweep's.
 */
export function shardStorage(storage: DurableObjectStorage, workflowId: string, alarms: ShardAlarms, sweepBy: (wall: number) => void, days: ShardDays): HostStorage {
  const scope = keyScope(workflowId);
  const tables = days.locate(scope);
  const rows = new StateTable(storage.sql, [], scope, undefined, tables);
  // A shard's file is shared: a workflow's stored bytes are those of its rows.
  const { sql, close } = ownHandle(storage.sql, () => rows.bytes());
  const alarm = alarms.slot(scope, sql);
  return {
    sql,
    database: storage.sql,
    scope,
    tables,
    sweepBy,
    close,
    // A rollback takes back what it changed of the shard's slots in memory with its rows.
    transactionSync: (fn) => alarms.transaction(() => storage.transactionSync(fn)),
    getAlarm: () => Promise.resolve(alarm.get()),
    // Written at once (inside the caller's transaction), as the object's own setAlarm is.
    setAlarm: (at) => (alarm.set(typeof at === 'number' ? at : at.getTime()), Promise.resolve()),
    deleteAlarm: () => (alarm.clear(), Promise.resolve()),
    deleteAll: () => {
      alarms.transaction(() =>
        storage.transactionSync(() => {
          rows.deleteScope();
          alarm.clear();
        }),
      );
      return Promise.resolve();
    },
  };
}
