/**
 * The schema of a workflow object's SQLite database, with its version and the ordered
 * migrations that bring an older database (a `keel dev` data directory, a deployed object)
 * up to it. Every table of the object is declared here; the modules that use a table
 * (src/storage/workflow-store.ts, src/workflow-calls.ts, src/visibility/outbox.ts) own its rows.
 *
 * Tables made by their first write are not part of a version: a database without them is whole (a
 * table costs billed rows and a page, so only an object that needs one pays for it). They are
 * declared beside their rows' owner and listed here: a shard's alarm slots (`alarm_buckets`,
 * src/workflow-object/alarm-rows.ts) and the list entries of its `state` workflows (`visibility`, VISIBILITY_TABLE in
 * src/visibility/list-entry.ts). Changing one of their layouts takes a migration, run where the
 * table is opened: alarm-rows.ts moves the slots of the layout before it (`alarms`, a row and an
 * index entry per workflow) into its rows when its shard starts, and drops that table.
 */

import { migrateV1ToV2 } from './migrate-v2.js';
import { migrateV2ToV3 } from './migrate-v3.js';
import { STATE_TABLE, StateTable, VERSION_KEY } from './state-table.js';

/** What opening the schema needs of an object's storage (a workflow's view of it will do). */
export type SchemaStorage = Pick<DurableObjectStorage, 'sql' | 'transactionSync'>;

/**
 * The version a database is brought to when its object starts. Version 4: a shard's workflows may
 * live in day tables (`state_d<N>`, src/storage/day-tables.ts), which a build of
 * version 3 would not see — it would take a workflow there for one that does not exist, and start a
 * second run of a running id in `state`. Nothing is migrated (a version 3 database is a version 4
 * one without day tables, and reads as version 4: `schemaVersion`); a shard records version 4 in a
 * row when it makes its first day table (ShardDays.ensure), so that such a build refuses it
 * (docs/scale.md, "No going back").
 */
export const SCHEMA_VERSION = 4;

/**
 * Version 3: one table, `state` (state-table.ts), history included as one row per transaction's
 * events (history-rows.ts). One B-tree, so a finished one-activity workflow is three pages with
 * SQLite's first page and workerd's alarm table, and a new object writes the rows of one table's
 * creation. (Version 2 had history in a table of its own, `events`, a row per event.) Within
 * version 3, a run's newest events moved into its run's row (history-rows.ts `appendHistory`): no
 * migration, since a database without them reads as before; a build from before that misses them
 * (docs/scale.md, "No going back").
 */
const V3 = [STATE_TABLE];

/** Version 1: the layout every database had before versions were recorded (a table per kind of row). */
export const V1 = [
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, state TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS events (run_id TEXT NOT NULL, event_id INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (run_id, event_id)) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, task_queue TEXT NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL, due_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)`,
  `CREATE TABLE IF NOT EXISTS requests (request_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, response TEXT NOT NULL, created_at INTEGER NOT NULL)`,
  // Every change looks up the oldest request id (to expire it): without this, a long-lived
  // run that takes many signals pays a full scan per change.
  `CREATE INDEX IF NOT EXISTS requests_by_age ON requests (created_at)`,
  `CREATE TABLE IF NOT EXISTS visibility_outbox (run_id TEXT PRIMARY KEY, version INTEGER NOT NULL, summary TEXT NOT NULL, due_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)`,
  `CREATE TABLE IF NOT EXISTS calls (id INTEGER PRIMARY KEY AUTOINCREMENT, call TEXT NOT NULL, due_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)`,
];

/**
 * Migrations in order: `MIGRATIONS[i]` takes a database at version i to version i + 1. A
 * database from before versions were recorded counts as version 0: it has some of V1's
 * tables (those that existed when it was written), and the first migration adds the rest.
 */
const MIGRATIONS: Array<(sql: SqlStorage) => void> = [(sql) => V1.forEach((stmt) => sql.exec(stmt)), migrateV1ToV2, migrateV2ToV3, () => undefined];

/**
 * Brings the database to SCHEMA_VERSION, in one transaction. Costs one read when it is
 * already there (every start of an object but its first).
 */
export function openSchema(storage: SchemaStorage): void {
  const sql = storage.sql;
  const version = schemaVersion(sql);
  if (version === SCHEMA_VERSION) return;
  if (version > SCHEMA_VERSION) throw new Error(`storage schema version ${version} is newer than this service's (${SCHEMA_VERSION}); run a newer Keel`);
  storage.transactionSync(() => {
    // A new database is created at the latest version, and its version goes without saying (no
    // row: rows written are billed); an older one goes through each migration and records it.
    if (version === -1) V3.forEach((stmt) => sql.exec(stmt));
    else {
      for (let v = version; v < SCHEMA_VERSION; v++) MIGRATIONS[v]!(sql);
      new StateTable(sql).put(VERSION_KEY, String(SCHEMA_VERSION));
    }
  });
}


/**
 * -1 for an empty database; 0 for one written before versions were recorded (it has `meta`, not
 * `state`). A database with `state` says its version in a row, but one created at version 3 or 4 has
 * none: `state` without `events` is version 4 (every version 2 database has `events`; a version 3 one
 * is a version 4 one without day tables, and a shard that made one recorded 4).
 */
function schemaVersion(sql: SqlStorage): number {
  const tables = new Set(sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE name IN ('meta', 'state', 'events')`).toArray().map((r) => r.name));
  if (tables.has('state')) {
    const recorded = new StateTable(sql).get(VERSION_KEY)?.v;
    return recorded !== undefined ? Number(recorded) : tables.has('events') ? 2 : SCHEMA_VERSION;
  }
  if (!tables.has('meta')) return -1;
  const v = sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'schemaVersion'`).toArray()[0]?.value;
  return v === undefined ? 0 : Number(v);
}
