// Owns the SDK's non-failure errors: bad values, misconfigured converters, impossible states,
// and the service's "not found" / "already started" answers rebuilt on the client.
import { markErrorClass } from './error-class.js';
import { TemporalFailure } from './failure.js';

/** Thrown when code receives a value it cannot accept (a bad duration, a bad retry policy, bad base64). */
export class ValueError extends Error {
  static {
    markErrorClass(this, 'ValueError');
  }

  constructor(
    message: string | undefined,
    /** What went wrong underneath, when there is something. */
    public override readonly cause?: unknown,
  ) {
    super(message ?? undefined);
  }
}

/** Thrown when a value cannot be turned into a payload or back (unknown encoding, bad JSON, no converter). */
export class PayloadConverterError extends ValueError {
  static {
    markErrorClass(this, 'PayloadConverterError');
  }
}

/** Thrown when the SDK finds itself in a state that should be impossible; it signals a bug. */
export class IllegalStateError extends Error {
  static {
    markErrorClass(this, 'IllegalStateError');
  }
}

/**
 * Thrown when the service knows no workflow with this id (and run id, when given): the id is
 * wrong, the run is closed (for calls such as `terminate`), or it passed its retention period.
 */
export class WorkflowNotFoundError extends Error {
  static {
    markErrorClass(this, 'WorkflowNotFoundError');
  }

  constructor(
    message: string,
    public readonly workflowId: string,
    public readonly runId: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Thrown by `start` when a run with this workflow id is running and the conflict policy is
 * `FAIL`, or a closed run forbids another under the id reuse policy. Extends
 * {@link TemporalFailure}, as in Temporal.
 */
export class WorkflowExecutionAlreadyStartedError extends TemporalFailure {
  static {
    markErrorClass(this, 'WorkflowExecutionAlreadyStartedError');
  }

  constructor(
    message: string,
    public readonly workflowId: string,
    public readonly workflowType: string,
  ) {
    super(message);
  }
}

/** Thrown when the service knows no namespace of this name. */
export class NamespaceNotFoundError extends Error {
  static {
    markErrorClass(this, 'NamespaceNotFoundError');
  }

  constructor(public readonly namespace: string) {
    super(`Namespace not found: '${namespace}'`);
  }
}
