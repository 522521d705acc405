// Owns the failure family of @temporalio/common: the errors that cross workflow and activity
// boundaries (`ApplicationFailure`, `ActivityFailure`, `CancelledFailure`, …) and the helpers
// that normalise whatever was thrown. Conversion to and from the wire is failure-converter.ts.
import type { Failure, RetryState, TimeoutType } from '../../protocol/index.js';
import type { Duration } from './duration.js';
import { isError, markErrorClass } from './error-class.js';

/** The `source` Keel's SDK writes on every failure it creates, as Temporal's TypeScript SDK does. */
export const FAILURE_SOURCE = 'TypeScriptSDK';

/** A workflow run's identity. `runId` is absent when the caller targets the latest run. */
export interface WorkflowExecution {
  workflowId: string;
  runId?: string;
}

/**
 * Base of the failures that can cross workflow and activity boundaries.
 *
 * Never extend this class or its children: the only one user code should throw is
 * {@link ApplicationFailure}.
 */
export class TemporalFailure extends Error {
  static {
    markErrorClass(this, 'TemporalFailure');
  }

  /**
   * The wire failure this error was built from, when it came from elsewhere (the service, another
   * worker). Converting the error back to a failure returns it unchanged.
   */
  public failure?: Failure;

  constructor(
    message?: string | undefined | null,
    public override readonly cause?: Error,
  ) {
    super(message ?? undefined);
  }
}

/** A failure that originated in the service. */
export class ServerFailure extends TemporalFailure {
  static {
    markErrorClass(this, 'ServerFailure');
  }

  constructor(
    message: string | undefined,
    public readonly nonRetryable: boolean,
    cause?: Error,
  ) {
    super(message, cause);
  }
}

/** Options of {@link ApplicationFailure.create} and {@link ApplicationFailure.fromError}. */
export interface ApplicationFailureOptions {
  /** The error message. */
  message?: string;
  /** The error type, matched against `RetryPolicy.nonRetryableErrorTypes`. */
  type?: string;
  /** When true, the activity or workflow is not retried whatever its retry policy says. @default false */
  nonRetryable?: boolean;
  /** Details about the failure, serialised by the worker's payload converter. */
  details?: unknown[];
  /**
   * Overrides the delay before the next retry of this activity. Retries are still bounded by the
   * retry policy's maximum attempts and the activity's timeouts.
   */
  nextRetryDelay?: Duration;
  /** The failure's cause. */
  cause?: Error;
}

/**
 * An application-specific failure of a workflow or activity: the one failure class user code throws.
 *
 * Its {@link type} is matched against `RetryPolicy.nonRetryableErrorTypes`; setting
 * {@link nonRetryable} stops retries whatever the policy says. In an activity, any other thrown
 * `Error` is converted to an `ApplicationFailure` (type from the error's name, retryable); in a
 * workflow, throwing an `ApplicationFailure` fails the execution, while other errors fail only the
 * workflow task, which is retried.
 *
 * @example
 * throw ApplicationFailure.nonRetryable('card declined', 'CardDeclined', { last4: '4242' });
 */
export class ApplicationFailure extends TemporalFailure {
  static {
    markErrorClass(this, 'ApplicationFailure');
  }

  /** Prefer {@link ApplicationFailure.create}, {@link ApplicationFailure.retryable} or {@link ApplicationFailure.nonRetryable}. */
  constructor(
    message?: string | undefined | null,
    public readonly type?: string | undefined | null,
    public readonly nonRetryable?: boolean | undefined | null,
    public readonly details?: unknown[] | undefined | null,
    cause?: Error,
    public readonly nextRetryDelay?: Duration | undefined | null,
  ) {
    super(message, cause);
  }

  /**
   * Makes an `ApplicationFailure` of `error` with {@link ensureApplicationFailure}, then applies the
   * options given (those left `undefined` keep the converted value).
   */
  public static fromError(error: unknown, options?: ApplicationFailureOptions): ApplicationFailure {
    const failure = ensureApplicationFailure(error);
    for (const [key, value] of Object.entries(options ?? {})) {
      if (value !== undefined) Object.assign(failure, { [key]: value });
    }
    return failure;
  }

  /** Makes an `ApplicationFailure`; retryable unless `nonRetryable` is set or its type is listed as non-retryable. */
  public static create(options: ApplicationFailureOptions): ApplicationFailure {
    const { message, type, nonRetryable = false, details, cause, nextRetryDelay } = options;
    return new this(message, type, nonRetryable, details, cause, nextRetryDelay);
  }

  /**
   * Makes a retryable `ApplicationFailure` (still not retried if its type is in the retry policy's
   * `nonRetryableErrorTypes`). `type` defaults to `'Error'`.
   */
  public static retryable(message?: string | null, type?: string | null, ...details: unknown[]): ApplicationFailure {
    return new this(message, type ?? 'Error', false, details);
  }

  /** Makes an `ApplicationFailure` that is never retried. `type` defaults to `'Error'`. */
  public static nonRetryable(message?: string | null, type?: string | null, ...details: unknown[]): ApplicationFailure {
    return new this(message, type ?? 'Error', true, details);
  }
}

/**
 * Thrown when cancellation was requested. Let it propagate to be cancelled; catch it to carry on
 * (cancellation is requested only once). A successfully cancelled activity or child workflow
 * fails with a `CancelledFailure` as its cause.
 */
export class CancelledFailure extends TemporalFailure {
  static {
    markErrorClass(this, 'CancelledFailure');
  }

  constructor(
    message: string | undefined,
    public readonly details: unknown[] = [],
    cause?: Error,
  ) {
    super(message, cause);
  }
}

/** The cause of the failure of a workflow that was terminated. */
export class TerminatedFailure extends TemporalFailure {
  static {
    markErrorClass(this, 'TerminatedFailure');
  }

  constructor(message: string | undefined, cause?: Error) {
    super(message, cause);
  }
}

/** A timeout of an activity or workflow; for a heartbeat timeout, with the last heartbeat's details. */
export class TimeoutFailure extends TemporalFailure {
  static {
    markErrorClass(this, 'TimeoutFailure');
  }

  constructor(
    message: string | undefined,
    public readonly lastHeartbeatDetails: unknown,
    public readonly timeoutType: TimeoutType,
    cause?: Error,
  ) {
    super(message, cause);
  }
}

/**
 * What a workflow receives when an activity fails for good: its `cause` holds the reason (an
 * `ApplicationFailure`, a `TimeoutFailure`, a `CancelledFailure`). Thrown by the SDK only.
 */
export class ActivityFailure extends TemporalFailure {
  static {
    markErrorClass(this, 'ActivityFailure');
  }

  constructor(
    message: string | undefined,
    public readonly activityType: string,
    public readonly activityId: string | undefined,
    public readonly retryState: RetryState,
    public readonly identity: string | undefined,
    cause?: Error,
  ) {
    super(message, cause);
  }
}

/**
 * What a parent workflow receives when a child workflow fails: its `cause` holds the reason (e.g.
 * a `TerminatedFailure` if the child was terminated). Thrown by the SDK only.
 */
export class ChildWorkflowFailure extends TemporalFailure {
  static {
    markErrorClass(this, 'ChildWorkflowFailure');
  }

  constructor(
    public readonly namespace: string | undefined,
    public readonly execution: WorkflowExecution,
    public readonly workflowType: string,
    public readonly retryState: RetryState,
    cause?: Error,
  ) {
    super('Child Workflow execution failed', cause);
  }
}

/**
 * Normalises anything thrown into an `Error`: errors (from any realm) are returned as they are;
 * other values become an `Error` whose message is the string, or the value's JSON.
 */
export function ensureError(value: unknown): Error {
  if (isError(value)) return value;
  return new Error(describeThrown(value));
}

/** The message for a thrown non-error value: the string itself, the JSON of an object, else `String(value)`. */
function describeThrown(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/**
 * The failure type of a plain error: its `name`, or its class name when the name is the
 * generic `'Error'` (so `class InsufficientFunds extends Error {}` gets type `'InsufficientFunds'`
 * without setting `name`).
 */
export function errorType(error: Error): string {
  if (error.name && error.name !== 'Error') return error.name;
  const ctorName = (error as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof ctorName === 'string' && ctorName !== '' ? ctorName : 'Error';
}

/**
 * Returns `error` if it is already an `ApplicationFailure`; otherwise makes a retryable one with
 * the error's message, its type from {@link errorType}, its stack, and its cause when that is an
 * error. A non-error value becomes the message (see {@link ensureError}).
 */
export function ensureApplicationFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  const err = ensureError(error);
  const cause = (err as { cause?: unknown }).cause;
  const failure = ApplicationFailure.create({
    message: err.message,
    type: errorType(err),
    nonRetryable: false,
    cause: isError(cause) ? cause : undefined,
  });
  failure.stack = err.stack ?? '';
  return failure;
}

/** Returns `error` if it is already a `TemporalFailure`, else {@link ensureApplicationFailure}. */
export function ensureTemporalFailure(error: unknown): TemporalFailure {
  if (error instanceof TemporalFailure) return error;
  return ensureApplicationFailure(error);
}

/**
 * The message of the root cause: for a `TemporalFailure`, follows `cause` to the end of the
 * chain; for another error, its message.
 */
export function rootCause(error: unknown): string | undefined {
  if (error instanceof TemporalFailure) {
    return error.cause ? rootCause(error.cause) : error.message;
  }
  return isError(error) ? error.message : typeof error === 'string' ? error : undefined;
}

/**
 * Whether `error` means "cancelled": a `CancelledFailure`, or an `ActivityFailure` or
 * `ChildWorkflowFailure` caused by one. Use it to let cancellation propagate from a catch block.
 *
 * @example
 * try { await charge(id); } catch (err) { if (isCancellation(err)) throw err; … }
 */
export function isCancellation(error: unknown): boolean {
  return (
    error instanceof CancelledFailure ||
    ((error instanceof ActivityFailure || error instanceof ChildWorkflowFailure) && error.cause instanceof CancelledFailure)
  );
}
