/**
 * Version 1 → 2: the tables of version 1 (a table per kind of row) into `events` and `state`,
 * row by row in one transaction, then the old tables are dropped. A `keel dev` data directory
 * written before the storage diet opens with all its runs, history, pending tasks and calls.
 */
import type { HistoryEvent } from '../../protocol/index.js';
import type { RunState } from '../engine/run-state.js';
import { runKey, splitRun } from './run-rows.js';
import { STATE_TABLE, StateTable, pad } from './state-table.js';
import { fingerprintHash } from './fingerprint.js';
import { eventsTable, insertEvent } from './events-table.js';

export function migrateV1ToV2(sql: SqlStorage): void {
  sql.exec(STATE_TABLE);
  sql.exec(eventsTable('events_v2'));
  const state = new StateTable(sql);
  const seqOf = new Map<string, number>();
  for (const r of sql.exec<{ run_id: string; seq: number; state: string }>(`SELECT run_id, seq, state FROM runs`)) {
    const rows = splitRun(JSON.parse(r.state) as RunState);
    state.put(runKey(r.run_id), rows.core, r.seq);
    for (const [k, v] of rows.items) state.put(k, v);
    seqOf.set(r.run_id, r.seq);
  }
  for (const e of sql.exec<{ run_id: string; event: string }>(`SELECT run_id, event FROM events`)) {
    insertEvent(sql, seqOf.get(e.run_id) ?? 0, JSON.parse(e.event) as HistoryEvent, 'events_v2');
  }
  for (const m of sql.exec<{ key: string; value: string }>(`SELECT key, value FROM meta WHERE key != 'schemaVersion'`)) state.put(`m/${m.key}`, m.value);
  for (const o of sql.exec<{ id: number; task_queue: string; kind: string; ref: string; due_at: number; attempts: number }>(`SELECT * FROM outbox`)) {
    state.put(`o/${pad(o.id)}`, JSON.stringify({ q: o.task_queue, kind: o.kind, ref: JSON.parse(o.ref), attempts: o.attempts }), o.due_at);
  }
  for (const q of sql.exec<{ request_id: string; fingerprint: string; response: string; created_at: number }>(`SELECT * FROM requests`)) {
    state.put(`q/${q.request_id}`, JSON.stringify({ f: fingerprintHash(q.fingerprint), r: q.response }), q.created_at);
  }
  for (const v of sql.exec<{ run_id: string; version: number; summary: string; due_at: number; attempts: number }>(`SELECT * FROM visibility_outbox`)) {
    state.put(`v/${v.run_id}`, JSON.stringify({ version: v.version, attempts: v.attempts, summary: JSON.parse(v.summary) }), v.due_at);
  }
  for (const c of sql.exec<{ id: number; call: string; due_at: number; attempts: number }>(`SELECT * FROM calls`)) {
    state.put(`c/${pad(c.id)}`, JSON.stringify({ attempts: c.attempts, call: JSON.parse(c.call) }), c.due_at);
  }
  for (const t of ['events', 'runs', 'meta', 'outbox', 'requests', 'visibility_outbox', 'calls']) sql.exec(`DROP TABLE ${t}`);
  sql.exec(`ALTER TABLE events_v2 RENAME TO events`);
}
