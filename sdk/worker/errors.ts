// Owns the errors of the worker's workflow side: bundling failures, history that a cached run
// cannot continue from, and replay failures. Determinism violations are the workflow package's
// class (shared with the sandbox), re-exported here for the worker's callers.
import type { Failure } from '../../protocol/index.js';
import { markErrorClass } from '../common/error-class.js';

// The workflow package's class: the worker throws it on a replay mismatch, and `instanceof`
// recognises it across the sandbox boundary too.
export { DeterminismViolationError } from '../workflow/index.js';

/**
 * Thrown by `bundleWorkflowCode` when the workflow code cannot become a sandbox bundle: it
 * imports a Node built-in or a worker-only Keel module, an import cannot be resolved, or the
 * code does not compile. `errors` holds one line per problem; `message` joins them.
 */
export class WorkflowBundleError extends Error {
  static {
    markErrorClass(this, 'WorkflowBundleError');
  }

  constructor(
    message: string,
    /** Every problem found, one human-readable line each (the first is also `message` when alone). */
    public readonly errors: readonly string[] = [message],
  ) {
    super(message);
  }
}

/**
 * Thrown by {@link WorkflowRunMachine.applyHistory} when the machine's state cannot continue
 * with the events given; the worker must drop the cached run and replay its full history in a
 * fresh machine. Subclasses say why.
 */
export class CachedRunInvalidError extends Error {
  static {
    markErrorClass(this, 'CachedRunInvalidError');
  }
}

/**
 * The events given do not follow on from the last event the machine applied (event ids are
 * dense from 1). A sticky task arrived for a run whose cached state is older or newer than the
 * service thinks: evict the run and replay from event 1.
 */
export class HistoryGapError extends CachedRunInvalidError {
  static {
    markErrorClass(this, 'HistoryGapError');
  }

  constructor(
    /** The event id the machine needed next (its last applied event id + 1). */
    public readonly expectedEventId: number,
    /** The event id it was given instead. */
    public readonly actualEventId: number,
  ) {
    super(`History gap: expected event ${expectedEventId} next but was given event ${actualEventId}; evict the run and replay its full history`);
  }
}

/**
 * Thrown by `runReplayHistory` when a replayed workflow task failed for a reason other than
 * nondeterminism (the workflow code, or the runtime, threw). Mirrors Temporal's `ReplayError`.
 */
export class ReplayError extends Error {
  static {
    markErrorClass(this, 'ReplayError');
  }

  constructor(
    message: string,
    /** The workflow task failure the runtime reported. */
    public readonly failure: Failure,
  ) {
    super(message);
  }
}
