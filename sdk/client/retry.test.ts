import { describe, expect, it } from 'vitest';
import { backoffDelayMs, defaultRetryOptions, resolveRetryOptions, retrySafety } from './retry.js';

describe('backoffDelayMs', () => {
  const noJitter = () => 0.5;

  it('doubles from the initial interval and caps at the maximum', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoffDelayMs(attempt, defaultRetryOptions, noJitter));
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it('moves each delay by at most maxJitter either way', () => {
    expect(backoffDelayMs(1, defaultRetryOptions, () => 0)).toBe(80);
    expect(backoffDelayMs(1, defaultRetryOptions, () => 0.999999)).toBe(120);
  });
});

describe('resolveRetryOptions', () => {
  it("fills in Temporal's defaults and keeps what was given", () => {
    expect(resolveRetryOptions({ maxAttempts: 3, initialIntervalMs: undefined })).toEqual({ ...defaultRetryOptions, maxAttempts: 3 });
  });

  it('refuses values that cannot work', () => {
    expect(() => resolveRetryOptions({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => resolveRetryOptions({ backoffCoefficient: 0.5 })).toThrow(/backoffCoefficient/);
    expect(() => resolveRetryOptions({ maxJitter: 2 })).toThrow(/maxJitter/);
  });
});

describe('retrySafety', () => {
  it('treats reads, queries, polls and heartbeats as safe to repeat', () => {
    expect(retrySafety('describeWorkflow')).toBe('safe');
    expect(retrySafety('getWorkflowHistory')).toBe('safe');
    expect(retrySafety('queryWorkflow')).toBe('safe');
    expect(retrySafety('pollWorkflowTask')).toBe('safe');
    expect(retrySafety('heartbeatActivityTask')).toBe('safe');
  });

  it('lets calls with a requestId field be repeated with the same id', () => {
    expect(retrySafety('startWorkflow')).toBe('request-id');
    expect(retrySafety('signalWorkflow')).toBe('request-id');
    expect(retrySafety('completeWorkflowTask')).toBe('request-id');
    expect(retrySafety('completeActivityTask')).toBe('request-id');
  });

  it('marks mutating calls without a requestId unsafe', () => {
    expect(retrySafety('failWorkflowTask')).toBe('unsafe');
    expect(retrySafety('respondQueryTask')).toBe('unsafe');
  });
});
