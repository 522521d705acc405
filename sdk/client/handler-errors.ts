// Owns the errors of queries and updates that Temporal's client tells apart: a query with no
// handler, a query its reject condition refused, an update that failed (rejected by its validator
// or failed by its handler), and an update call that ran out of time.
import type { WorkflowExecutionStatus } from '../../protocol/index.js';
import { markErrorClass } from '../common/index.js';
import type { KeelServiceError } from './errors.js';

/** Thrown by `WorkflowHandle.query()` when the workflow has no handler for the query type; the message lists the registered ones. */
export class QueryNotRegisteredError extends Error {
  static {
    markErrorClass(this, 'QueryNotRegisteredError');
  }

  constructor(
    message: string,
    /** The service's error (code `QUERY_NOT_REGISTERED`). */
    public override readonly cause?: KeelServiceError,
  ) {
    super(message);
  }
}

/** Thrown by `WorkflowHandle.query()` when its `queryRejectCondition` refused the query for the run's status. */
export class QueryRejectedError extends Error {
  static {
    markErrorClass(this, 'QueryRejectedError');
  }

  constructor(
    /** The run's status, e.g. `'FAILED'`. */
    public readonly status: WorkflowExecutionStatus,
  ) {
    super(`Query rejected, workflow status: ${status}`);
  }
}

/**
 * Thrown by `executeUpdate()` and `WorkflowUpdateHandle.result()` when the update failed: its
 * validator rejected it (nothing was written to history) or its handler threw an
 * ApplicationFailure. `cause` is that failure, as Temporal's.
 */
export class WorkflowUpdateFailedError extends Error {
  static {
    markErrorClass(this, 'WorkflowUpdateFailedError');
  }

  constructor(
    message: string,
    public override readonly cause: unknown,
  ) {
    super(message);
  }
}

/** Thrown when an update call could not get its answer in time: no worker validated it, or the call was aborted. */
export class WorkflowUpdateRPCTimeoutOrCancelledError extends Error {
  static {
    markErrorClass(this, 'WorkflowUpdateRPCTimeoutOrCancelledError');
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
