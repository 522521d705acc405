// Owns the client's own error classes: failures of a call to the service (`ServiceError`,
// `KeelServiceError`) and the outcomes Temporal's client reports as errors (`WorkflowFailedError`,
// `WorkflowContinuedAsNewError`, `QueryFailedError`, `NotSupportedError`).
import type { ErrorBody, ErrorCode, RetryState } from '../../protocol/index.js';
import { ErrorStatus } from '../../protocol/errors.js';
import { markErrorClass, type TemporalFailure } from '../common/index.js';

/**
 * A call to the Keel service failed: it could not be sent, no answer came, or the answer was an
 * error. Temporal's client throws its `ServiceError` in the same places; the error the service
 * answered with is a {@link KeelServiceError}, a subclass, and a network failure is a plain
 * `ServiceError` whose `cause` is what `fetch` threw.
 */
export class ServiceError extends Error {
  static {
    markErrorClass(this, 'ServiceError');
  }

  constructor(
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * What the code of a {@link KeelServiceError} may be: one of the protocol's {@link ErrorCode}s, or,
 * when the answer did not come from Keel's router (a proxy's error page, a gateway timeout),
 * `UNAVAILABLE` for a 502/503/504 and `UNKNOWN` for anything else.
 */
export type ServiceErrorCode = ErrorCode | 'UNAVAILABLE' | 'UNKNOWN';

/**
 * The service answered with an error: `{ error: { code, message, details } }` and a non-2xx status.
 * Decide on {@link code}, never on the message; the client turns the codes that Temporal has
 * classes for into those classes (`WORKFLOW_NOT_FOUND` → `WorkflowNotFoundError`, …) and lets
 * the rest through as this error.
 */
export class KeelServiceError extends ServiceError {
  static {
    markErrorClass(this, 'KeelServiceError');
  }

  constructor(
    /** The machine-readable code from the error body. */
    public readonly code: ServiceErrorCode,
    /** The HTTP status of the answer. */
    public readonly status: number,
    message: string,
    /** Extra facts the service gave, e.g. `issues` for INVALID_ARGUMENT. */
    public readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/**
 * The error an error body that came without an HTTP status of its own stands for (a batch item's,
 * a shard channel's answer), with the status its code has over HTTP.
 */
export function keelServiceErrorOf(error: ErrorBody['error']): KeelServiceError {
  return new KeelServiceError(error.code, ErrorStatus[error.code] ?? 500, error.message, error.details);
}

/**
 * Thrown by `WorkflowHandle.result()` (and `WorkflowClient.execute`) when the workflow did not
 * complete successfully. `cause` says why: an `ApplicationFailure` (the workflow threw), a
 * `CancelledFailure` (it was cancelled), a `TerminatedFailure` (it was terminated) or a
 * `TimeoutFailure` (it timed out), as in Temporal.
 */
export class WorkflowFailedError extends Error {
  static {
    markErrorClass(this, 'WorkflowFailedError');
  }

  constructor(
    message: string,
    public override readonly cause: TemporalFailure | undefined,
    /** Whether the service would retry the workflow, and if not why not. */
    public readonly retryState: RetryState,
  ) {
    super(message);
  }
}

/**
 * Thrown by `result()` when the run continued as new and the handle was told not to follow runs
 * (`followRuns: false`). `newExecutionRunId` names the next run.
 */
export class WorkflowContinuedAsNewError extends Error {
  static {
    markErrorClass(this, 'WorkflowContinuedAsNewError');
  }

  constructor(
    message: string,
    public readonly newExecutionRunId: string,
  ) {
    super(message);
  }
}

/**
 * Thrown by `WorkflowHandle.query()` when the worker could not answer: no handler for this query
 * type, or the handler threw (the service's `QUERY_FAILED`). Temporal tells the first case apart as
 * `QueryNotRegisteredError`; Keel's protocol does not, so both are this error, and the message
 * says which.
 */
export class QueryFailedError extends Error {
  static {
    markErrorClass(this, 'QueryFailedError');
  }

  constructor(
    message: string,
    /** The service's error, with its status and details. */
    public override readonly cause?: KeelServiceError,
  ) {
    super(message);
  }
}

/** Thrown by client methods whose service endpoint does not exist yet (e.g. `signalWithStart`). */
export class NotSupportedError extends Error {
  static {
    markErrorClass(this, 'NotSupportedError');
  }

  constructor(
    /** The method, e.g. `'WorkflowClient.signalWithStart'`. */
    public readonly operation: string,
    message?: string,
  ) {
    super(message ?? `${operation} is not supported by Keel yet`);
  }
}
