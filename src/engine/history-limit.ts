/**
 * A run's history has limits, as in Temporal: on events (`Limits.maxHistoryEvents`) and on bytes
 * (`Limits.historySizeLimitBytes`, warning at `Limits.historySizeWarnBytes`). A run that outgrows
 * either is terminated, because every workflow task replays the history and a history without
 * bound would end up too slow, and too large, to replay or even to hand to a worker. Workflows
 * meant to run indefinitely continue as new before it (`workflowInfo().continueAsNewSuggested`
 * turns true at the warning). One event, and one run's state, must also fit in one row of the
 * object's SQLite (`Limits.maxEventBytes`): a change that would write a bigger one is refused
 * with PAYLOAD_TOO_LARGE, and nothing of it is written.
 *
 * Sizes are of the JSON each row is stored as; the encoding is kept on the transaction
 * (`Txn.events[].attributes`, `Txn.encodedRuns`), so the storage writes what was measured
 * without encoding it twice.
 */
import { Limits, type HistoryEvent } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';
import { terminateRun } from './run-control.js';
import { isRunning } from './run-state.js';
import type { Txn } from './transaction.js';

export const HISTORY_LIMIT_IDENTITY = 'keel (history limit)';

export interface HistoryLimits {
  events: number;
  bytes: number;
  rowBytes: number;
}
const DEFAULTS: HistoryLimits = { events: Limits.maxHistoryEvents, bytes: Limits.historySizeLimitBytes, rowBytes: Limits.maxEventBytes };

/** UTF-8 length of a string: its length when it is ASCII, as encoded JSON of base64 payloads nearly always is. */
export function utf8Length(s: string): number {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s.length : new TextEncoder().encode(s).length;
}

/**
 * Counts this change's events into their runs' history sizes, refuses rows too big to store, and
 * terminates each running run this change took over a limit; called once per transaction.
 */
export function enforceHistoryLimit(tx: Txn, limits: HistoryLimits = DEFAULTS): void {
  measure(tx, limits.rowBytes);
  for (const run of [...tx.runs.values()]) {
    if (!isRunning(run)) continue;
    const events = run.nextEventId - 1;
    const bytes = run.historySizeBytes ?? 0;
    const over =
      events > limits.events
        ? `Workflow history has ${events} events, over the limit of ${limits.events}`
        : bytes > limits.bytes
          ? `Workflow history has ${bytes} bytes, over the limit of ${limits.bytes}`
          : undefined;
    if (!over) continue;
    terminateRun(tx, run, `${over}: continue as new before it grows this large (workflowInfo().continueAsNewSuggested says when).`, undefined, HISTORY_LIMIT_IDENTITY);
    // The termination's own events are counted too.
    measure(tx, limits.rowBytes);
  }
}

/** The bytes of an event's JSON around its attributes: `{"eventId":…,"eventTime":"…","eventType":"…","attributes":…}`. */
const EVENT_FRAME_BYTES = '{"eventId":,"eventTime":"","eventType":"","attributes":}'.length;

/**
 * The size of the event's JSON, from its attributes' JSON: the other fields are a number and two
 * ASCII strings with nothing to escape (an ISO time, an event type name), so nothing is encoded twice.
 */
export function eventBytes(event: HistoryEvent, attributesJson: string): number {
  return EVENT_FRAME_BYTES + String(event.eventId).length + event.eventTime.length + event.eventType.length + utf8Length(attributesJson);
}

/** Encodes the events not yet encoded, adds their sizes to their runs, and checks each row's size. */
function measure(tx: Txn, rowBytes: number): void {
  measureEvents(tx, rowBytes);
  for (const run of tx.runs.values()) {
    const encoded = tx.store.encodeRun(run);
    tx.encodedRuns.set(run.runId, encoded);
    const size = encoded.bytes;
    // A run's state holds its signals buffered behind a running workflow task, its memo and
    // search attributes, and what is pending: it has the same row limit as an event. Its row also
    // carries its history tail (at most TAIL_CHARS, src/storage/history-rows.ts) and request
    // records, within the ~100 KB between this limit and the 2 MB a row may hold.
    if (size > rowBytes) throw tooLarge(`the run's state (its memo, search attributes, pending work and signals waiting for the running workflow task) would be ${size} bytes`, rowBytes);
  }
}

/**
 * Encodes this change's events not yet encoded and adds their sizes to their runs' `historySizeBytes`
 * (each event once: the encoding is kept on the transaction). Called early by a change that must
 * answer with the history's size after it (`historyEnd`, src/engine/speculative-task.ts).
 */
export function measureEvents(tx: Txn, rowBytes: number = DEFAULTS.rowBytes): void {
  for (const entry of tx.events) {
    if (entry.attributes !== undefined) continue;
    entry.attributes = JSON.stringify(entry.event.attributes);
    const size = eventBytes(entry.event, entry.attributes);
    if (size > rowBytes) throw tooLarge(`a ${entry.event.eventType} event of ${size} bytes`, rowBytes);
    const run = tx.loadRun(entry.runId);
    if (run) run.historySizeBytes = (run.historySizeBytes ?? 0) + size;
  }
}

const tooLarge = (what: string, limit: number) =>
  new ServiceError('PAYLOAD_TOO_LARGE', `This change would store ${what}; one stored row is at most ${limit} bytes. Send large data by reference (e.g. an object-store key) instead of in the payload.`, { limit });
