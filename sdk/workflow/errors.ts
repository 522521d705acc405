// Owns the errors that belong to the workflow sandbox itself: `WorkflowError` and
// `DeterminismViolationError`, which the worker throws when replayed code no longer matches history.
import { markErrorClass } from '../common/error-class.js';

/**
 * Base class of errors raised by the workflow runtime (not by workflow code).
 *
 * `instanceof` works across realms: the worker and the sandbox each hold their own copy of this
 * class, and a marker shared by both decides (see `markErrorClass`).
 */
export class WorkflowError extends Error {
  static {
    markErrorClass(this, 'WorkflowError');
  }
}

/**
 * Thrown when workflow code behaves non-deterministically: on replay it produced commands that do
 * not match the events its earlier run recorded, or it used something replay cannot reproduce
 * (a `WeakRef`, a query handler that returns a promise).
 *
 * @example
 * throw new DeterminismViolationError('Event 5 (TimerStarted) does not match command ScheduleActivityTask');
 */
export class DeterminismViolationError extends WorkflowError {
  static {
    markErrorClass(this, 'DeterminismViolationError');
  }
}
