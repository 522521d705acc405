/**
 * How a run is kept in the state table: one row for the run itself and one row for each
 * pending item (activity, timer, child, external call, accepted update), so that a change
 * to one item writes that item's row and the run's, whatever else is pending.
 */
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
