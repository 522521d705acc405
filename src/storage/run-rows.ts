/**
 * How a run is kept in the state table: one row for the run itself and one row for each
 * pending item (activity, timer, child, external call, accepted update), so that a change
 * to one item writes that item's row and the run's, whatever else is pending.
 */
import type { ExecutionUnits } from '../../protocol/prices.js';
import { utf8Length } from '../engine/history-limit.js';
import type { RunState } from '../engine/run-state.js';
import type { StateRow } from './state-table.js';

/** The maps of a run's pending items, each item a row of its own. */
const COLLECTIONS = ['activities', 'timers', 'children', 'externalCalls', 'updates'] as const;
type Collection = (typeof COLLECTIONS)[number];
/** Always present on a run (the others only while they hold something, as the engine leaves them). */
const ALWAYS: ReadonlySet<Collection> = new Set(['activities', 'timers']);

export const RUN_PREFIX = 'r/';
export const runKey = (runId: string) => `${RUN_PREFIX}${runId}`;
/** The prefix of every item row of a run. */
export const itemPrefix = (runId: string) => `i/${runId}/`;

/** A run as rows: the run without its items, and each item by key. */
export interface RunRows {
  core: string;
  items: Map<string, string>;
}

/** The run as rows, with the UTF-8 bytes they hold (the history limits check it against one row's limit). */
export function splitRun(run: RunState): RunRows & { bytes: number } {
  const core: Record<string, unknown> = { ...run };
  const items = new Map<string, string>();
  const prefix = itemPrefix(run.runId);
  let bytes = 0;
  for (const c of COLLECTIONS) {
    delete core[c];
    for (const [key, item] of Object.entries(run[c] ?? {})) {
      const json = JSON.stringify(item);
      items.set(`${prefix}${c}/${key}`, json);
      bytes += utf8Length(json);
    }
  }
  const coreJson = JSON.stringify(core);
  return { core: coreJson, items, bytes: bytes + utf8Length(coreJson) };
}

export function joinRun(core: string, items: Iterable<StateRow>): RunState {
  const run = JSON.parse(core) as RunState & Record<Collection, Record<string, unknown> | undefined>;
  for (const c of ALWAYS) run[c] = {};
  const skip = itemPrefix(run.runId).length;
  for (const { k, v } of items) {
    const slash = k.indexOf('/', skip);
    const c = k.slice(skip, slash) as Collection;
    (run[c] ??= {})[k.slice(slash + 1)] = JSON.parse(v);
  }
  return run;
}

/**
 * A run's billable units (src/cost) ride in its own row, as one more key of the run's JSON, so
 * that counting adds no row: they are written only when a change writes the run's row anyway.
 * The engine never sees them; the store compares and caches the run's text without them.
 */
const USAGE_KEY = '$usage';

/** The run's row text: its JSON with the units as its last key. */
export function withUsage(core: string, usage: ExecutionUnits | undefined): string {
  return usage ? `${core.slice(0, -1)},${JSON.stringify(USAGE_KEY)}:${JSON.stringify(usage)}}` : core;
}

/** The run's JSON and its units, from its row text. */
export function splitUsage(text: string): { core: string; usage?: ExecutionUnits } {
  if (!text.includes(`"${USAGE_KEY}"`)) return { core: text };
  const run = JSON.parse(text) as Record<string, unknown>;
  const usage = run[USAGE_KEY] as ExecutionUnits | undefined;
  delete run[USAGE_KEY];
  return { core: JSON.stringify(run), ...(usage ? { usage } : {}) };
}
