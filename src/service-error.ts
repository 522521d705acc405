/**
 * The one error class of the service. Thrown anywhere, it is turned into
 * `{ error: { code, message, details } }` with the status from the protocol's code table
 * by the router's single catch. Durable Object RPC loses custom error fields, so objects
 * return failures as `Outcome` values and the router rethrows them here.
 */
import { ErrorStatus, type ErrorBody, type ErrorCode } from '../protocol/index.js';

export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  get status(): number {
    return ErrorStatus[this.code];
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

/**
 * The error a thrown value is answered with: a ServiceError's own; anything else is a bug, logged
 * (with `context`) and answered INTERNAL, its details kept out of the answer.
 */
export function errorBodyOf(err: unknown, context = 'unexpected error'): ErrorBody['error'] {
  if (err instanceof ServiceError) return err.toBody().error;
  console.error(`keel: ${context}`, err);
  return { code: 'INTERNAL', message: 'Internal error; the service logged it.' };
}

/** What a Durable Object method answers across RPC: a value, or an error to raise in the router. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ErrorBody['error'] };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });

/** Runs `fn`, turning a thrown ServiceError into a failed Outcome; anything else propagates. */
export async function outcome<T>(fn: () => T | Promise<T>): Promise<Outcome<T>> {
  try {
    return ok(await fn());
  } catch (err) {
    if (err instanceof ServiceError) return { ok: false, error: err.toBody().error };
    throw err;
  }
}

/** The value of an Outcome, or its error thrown as a ServiceError. */
export function unwrap<T>(o: Outcome<T>): T {
  if (o.ok) return o.value;
  throw new ServiceError(o.error.code, o.error.message, o.error.details);
}
