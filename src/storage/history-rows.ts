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
 *
 * A run's newest events are not in a history row but in its run's row (`appendHistory`, the tail):
 * a change writes the run's row anyway, so a change that adds a few events writes one row, not two;
 * once the tail passes TAIL_CHARS the change writes it as a history row (same key, same text) and
 * empties it. So a W1 writes no history row, and a long run one per several changes.
 *
 * A history row is stored deflated (row-codec.ts): ~4 KB of events, an overflow page of their own as
 * text, are ~500 bytes in their leaf page. Rows written as text before read as they are.
 */
import type { HistoryEvent } from '../../protocol/index.js';
import { StateTable, pad, prefixEnd, storedLength } from './state-table.js';
import { decodeRow, encodeRow, type StoredValue } from './row-codec.js';
import { eventTimeIso, eventTimeMs } from '../engine/iso-time.js';

export const HISTORY_PREFIX = 'h/';
const prefixOf = (runSeq: number) => `${HISTORY_PREFIX}${pad(runSeq)}/`;
/** The largest event id a key can hold (twelve digits). */
const MAX_ID = 999_999_999_999;
/** The key of the history row of run `runSeq` whose last event is `eventId`. */
export const historyKey = (runSeq: number, eventId: number) => prefixOf(runSeq) + pad(Math.min(Math.max(eventId, 0), MAX_ID));

/** A row holds events up to about this many characters (one event bigger than that has a row of its own). */
export const BATCH_CHARS = 64 * 1024;

/**
 * The most characters of events a run's row keeps (its tail) before they go to a history row. It is
 * rewritten with the run's row at every change, and what is past ~1 KB of a row spills to overflow
 * pages (state-table.ts): docs/scale.md says how it was measured.
 */
export const TAIL_CHARS = 4 * 1024;

/** An upper bound on the bytes an event's JSON adds around its attributes (`{"eventId":…,"eventTime":"…","eventType":"…","attributes":}`). */
const EVENT_FRAME_BYTES = 128;

export type StoredEvent = [id: number, time: number, type: string, attributes: unknown];

/** A history row as written: its first and last event ids and its text. */
export interface HistoryRow {
  first: number;
  last: number;
  v: string;
  /** What SQLite's `length` counts of its value as stored (deflated: row-codec.ts), once written; a tail has none. */
  storedLength?: number | undefined;
  /** Its events as the change that wrote them made them, for reads that never change them (`selectHistory`'s `view`); dropped to save memory. */
  events?: readonly HistoryEvent[] | undefined;
}

/** One event as a history row holds it; `attributes` is its attributes' JSON when the caller has it already. */
export interface HistoryEntry {
  event: HistoryEvent;
  attributes?: string | undefined;
}

/** Events as they go into a row: a text of one or more stored events (no brackets), its ids, and its events when kept. */
interface Piece {
  text: string;
  first: number;
  last: number;
  events: readonly HistoryEvent[] | undefined;
}

const pieceOf = ({ event, attributes = JSON.stringify(event.attributes) }: HistoryEntry): Piece => ({
  text: `[${event.eventId},${eventTimeMs(event.eventTime)},${JSON.stringify(event.eventType)},${attributes}]`,
  first: event.eventId,
  last: event.eventId,
  events: [event],
});

/** Writes pieces (ascending ids) as rows of up to BATCH_CHARS each; returns the rows written. */
function writeRows(state: StateTable, runSeq: number, pieces: Iterable<Piece>): HistoryRow[] {
  const rows: HistoryRow[] = [];
  let batch: Piece[] = [];
  let chars = 0;
  const flush = () => {
    if (batch.length === 0) return;
    const row = joinPieces(batch);
    // Written once and never changed: deflated (row-codec.ts), a few KB of events fit in their leaf page.
    const stored = encodeRow(row.v);
    state.put(historyKey(runSeq, row.last), stored, row.first);
    rows.push({ ...row, storedLength: storedLength(stored) });
    batch = [];
    chars = 0;
  };
  for (const piece of pieces) {
    if (batch.length > 0 && chars + piece.text.length > BATCH_CHARS) flush();
    batch.push(piece);
    chars += piece.text.length;
  }
  flush();
  return rows;
}

/** Pieces (at least one) as one row: its events kept only when every piece kept its own. */
function joinPieces(pieces: readonly Piece[]): HistoryRow {
  const kept = pieces.every((p) => p.events !== undefined);
  return {
    first: pieces[0]!.first,
    last: pieces.at(-1)!.last,
    v: `[${pieces.map((p) => p.text).join(',')}]`,
    events: kept ? pieces.flatMap((p) => p.events!) : undefined,
  };
}

/** Writes a transaction's events of one run (ascending ids) as history rows. Returns the rows written. */
export function insertHistory(state: StateTable, runSeq: number, events: readonly HistoryEntry[]): HistoryRow[] {
  return writeRows(state, runSeq, events.map(pieceOf));
}

/**
 * A run's newest events not yet in a history row: what its run's row keeps (run-rows.ts, `$h`), so
 * that a change that adds a few events writes the run's row alone, as it does anyway. Its `v` is a
 * history row's text, so it reads as one, after every history row of the run.
 */
export type HistoryTail = HistoryRow;

/**
 * Adds a change's events of one run (ascending ids, after the tail's) to the run's tail while the
 * tail stays within `tailChars`; past it, the tail and them go to history rows (as one row, unless
 * over BATCH_CHARS) and the tail is emptied. Returns the rows written and the tail now.
 */
export function appendHistory(state: StateTable, runSeq: number, tail: HistoryTail | undefined, events: readonly HistoryEntry[], tailChars: number): { rows: HistoryRow[]; tail: HistoryTail | undefined } {
  if (events.length === 0) return { rows: [], tail };
  const pieces = events.map(pieceOf);
  if (tail) pieces.unshift({ text: tail.v.slice(1, -1), first: tail.first, last: tail.last, events: tail.events });
  let chars = 2 + pieces.length - 1;
  for (const p of pieces) chars += p.text.length;
  if (chars <= tailChars) return { rows: [], tail: joinPieces(pieces) };
  return { rows: writeRows(state, runSeq, pieces), tail: undefined };
}

/** A tail as its run's row holds it (`v`, a history row's text) read back: its events' ids. */
export function tailOf(v: string, stored: readonly StoredEvent[]): HistoryTail | undefined {
  return stored.length === 0 ? undefined : { first: stored[0]![0], last: stored.at(-1)![0], v };
}

/**
 * Events of a run with ids in [from, to], at most `limit` (-1: all); with `maxBytes`, only as many
 * as fit in it by a running total of their sizes (always at least the first), so a page stays
 * within what one answer, and one RPC, may carry. `recent`: the run's newest rows, as written
 * (`insertHistory`, `appendHistory`), oldest first and with no row missing after them; a range that
 * starts within them (or the tail) is read from them, with no statement. `view`: the caller never
 * changes what it gets, so a recent row that still has its events gives them as they are, with no
 * text parsed. `tail`: the run's events after its history rows (`appendHistory`), read as its last row.
 */
export function selectHistory(state: StateTable, runSeq: number, from: number, to: number, limit: number, maxBytes?: number, recent?: readonly HistoryRow[], view = false, tail?: HistoryTail): HistoryEvent[] {
  const inMemory = tail ? [...(recent ?? []), tail] : recent;
  // The tail follows every history row: a range that reaches it reads the rows to their end, then it.
  const rows =
    inMemory?.length && from >= inMemory[0]!.first
      ? rowsInMemory(inMemory, from, to, limit)
      : tail && to >= tail.first
        ? [...rowsOnDisk(state, runSeq, from, MAX_ID, limit), tail]
        : rowsOnDisk(state, runSeq, from, to, limit);
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
  const { sql, table } = state;
  const key = (id: number) => state.key(historyKey(runSeq, id));
  const end = prefixEnd(state.key(prefixOf(runSeq)));
  // From the row holding `from` (the first whose last id is ≥ it) to the row holding `to` (found
  // first, by one seek: SQLite bounds a range scan by one upper bound only, so a subquery bound
  // beside `k < end` would scan to the history's end); each row has at least one event in the
  // range, so `limit` rows are enough for `limit` events.
  const last = to >= MAX_ID ? null : sql.exec<{ k: string | null }>(`SELECT MIN(k) AS k FROM ${table} WHERE k >= ? AND k < ?`, key(to), end).one().k;
  return (
    last === null
      ? sql.exec<{ v: StoredValue }>(`SELECT v FROM ${table} WHERE k >= ? AND k < ? ORDER BY k LIMIT ?`, key(from), end, limit)
      : sql.exec<{ v: StoredValue }>(`SELECT v FROM ${table} WHERE k >= ? AND k <= ? ORDER BY k LIMIT ?`, key(from), last, limit)
  )
    .toArray()
    .map((r) => ({ v: decodeRow(r.v) }));
}

/** Deletes a run's history (inside the transaction that deletes the run). */
export function deleteHistory(state: StateTable, runSeq: number): void {
  const prefix = state.key(prefixOf(runSeq));
  state.sql.exec(`DELETE FROM ${state.table} WHERE k >= ? AND k < ?`, prefix, prefixEnd(prefix));
}
