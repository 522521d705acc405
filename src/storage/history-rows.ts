/**
 * A run's history as rows of the state table (schema version 3): one row per transaction's
 * events (Temporal persists history in batches too), not one per event. Rows written are billed
 * one by one, and a W1's eleven events come in four transactions.
 *
 * Key `h/<run seq>/<last event id>` (fixed-width, so keys sort by event id), `n` the first event
 * id, `v` the events as a JSON array of `[id, time ms, type, attributes]`. A range of event ids
 * is read from the row that holds its first id (the first key ≥ it) to the row that holds its
 * last: a page reads its own rows and at most one row before, however long the history is. A
 * transaction whose events are bigger than BATCH_CHARS goes in several rows, so one row adds at
 * most that much to what a page reads.
 */
import type { HistoryEvent } from '../../protocol/index.js';
import { StateTable, pad, prefixEnd } from './state-table.js';
import { eventTimeIso, eventTimeMs } from '../engine/iso-time.js';

export const HISTORY_PREFIX = 'h/';
const prefixOf = (runSeq: number) => `${HISTORY_PREFIX}${pad(runSeq)}/`;
/** The largest event id a key can hold (twelve digits). */
const MAX_ID = 999_999_999_999;
/** The key of the history row of run `runSeq` whose last event is `eventId`. */
export const historyKey = (runSeq: number, eventId: number) => prefixOf(runSeq) + pad(Math.min(Math.max(eventId, 0), MAX_ID));

/** A row holds events up to about this many characters (one event bigger than that has a row of its own). */
export const BATCH_CHARS = 64 * 1024;

/** An upper bound on the bytes an event's JSON adds around its attributes (`{"eventId":…,"eventTime":"…","eventType":"…","attributes":}`). */
const EVENT_FRAME_BYTES = 128;

type StoredEvent = [id: number, time: number, type: string, attributes: unknown];

/** A history row as written: its first and last event ids and its text. */
export interface HistoryRow {
  first: number;
  last: number;
  v: string;
  /** Its events as the change that wrote them made them, for reads that never change them (`selectHistory`'s `view`); dropped to save memory. */
  events?: readonly HistoryEvent[] | undefined;
}

/**
 * Writes a transaction's events of one run (ascending ids); `attributes` is an event's attributes'
 * JSON when the caller has it already. Returns the rows written.
 */
export function insertHistory(state: StateTable, runSeq: number, events: Array<{ event: HistoryEvent; attributes?: string | undefined }>): HistoryRow[] {
  const rows: HistoryRow[] = [];
  let batch: string[] = [];
  let batchEvents: HistoryEvent[] = [];
  let chars = 0;
  let first = 0;
  let last = 0;
  const flush = () => {
    if (batch.length > 0) {
      const v = `[${batch.join(',')}]`;
      state.put(historyKey(runSeq, last), v, first);
      rows.push({ first, last, v, events: batchEvents });
    }
    batch = [];
    batchEvents = [];
    chars = 0;
  };
  for (const { event, attributes = JSON.stringify(event.attributes) } of events) {
    const text = `[${event.eventId},${eventTimeMs(event.eventTime)},${JSON.stringify(event.eventType)},${attributes}]`;
    if (batch.length > 0 && chars + text.length > BATCH_CHARS) flush();
    if (batch.length === 0) first = event.eventId;
    batch.push(text);
    batchEvents.push(event);
    chars += text.length;
    last = event.eventId;
  }
  flush();
  return rows;
}

/**
 * Events of a run with ids in [from, to], at most `limit` (-1: all); with `maxBytes`, only as many
 * as fit in it by a running total of their sizes (always at least the first), so a page stays
 * within what one answer, and one RPC, may carry. `recent`: the run's newest rows, as written
 * (`insertHistory`), oldest first and with no row missing after them; a range that starts within
 * them is read from them, with no statement. `view`: the caller never changes what it gets, so a
 * recent row that still has its events gives them as they are, with no text parsed.
 */
export function selectHistory(state: StateTable, runSeq: number, from: number, to: number, limit: number, maxBytes?: number, recent?: readonly HistoryRow[], view = false): HistoryEvent[] {
  const rows = recent?.length && from >= recent[0]!.first ? rowsInMemory(recent, from, to, limit) : rowsOnDisk(state, runSeq, from, to, limit);
  const out: HistoryEvent[] = [];
  let bytes = 0;
  for (const { v, events } of rows) {
    const kept = view ? events : undefined;
    const batch = kept ?? (JSON.parse(v) as StoredEvent[]);
    // A whole row within the budget needs no event measured on its own (its text, plus each event's frame, bounds them).
    const wholeRow = maxBytes === undefined || bytes + v.length + EVENT_FRAME_BYTES * batch.length <= maxBytes;
    if (wholeRow && maxBytes !== undefined) bytes += v.length + EVENT_FRAME_BYTES * batch.length;
    for (let i = 0; i < batch.length; i++) {
      const event = kept?.[i];
      const stored = kept ? undefined : (batch[i] as StoredEvent);
      const id = event ? event.eventId : stored![0];
      if (id < from || id > to) continue;
      if (!wholeRow) {
        bytes += JSON.stringify(event ? event.attributes : stored![3]).length + EVENT_FRAME_BYTES;
        if (bytes > maxBytes! && out.length > 0) return out;
      }
      out.push(event ?? ({ eventId: id, eventTime: eventTimeIso(stored![1]), eventType: stored![2], attributes: stored![3] } as HistoryEvent));
      if (out.length === limit) return out;
    }
  }
  return out;
}

/** The rows holding [from, to], at most `limit`, from those in memory (as on disk: keyed by last id). */
function rowsInMemory(recent: readonly HistoryRow[], from: number, to: number, limit: number): HistoryRow[] {
  const out: HistoryRow[] = [];
  for (const row of recent) {
    if (row.last < from) continue;
    out.push(row);
    if (row.last >= to || out.length === limit) break;
  }
  return out;
}

/** The rows holding [from, to], at most `limit`, read from the state table (their text alone). */
function rowsOnDisk(state: StateTable, runSeq: number, from: number, to: number, limit: number): Array<{ v: string; events?: undefined }> {
  const { sql } = state;
  const key = (id: number) => state.key(historyKey(runSeq, id));
  const end = prefixEnd(state.key(prefixOf(runSeq)));
  // From the row holding `from` (the first whose last id is ≥ it) to the row holding `to` (found
  // first, by one seek: SQLite bounds a range scan by one upper bound only, so a subquery bound
  // beside `k < end` would scan to the history's end); each row has at least one event in the
  // range, so `limit` rows are enough for `limit` events.
  const last = to >= MAX_ID ? null : sql.exec<{ k: string | null }>(`SELECT MIN(k) AS k FROM state WHERE k >= ? AND k < ?`, key(to), end).one().k;
  return (
    last === null
      ? sql.exec<{ v: string }>(`SELECT v FROM state WHERE k >= ? AND k < ? ORDER BY k LIMIT ?`, key(from), end, limit)
      : sql.exec<{ v: string }>(`SELECT v FROM state WHERE k >= ? AND k <= ? ORDER BY k LIMIT ?`, key(from), last, limit)
  )
    .toArray();
}

/** Deletes a run's history (inside the transaction that deletes the run). */
export function deleteHistory(state: StateTable, runSeq: number): void {
  const prefix = state.key(prefixOf(runSeq));
  state.sql.exec(`DELETE FROM state WHERE k >= ? AND k < ?`, prefix, prefixEnd(prefix));
}
