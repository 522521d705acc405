// Owns the SDK-side retry policy (Temporal's names, durations as `Duration`) and its validated
// conversion to and from the wire's millisecond form.
import type { RetryPolicy as WireRetryPolicy } from '../../protocol/index.js';
import { msOptionalToNumber, type Duration } from './duration.js';
import { ValueError } from './errors.js';

/**
 * How activities and workflows are retried, as Temporal's `RetryPolicy`. Absent fields take
 * Temporal's defaults, applied by the service.
 *
 * @example
 * proxyActivities({ startToCloseTimeout: '1 minute', retry: { initialInterval: '2s', maximumAttempts: 5 } });
 */
export interface RetryPolicy {
  /** Delay before the first retry. @default 1 second */
  initialInterval?: Duration;
  /** Factor by which the delay grows after each retry; at least 1. @default 2 */
  backoffCoefficient?: number;
  /** Upper bound of the delay between retries; at least `initialInterval`. @default 100 × initialInterval */
  maximumInterval?: Duration;
  /** Maximum number of attempts, the first included; 0 or `Infinity` means unlimited. @default unlimited */
  maximumAttempts?: number;
  /** Application failure types that are never retried (matched against `ApplicationFailure.type`). */
  nonRetryableErrorTypes?: string[];
}

/** Temporal's default initial interval, used to check `maximumInterval` when `initialInterval` is absent. */
const DEFAULT_INITIAL_INTERVAL_MS = 1000;

/** A positive duration as whole milliseconds (rounded up, so that a fraction stays positive). */
function positiveMs(field: string, duration: Duration | undefined): number | undefined {
  let ms: number | undefined;
  try {
    ms = msOptionalToNumber(duration);
  } catch (err) {
    throw new ValueError(`RetryPolicy.${field}: ${(err as Error).message}`, err);
  }
  if (ms === undefined) return undefined;
  if (ms === 0) throw new ValueError(`RetryPolicy.${field} cannot be 0`);
  return Math.ceil(ms);
}

/**
 * Validates a retry policy and converts it to the wire form (`initialIntervalMs`,
 * `maximumIntervalMs`); absent fields stay absent.
 *
 * @throws {ValueError} when `backoffCoefficient` is below 1, `maximumAttempts` is negative or not
 * an integer, an interval is 0 or not a duration, or `maximumInterval` is below `initialInterval`.
 */
export function compileRetryPolicy(policy: RetryPolicy): WireRetryPolicy {
  const { backoffCoefficient, maximumAttempts, nonRetryableErrorTypes } = policy;
  if (backoffCoefficient !== undefined && !(Number.isFinite(backoffCoefficient) && backoffCoefficient >= 1)) {
    throw new ValueError(`RetryPolicy.backoffCoefficient must be at least 1, got ${backoffCoefficient}`);
  }
  let attempts: number | undefined;
  if (maximumAttempts !== undefined && maximumAttempts !== Number.POSITIVE_INFINITY) {
    if (!Number.isInteger(maximumAttempts) || maximumAttempts < 0) {
      throw new ValueError(`RetryPolicy.maximumAttempts must be a non-negative integer (0 = unlimited), got ${maximumAttempts}`);
    }
    attempts = maximumAttempts;
  }
  const initialIntervalMs = positiveMs('initialInterval', policy.initialInterval);
  const maximumIntervalMs = positiveMs('maximumInterval', policy.maximumInterval);
  if (maximumIntervalMs !== undefined && maximumIntervalMs < (initialIntervalMs ?? DEFAULT_INITIAL_INTERVAL_MS)) {
    throw new ValueError(
      `RetryPolicy.maximumInterval (${maximumIntervalMs}ms) cannot be less than initialInterval (${initialIntervalMs ?? DEFAULT_INITIAL_INTERVAL_MS}ms)`,
    );
  }
  if (nonRetryableErrorTypes !== undefined && !nonRetryableErrorTypes.every((t) => typeof t === 'string')) {
    throw new ValueError('RetryPolicy.nonRetryableErrorTypes must be a list of strings');
  }
  const wire: WireRetryPolicy = {};
  if (initialIntervalMs !== undefined) wire.initialIntervalMs = initialIntervalMs;
  if (backoffCoefficient !== undefined) wire.backoffCoefficient = backoffCoefficient;
  if (maximumIntervalMs !== undefined) wire.maximumIntervalMs = maximumIntervalMs;
  if (attempts !== undefined) wire.maximumAttempts = attempts;
  if (nonRetryableErrorTypes !== undefined) wire.nonRetryableErrorTypes = [...nonRetryableErrorTypes];
  return wire;
}

/** Converts a wire retry policy back to the SDK form (intervals as milliseconds); `undefined` passes through. */
export function decompileRetryPolicy(policy: WireRetryPolicy | undefined | null): RetryPolicy | undefined {
  if (policy == null) return undefined;
  const out: RetryPolicy = {};
  if (policy.initialIntervalMs !== undefined) out.initialInterval = policy.initialIntervalMs;
  if (policy.backoffCoefficient !== undefined) out.backoffCoefficient = policy.backoffCoefficient;
  if (policy.maximumIntervalMs !== undefined) out.maximumInterval = policy.maximumIntervalMs;
  if (policy.maximumAttempts !== undefined) out.maximumAttempts = policy.maximumAttempts;
  if (policy.nonRetryableErrorTypes !== undefined) out.nonRetryableErrorTypes = [...policy.nonRetryableErrorTypes];
  return out;
}
