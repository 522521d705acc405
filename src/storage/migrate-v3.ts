/**
 * Version 2 → 3: history from the `events` table (a row per event) into history rows of the
 * state table (history-rows.ts, a row per batch of events), and the current run's id and the
 * object's name into one row; then `events` is dropped. In one transaction, run by run, so a
 * `keel dev` data directory or a deployed object written by version 2 opens with every run's
 * history as it was.
 */
import type { HistoryEvent } from '../../protocol/index.js';
import { insertHistory } from './history-rows.js';
import { CURRENT, StateTable } from './state-table.js';

export function migrateV2ToV3(sql: SqlStorage): void {
  const state = new StateTable(sql);
  const runs = sql.exec<{ run: number }>(`SELECT DISTINCT run FROM events ORDER BY run`).toArray();
  for (const { run } of runs) {
    const events = sql
      .exec<{ id: number; time: number; type: string; attrs: string }>(`SELECT id, time, type, attrs FROM events WHERE run = ? ORDER BY id`, run)
      .toArray()
      .map((r) => ({ event: { eventId: r.id, eventTime: new Date(r.time).toISOString(), eventType: r.type } as HistoryEvent, attributes: r.attrs }));
    // Version 2 kept no transaction boundaries: the events go in rows of up to BATCH_CHARS each.
    insertHistory(state, run, events);
  }
  sql.exec(`DROP TABLE events`);
  const runId = state.get('m/currentRunId')?.v;
  const name = state.get('m/name')?.v;
  if (runId !== undefined || name !== undefined) state.put(CURRENT, JSON.stringify({ runId, name }));
  state.delete('m/currentRunId');
  state.delete('m/name');
}
