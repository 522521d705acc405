import { describe, expect, it } from 'vitest';
import { backoffMs, decideRetry, withRetryDefaults } from './retry.js';

describe('retry policy', () => {
  it("fills Temporal's defaults: 1 s initial, coefficient 2, maximum 100 × initial, unlimited attempts", () => {
    expect(withRetryDefaults(undefined)).toEqual({
      initialIntervalMs: 1000,
      backoffCoefficient: 2,
      maximumIntervalMs: 100_000,
      maximumAttempts: 0,
      nonRetryableErrorTypes: [],
    });
    expect(withRetryDefaults({ initialIntervalMs: 50 }).maximumIntervalMs).toBe(5000);
  });

  it('backs off exponentially up to the maximum interval', () => {
    const p = withRetryDefaults({ initialIntervalMs: 100, maximumIntervalMs: 500 });
    expect([1, 2, 3, 4, 5].map((a) => backoffMs(p, a))).toEqual([100, 200, 400, 500, 500]);
  });

  it('stops at maximum attempts', () => {
    const policy = withRetryDefaults({ maximumAttempts: 3 });
    expect(decideRetry({ policy, attempt: 2, now: 0 })).toEqual({ retry: true, delayMs: 2000 });
    expect(decideRetry({ policy, attempt: 3, now: 0 })).toEqual({ retry: false, retryState: 'MAXIMUM_ATTEMPTS_REACHED' });
  });

  it('does not retry non-retryable failures, by flag or by type', () => {
    const policy = withRetryDefaults({ nonRetryableErrorTypes: ['Fatal'] });
    const flagged = { message: 'x', applicationFailureInfo: { nonRetryable: true } };
    const typed = { message: 'x', applicationFailureInfo: { type: 'Fatal' } };
    expect(decideRetry({ policy, attempt: 1, now: 0, failure: flagged })).toEqual({ retry: false, retryState: 'NON_RETRYABLE_FAILURE' });
    expect(decideRetry({ policy, attempt: 1, now: 0, failure: typed })).toEqual({ retry: false, retryState: 'NON_RETRYABLE_FAILURE' });
  });

  it('does not retry past the deadline', () => {
    const policy = withRetryDefaults(undefined);
    expect(decideRetry({ policy, attempt: 1, now: 10_000, deadline: 10_500 })).toEqual({ retry: false, retryState: 'TIMEOUT' });
  });

  it("honours an application failure's next retry delay", () => {
    const policy = withRetryDefaults(undefined);
    const failure = { message: 'x', applicationFailureInfo: { nextRetryDelayMs: 42 } };
    expect(decideRetry({ policy, attempt: 5, now: 0, failure })).toEqual({ retry: true, delayMs: 42 });
  });
});
