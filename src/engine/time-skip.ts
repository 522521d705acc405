/**
 * Automatic time skipping for `TestWorkflowEnvironment.createTimeSkipping()` (local test services
 * started with KEEL_TIME_SKIPPING=auto): as Temporal's time-skipping test server, while a client
 * waits for a run's result and nothing in the run is being worked on — no workflow task, no
 * activity, no child workflow or call to another workflow — its time jumps to the next moment it
 * waits for (a timer, a timeout, a start delay), so a test of a month-long workflow takes no time.
 */
import { nextWakeup } from './lifecycle.js';
import { isRunning, type RunState } from './run-state.js';
import type { Txn } from './transaction.js';

/** Whether a local service's KEEL_TIME_SKIPPING lets a test move time (`'1'`: explicitly; `'auto'`: also automatically). */
export const timeSkippingEnabled = (setting: string | undefined) => setting === '1' || setting === 'auto';

/** The moment the idle run waits for, when time may jump to it; undefined when someone works on the run or it waits for nothing. */
export function idleUntil(tx: Txn, run: RunState): number | undefined {
  if (!isRunning(run) || run.workflowTask || run.buffered.length > 0) return undefined;
  if (Object.keys(run.activities).length > 0 || Object.keys(run.children ?? {}).length > 0 || Object.keys(run.externalCalls ?? {}).length > 0) return undefined;
  const at = nextWakeup(tx, run);
  return at !== undefined && at > tx.now ? at : undefined;
}
