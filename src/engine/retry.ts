/**
 * Retry policy arithmetic, with Temporal's defaults and meanings: initial interval 1 s,
 * back-off coefficient 2, maximum interval 100 × initial, unlimited attempts.
 */
import type { Failure, RetryPolicy, RetryState } from '../../protocol/index.js';

export const DEFAULT_RETRY_POLICY = { initialIntervalMs: 1000, backoffCoefficient: 2, maximumAttempts: 0 } as const;

/** The policy with every default filled in. */
export function withRetryDefaults(policy: RetryPolicy | undefined): Required<RetryPolicy> {
  const initialIntervalMs = policy?.initialIntervalMs ?? DEFAULT_RETRY_POLICY.initialIntervalMs;
  return {
    initialIntervalMs,
    backoffCoefficient: policy?.backoffCoefficient ?? DEFAULT_RETRY_POLICY.backoffCoefficient,
    maximumIntervalMs: policy?.maximumIntervalMs ?? initialIntervalMs * 100,
    maximumAttempts: policy?.maximumAttempts ?? DEFAULT_RETRY_POLICY.maximumAttempts,
    nonRetryableErrorTypes: policy?.nonRetryableErrorTypes ?? [],
  };
}

/** The back-off before attempt `attempt + 1`, after attempt `attempt` failed. */
export function backoffMs(policy: Required<RetryPolicy>, attempt: number): number {
  const raw = policy.initialIntervalMs * Math.pow(policy.backoffCoefficient, attempt - 1);
  return Math.min(Math.round(raw), policy.maximumIntervalMs);
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; retryState: RetryState };

/**
 * Whether a failed attempt is retried, and after how long. `failure` is absent for
 * timeouts, which are always retryable by type; `deadline` is the schedule-to-close
 * (or execution) deadline that no retry may start after.
 */
export function decideRetry(args: {
  policy: Required<RetryPolicy>;
  attempt: number;
  failure?: Failure;
  now: number;
  deadline?: number;
}): RetryDecision {
  const { policy, attempt, failure, now, deadline } = args;
  const info = failure?.applicationFailureInfo;
  if (info?.nonRetryable) return { retry: false, retryState: 'NON_RETRYABLE_FAILURE' };
  if (info?.type && policy.nonRetryableErrorTypes.includes(info.type)) return { retry: false, retryState: 'NON_RETRYABLE_FAILURE' };
  if (policy.maximumAttempts > 0 && attempt >= policy.maximumAttempts) return { retry: false, retryState: 'MAXIMUM_ATTEMPTS_REACHED' };
  const delayMs = info?.nextRetryDelayMs ?? backoffMs(policy, attempt);
  if (deadline !== undefined && deadline > 0 && now + delayMs >= deadline) return { retry: false, retryState: 'TIMEOUT' };
  return { retry: true, delayMs };
}

/** Back-off before re-dispatching a workflow task that failed `attempt` times: at once, then 1 s doubling to 1 min. */
export function workflowTaskBackoffMs(attempt: number): number {
  if (attempt <= 1) return 0;
  return Math.min(1000 * Math.pow(2, attempt - 2), 60_000);
}
