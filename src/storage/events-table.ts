/**
 * The `events` table: a run's history, keyed by the run's sequence number (a few bytes, where its
 * id is 36) and the event id, with the event's time as a number and its type and attributes apart,
 * so that a row carries no key names and no ISO time text.
 */
import type { HistoryEvent } from '../../protocol/index.js';

export const eventsTable = (name = 'events') =>
  `CREATE TABLE IF NOT EXISTS ${name} (run INTEGER NOT NULL, id INTEGER NOT NULL, time INTEGER NOT NULL, type TEXT NOT NULL, attrs TEXT NOT NULL, PRIMARY KEY (run, id)) WITHOUT ROWID`;

/** Inserts an event; `attributes` is its attributes' JSON when the caller has it already. */
export function insertEvent(sql: SqlStorage, runSeq: number, event: HistoryEvent, table = 'events', attributes = JSON.stringify(event.attributes)): void {
  sql.exec(`INSERT INTO ${table} (run, id, time, type, attrs) VALUES (?, ?, ?, ?, ?)`, runSeq, event.eventId, Date.parse(event.eventTime), event.eventType, attributes);
}

/**
 * Events of a run with ids in [from, to], at most `limit` (-1: all); with `maxBytes`, only as many
 * as fit in it by a running total of their sizes (always at least the first), so a page stays
 * within what one answer, and one RPC, may carry.
 */
export function selectEvents(sql: SqlStorage, runSeq: number, from: number, to: number, limit: number, maxBytes?: number): HistoryEvent[] {
  const rows =
    maxBytes === undefined
      ? sql.exec<{ id: number; time: number; type: string; attrs: string }>(`SELECT id, time, type, attrs FROM events WHERE run = ? AND id BETWEEN ? AND ? ORDER BY id LIMIT ?`, runSeq, from, to, limit)
      : sql.exec<{ id: number; time: number; type: string; attrs: string }>(
          // EVENT_FRAME_BYTES: the id, time and type around the attributes in the event's JSON.
          `SELECT id, time, type, attrs FROM (SELECT id, time, type, attrs, SUM(length(attrs) + ${EVENT_FRAME_BYTES}) OVER (ORDER BY id) AS total FROM events WHERE run = ? AND id BETWEEN ? AND ? ORDER BY id LIMIT ?) WHERE total <= ? OR id = ? ORDER BY id`,
          runSeq,
          from,
          to,
          limit,
          maxBytes,
          from,
        );
  return rows.toArray().map((r) => ({ eventId: r.id, eventTime: new Date(r.time).toISOString(), eventType: r.type, attributes: JSON.parse(r.attrs) }) as HistoryEvent);
}

/** An upper bound on the bytes an event's JSON adds around its attributes (`{"eventId":…,"eventTime":"…","eventType":"…","attributes":}`). */
const EVENT_FRAME_BYTES = 128;
