/**
 * Version 2's `events` table (a row per event, keyed by the run's sequence number and the event
 * id), kept for the migrations: version 1 → 2 writes it, version 2 → 3 (migrate-v3.ts) reads it
 * into history rows of the state table and drops it.
 */
import type { HistoryEvent } from '../../protocol/index.js';

export const eventsTable = (name = 'events') =>
  `CREATE TABLE IF NOT EXISTS ${name} (run INTEGER NOT NULL, id INTEGER NOT NULL, time INTEGER NOT NULL, type TEXT NOT NULL, attrs TEXT NOT NULL, PRIMARY KEY (run, id)) WITHOUT ROWID`;

/** Inserts an event; `attributes` is its attributes' JSON when the caller has it already. */
export function insertEvent(sql: SqlStorage, runSeq: number, event: HistoryEvent, table = 'events', attributes = JSON.stringify(event.attributes)): void {
  sql.exec(`INSERT INTO ${table} (run, id, time, type, attrs) VALUES (?, ?, ?, ?, ?)`, runSeq, event.eventId, Date.parse(event.eventTime), event.eventType, attributes);
}
