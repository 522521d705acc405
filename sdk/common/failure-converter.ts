// Owns the mapping between the failure classes (failure.ts) and the wire `Failure`: each class to
// its `...FailureInfo`, details through the payload converter, causes recursively, and back.
import type { Failure, Payload } from '../../protocol/index.js';
import { isError } from './error-class.js';
import { msOptionalToNumber, type Duration } from './duration.js';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  FAILURE_SOURCE,
  ServerFailure,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
  ensureError,
  errorType,
} from './failure.js';
import { arrayFromPayloads, fromPayloadsAtIndex, toPayloads, type PayloadConverter } from './payload-converter.js';

/**
 * Converts errors to wire failures and back. Keep the {@link DefaultFailureConverter} unless you
 * must: other SDKs and the UI read failures in its shape.
 */
export interface FailureConverter {
  /** Converts anything thrown to a wire failure. */
  errorToFailure(err: unknown, payloadConverter: PayloadConverter): Failure;
  /** Converts a wire failure to an error; the result must be a `TemporalFailure`. */
  failureToError(failure: Failure, payloadConverter: PayloadConverter): TemporalFailure;
}

/** The shape of `Failure.encodedAttributes` when {@link DefaultFailureConverterOptions.encodeCommonAttributes} is on. */
export interface DefaultEncodedFailureAttributes {
  message: string;
  stack_trace: string;
}

/** Options of {@link DefaultFailureConverter}. */
export interface DefaultFailureConverterOptions {
  /**
   * Move each failure's message and stack trace into `encodedAttributes` (a payload), so that a
   * payload codec encrypts them too; the visible message becomes 'Encoded failure'.
   * @default false
   */
  encodeCommonAttributes?: boolean;
}

/** Appended to the message when something other than an `Error` was thrown, as Temporal does. */
const NON_ERROR_HINT =
  ' [A non-Error value was thrown from your code. We recommend throwing Error objects so that we can provide a stack trace]';

/** A duration as the wire's whole, non-negative milliseconds (rounded up, so 0.5 ms stays > 0). */
function wholeMs(duration: Duration | undefined): number | undefined {
  const ms = msOptionalToNumber(duration);
  return ms === undefined ? undefined : Math.ceil(ms);
}

/** Payloads for a details list, or `undefined` for none (the wire omits empty lists). */
function detailsToPayloads(converter: PayloadConverter, details: unknown[] | null | undefined): Payload[] | undefined {
  return details && details.length > 0 ? toPayloads(converter, ...details) : undefined;
}

/** Drops `undefined` fields so that failures compare and serialise cleanly. */
function compact<T extends object>(o: T): T {
  for (const key of Object.keys(o) as (keyof T)[]) if (o[key] === undefined) delete o[key];
  return o;
}

/**
 * Keel's default failure converter, the same mapping as Temporal's `DefaultFailureConverter`.
 *
 * To the wire: a `TemporalFailure` that came from the wire returns its original `failure`
 * unchanged; each failure class maps to its `...FailureInfo`; any other `Error` becomes an
 * application failure with its type from its name (or class name), retryable; any other value
 * becomes one whose message is the value. `source` is `'TypeScriptSDK'`, the stack trace is kept
 * and `cause` is converted recursively.
 *
 * From the wire: the class is chosen by the `...FailureInfo` present (none gives a plain
 * `TemporalFailure`); the error's `stack` is the failure's `stackTrace` and its `failure` field the
 * failure itself.
 */
export class DefaultFailureConverter implements FailureConverter {
  public readonly options: Required<DefaultFailureConverterOptions>;

  constructor(options?: DefaultFailureConverterOptions) {
    this.options = { encodeCommonAttributes: options?.encodeCommonAttributes ?? false };
  }

  /** @inheritDoc */
  public errorToFailure(err: unknown, payloadConverter: PayloadConverter): Failure {
    return this.toFailure(err, payloadConverter, new Set());
  }

  /** `seen` holds the errors already on the chain, so that a cyclic `cause` ends instead of recursing forever. */
  private toFailure(err: unknown, payloadConverter: PayloadConverter, seen: Set<unknown>): Failure {
    seen.add(err);
    const failure = this.errorToFailureInner(err, payloadConverter, seen);
    if (this.options.encodeCommonAttributes && failure.encodedAttributes === undefined) {
      const attributes: DefaultEncodedFailureAttributes = { message: failure.message, stack_trace: failure.stackTrace ?? '' };
      return {
        ...failure,
        message: 'Encoded failure',
        stackTrace: '',
        encodedAttributes: payloadConverter.toPayload(attributes),
      };
    }
    return failure;
  }

  private errorToFailureInner(thrown: unknown, converter: PayloadConverter, seen: Set<unknown>): Failure {
    if (thrown instanceof TemporalFailure && thrown.failure) return thrown.failure;

    const err = ensureError(thrown);
    const cause = (err as { cause?: unknown }).cause;
    const base: Failure = compact({
      message: isError(thrown) ? String(err.message ?? '') : err.message + NON_ERROR_HINT,
      source: FAILURE_SOURCE,
      stackTrace: err.stack || undefined,
      cause: cause == null || seen.has(cause) ? undefined : this.toFailure(cause, converter, seen),
    });

    if (err instanceof ApplicationFailure) {
      return {
        ...base,
        applicationFailureInfo: compact({
          type: err.type ?? undefined,
          nonRetryable: Boolean(err.nonRetryable),
          details: detailsToPayloads(converter, err.details),
          nextRetryDelayMs: wholeMs(err.nextRetryDelay ?? undefined),
        }),
      };
    }
    if (err instanceof CancelledFailure) {
      return { ...base, canceledFailureInfo: compact({ details: detailsToPayloads(converter, err.details) }) };
    }
    if (err instanceof TimeoutFailure) {
      return {
        ...base,
        timeoutFailureInfo: compact({
          timeoutType: err.timeoutType,
          lastHeartbeatDetails:
            err.lastHeartbeatDetails === undefined ? undefined : toPayloads(converter, err.lastHeartbeatDetails),
        }),
      };
    }
    if (err instanceof TerminatedFailure) return { ...base, terminatedFailureInfo: {} };
    if (err instanceof ServerFailure) return { ...base, serverFailureInfo: { nonRetryable: err.nonRetryable } };
    if (err instanceof ActivityFailure) {
      // Event ids are only known to failures that came from the service, and those keep their
      // original `failure`; one made in code gets 0.
      return {
        ...base,
        activityFailureInfo: compact({
          scheduledEventId: 0,
          startedEventId: 0,
          identity: err.identity,
          activityType: err.activityType,
          activityId: err.activityId ?? '',
          retryState: err.retryState,
        }),
      };
    }
    if (err instanceof ChildWorkflowFailure) {
      return {
        ...base,
        childWorkflowExecutionFailureInfo: {
          namespace: err.namespace ?? '',
          workflowExecution: { workflowId: err.execution.workflowId, runId: err.execution.runId ?? '' },
          workflowType: err.workflowType,
          initiatedEventId: 0,
          startedEventId: 0,
          retryState: err.retryState,
        },
      };
    }
    if (err instanceof TemporalFailure) return base;
    // Any other error (or thrown value): an application failure named after it, retryable.
    return { ...base, applicationFailureInfo: { type: isError(thrown) ? errorType(err) : 'Error', nonRetryable: false } };
  }

  /** @inheritDoc */
  public failureToError(failure: Failure, payloadConverter: PayloadConverter): TemporalFailure {
    let visible = failure;
    if (failure.encodedAttributes) {
      const attributes = payloadConverter.fromPayload<Partial<DefaultEncodedFailureAttributes> | null>(
        failure.encodedAttributes,
      );
      // Apply them only when they have the expected shape.
      if (typeof attributes === 'object' && attributes !== null) {
        visible = { ...failure };
        if (typeof attributes.message === 'string') visible.message = attributes.message;
        if (typeof attributes.stack_trace === 'string') visible.stackTrace = attributes.stack_trace;
      }
    }
    const err = this.failureToErrorInner(visible, payloadConverter);
    err.stack = visible.stackTrace ?? '';
    err.failure = failure;
    return err;
  }

  private failureToErrorInner(failure: Failure, converter: PayloadConverter): TemporalFailure {
    const { message } = failure;
    const cause = failure.cause ? this.failureToError(failure.cause, converter) : undefined;
    if (failure.applicationFailureInfo) {
      const info = failure.applicationFailureInfo;
      return new ApplicationFailure(
        message,
        info.type,
        Boolean(info.nonRetryable),
        arrayFromPayloads(converter, info.details),
        cause,
        info.nextRetryDelayMs,
      );
    }
    if (failure.serverFailureInfo) {
      return new ServerFailure(message, Boolean(failure.serverFailureInfo.nonRetryable), cause);
    }
    if (failure.timeoutFailureInfo) {
      const info = failure.timeoutFailureInfo;
      return new TimeoutFailure(
        message,
        fromPayloadsAtIndex(converter, 0, info.lastHeartbeatDetails),
        info.timeoutType,
        cause,
      );
    }
    if (failure.terminatedFailureInfo) return new TerminatedFailure(message, cause);
    if (failure.canceledFailureInfo) {
      return new CancelledFailure(message, arrayFromPayloads(converter, failure.canceledFailureInfo.details), cause);
    }
    if (failure.childWorkflowExecutionFailureInfo) {
      const info = failure.childWorkflowExecutionFailureInfo;
      const runId = info.workflowExecution.runId;
      return new ChildWorkflowFailure(
        info.namespace || undefined,
        runId ? { workflowId: info.workflowExecution.workflowId, runId } : { workflowId: info.workflowExecution.workflowId },
        info.workflowType,
        info.retryState,
        cause,
      );
    }
    if (failure.activityFailureInfo) {
      const info = failure.activityFailureInfo;
      return new ActivityFailure(message, info.activityType, info.activityId || undefined, info.retryState, info.identity, cause);
    }
    return new TemporalFailure(message, cause);
  }
}

/** The shared default failure converter. */
export const defaultFailureConverter: FailureConverter = new DefaultFailureConverter();

/**
 * Converts anything thrown to a wire failure with the {@link DefaultFailureConverter}.
 *
 * @example
 * const failure = errorToFailure(ApplicationFailure.nonRetryable('no', 'Declined'), defaultPayloadConverter);
 */
export function errorToFailure(err: unknown, payloadConverter: PayloadConverter): Failure {
  return defaultFailureConverter.errorToFailure(err, payloadConverter);
}

/** Converts a wire failure to its error class with the {@link DefaultFailureConverter}. */
export function failureToError(failure: Failure, payloadConverter: PayloadConverter): TemporalFailure {
  return defaultFailureConverter.failureToError(failure, payloadConverter);
}
