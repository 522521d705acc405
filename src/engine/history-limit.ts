/**
 * A run's history has a limit (`Limits.maxHistoryEvents`), as in Temporal: a run that outgrows
 * it is terminated, because every workflow task replays the history and a history without bound
 * would end up too slow, and too large, to replay. Workflows meant to run indefinitely continue
 * as new before it (`workflowInfo().continueAsNewSuggested` turns true at 80% of the limit).
 */
import { Limits } from '../../protocol/index.js';
import { terminateRun } from './run-control.js';
import { isRunning } from './run-state.js';
import type { Txn } from './transaction.js';

export const HISTORY_LIMIT_IDENTITY = 'keel (history limit)';

/** Terminates each running run this change took over the limit; called once per transaction. */
export function enforceHistoryLimit(tx: Txn, limit: number = Limits.maxHistoryEvents): void {
  for (const run of [...tx.runs.values()]) {
    const events = run.nextEventId - 1;
    if (!isRunning(run) || events <= limit) continue;
    terminateRun(
      tx,
      run,
      `Workflow history has ${events} events, over the limit of ${limit}: continue as new before it grows this long (workflowInfo().continueAsNewSuggested says when).`,
      undefined,
      HISTORY_LIMIT_IDENTITY,
    );
  }
}
