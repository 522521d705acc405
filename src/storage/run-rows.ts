/**
 * How a run is kept in the state table: one row for the run itself and one row for each
 * pending item (activity, timer, child, external call, accepted update), so that a change
 * to one item writes that item's row and the run's, whatever else is pending.
 *
 * But a run's only pending item, while it is small, stays in the run's row: a change to it
 * writes the run's row anyway, so a row of its own would cost two more rows written (its insert
 * and its delete) and nothing saved — the common case of a workflow that runs one activity or
 * timer at a time (a W1's activity, every step of a sequential workflow). A run row still holds at
 * most one item of at most `INLINE_ITEM_MAX_BYTES`, so a change stays O(1) in pending items.
 */
import type { ExecutionUnits } from '../../protocol/prices.js';
import { utf8Length } from '../engine/history-limit.js';
import type { RunState } from '../engine/run-state.js';
import type { StateRow } from './state-table.js';
import { decodeRequests, encodeRequests, type RunRequest } from './run-requests.js';
import { tailOf, type HistoryTail, type StoredEvent } from './history-rows.js';

/** The maps of a run's pending items, each item a row of its own. */
const COLLECTIONS = ['activities', 'timers', 'children', 'externalCalls', 'updates'] as const;
type Collection = (typeof COLLECTIONS)[number];
/** Always present on a run (the others only while they hold something, as the engine leaves them). */
const ALWAYS: ReadonlySet<Collection> = new Set(['activities', 'timers']);
/** The item maps' keys, for splitRun's lookups. */
const ITEM_KEYS: ReadonlySet<string> = new Set(COLLECTIONS);

export const RUN_PREFIX = 'r/';
export const runKey = (runId: string) => `${RUN_PREFIX}${runId}`;
/** The prefix of every item row of a run. */
export const itemPrefix = (runId: string) => `i/${runId}/`;

/** A run as rows: the run without its items, and each item by key. */
export interface RunRows {
  core: string;
  items: Map<string, string>;
}

/** The largest pending item kept in its run's row (its JSON's UTF-8 bytes); a W1's activity is about 430. */
export const INLINE_ITEM_MAX_BYTES = 1024;

/** The run as rows, with the UTF-8 bytes they hold (the history limits check it against one row's limit). */
export function splitRun(run: RunState): RunRows & { bytes: number } {
  const pending: Array<{ c: Collection; key: string; json: string; bytes: number }> = [];
  for (const c of COLLECTIONS) {
    const items = run[c];
    if (items === undefined) continue;
    for (const key in items) {
      const json = JSON.stringify(items[key as keyof typeof items]);
      pending.push({ c, key, json, bytes: utf8Length(json) });
    }
  }
  const inline = pending.length === 1 && pending[0]!.bytes <= INLINE_ITEM_MAX_BYTES ? pending[0]! : undefined;
  // The run without its item maps, built key by key rather than copied with those keys deleted:
  // deleting keys turns an object into a slow dictionary, which JSON.stringify walks off its fast
  // path (this runs on every change: bench/RESULTS.md, "CPU per W1").
  const core: Record<string, unknown> = {};
  for (const key in run) if (!ITEM_KEYS.has(key)) core[key] = run[key as keyof RunState];
  let coreJson = JSON.stringify(core);
  // The inline item's map goes last, its item's JSON as measured above: encoded once, not twice.
  // (A row written before has it where the run's keys put it; JSON reads either alike.)
  if (inline) coreJson = `${coreJson.slice(0, -1)}${coreJson.length > 2 ? ',' : ''}${JSON.stringify(inline.c)}:{${JSON.stringify(inline.key)}:${inline.json}}}`;
  const items = new Map<string, string>();
  const prefix = itemPrefix(run.runId);
  let bytes = 0;
  if (!inline) {
    for (const p of pending) {
      items.set(`${prefix}${p.c}/${p.key}`, p.json);
      bytes += p.bytes;
    }
  }
  return { core: coreJson, items, bytes: bytes + utf8Length(coreJson) };
}

export function joinRun(core: string, items: Iterable<StateRow>): RunState {
  const run = JSON.parse(core) as RunState & Record<Collection, Record<string, unknown> | undefined>;
  // The run's only item may be in its row (splitRun); the rest are rows of their own.
  for (const c of ALWAYS) run[c] ??= {};
  const skip = itemPrefix(run.runId).length;
  for (const { k, v } of items) {
    const slash = k.indexOf('/', skip);
    const c = k.slice(skip, slash) as Collection;
    (run[c] ??= {})[k.slice(slash + 1)] = JSON.parse(v);
  }
  return run;
}

/**
 * What the store keeps in a run's own row besides the run, as more keys of its JSON, so that they
 * add no row: they are written only when a change writes the run's row anyway. The engine never
 * sees them; the store compares and caches the run's text without them.
 * - `$usage`: the run's billable units (src/cost), as an array in `USAGE_FIELDS` order (an older
 *   row has them as an object).
 * - `$q`: the records of the requests made on the run with a request id (run-requests.ts).
 * - `$h`: the run's newest events, not yet in a history row (history-rows.ts `appendHistory`), as a
 *   history row's JSON array; last, so the run's own keys come first whatever its length.
 *
 * Both kept short on purpose: a row of the state table (a WITHOUT ROWID B-tree) longer than about
 * 1 KB with its key spills to an overflow page of its own, so a W1's run row just over it cost
 * its database a fourth 4 KB page — until a closed run's row was stored deflated (row-codec.ts).
 */
const USAGE_KEY = '$usage';
export const REQUESTS_KEY = '$q';
const HISTORY_KEY = '$h';
// Appended to, never reordered: a row written before a field was added reads it as 0.
const USAGE_FIELDS = ['workerRequests', 'durableObjectRequests', 'alarms', 'sqliteRowsRead', 'sqliteRowsWritten', 'd1RowsRead', 'd1RowsWritten', 'storedBytes', 'channelMessages'] as const satisfies ReadonlyArray<keyof ExecutionUnits>;

export interface RunExtras {
  usage?: ExecutionUnits;
  requests?: RunRequest[];
  /** The run's history tail. */
  tail?: HistoryTail;
}

/**
 * The run's row text: its JSON with the extras as its last keys. `requestsText`: `encodeRequests` of
 * `extras.requests`, when the caller made it already (workflow-store.ts keeps it between writes).
 */
export function withExtras(core: string, extras: RunExtras, requestsText?: string): string {
  let tail = '';
  const { usage } = extras;
  if (usage) tail += `,"${USAGE_KEY}":[${USAGE_FIELDS.map((f) => usage[f]).join(',')}]`;
  if (extras.requests?.length) tail += `,"${REQUESTS_KEY}":${requestsText ?? encodeRequests(extras.requests)}`;
  if (extras.tail) tail += `,"${HISTORY_KEY}":${extras.tail.v}`;
  return tail ? `${core.slice(0, -1)}${tail}}` : core;
}

/** The run's JSON and its extras, from its row text. */
export function splitExtras(text: string): { core: string } & RunExtras {
  if (!text.includes(`"${USAGE_KEY}"`) && !text.includes(`"${REQUESTS_KEY}"`) && !text.includes(`"${HISTORY_KEY}"`)) return { core: text };
  const run = JSON.parse(text) as Record<string, unknown>;
  const usage = decodeUsage(run[USAGE_KEY]);
  const requests = decodeRequests(run[REQUESTS_KEY]);
  const stored = run[HISTORY_KEY] as StoredEvent[] | undefined;
  // The tail's text as written: JSON.stringify of what JSON.parse made of JSON.stringify's output.
  const tail = stored && tailOf(JSON.stringify(stored), stored);
  delete run[USAGE_KEY];
  delete run[REQUESTS_KEY];
  delete run[HISTORY_KEY];
  return { core: JSON.stringify(run), ...(usage ? { usage } : {}), ...(requests.length ? { requests } : {}), ...(tail ? { tail } : {}) };
}

function decodeUsage(value: unknown): ExecutionUnits | undefined {
  if (!Array.isArray(value)) return value as ExecutionUnits | undefined;
  return Object.fromEntries(USAGE_FIELDS.map((f, i) => [f, (value[i] as number | undefined) ?? 0])) as unknown as ExecutionUnits;
}
