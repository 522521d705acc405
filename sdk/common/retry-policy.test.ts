import { describe, expect, it } from 'vitest';
import { RetryPolicy as WireRetryPolicy } from '../../protocol/index.js';
import { ValueError } from './errors.js';
import { compileRetryPolicy, decompileRetryPolicy } from './retry-policy.js';

describe('compileRetryPolicy', () => {
  it('converts durations to whole milliseconds for the wire', () => {
    const wire = compileRetryPolicy({
      initialInterval: '2s',
      backoffCoefficient: 1.5,
      maximumInterval: '1 minute',
      maximumAttempts: 5,
      nonRetryableErrorTypes: ['CardDeclined'],
    });
    expect(wire).toEqual({
      initialIntervalMs: 2000,
      backoffCoefficient: 1.5,
      maximumIntervalMs: 60_000,
      maximumAttempts: 5,
      nonRetryableErrorTypes: ['CardDeclined'],
    });
    expect(WireRetryPolicy.parse(wire)).toEqual(wire);
  });

  it('leaves absent fields absent so that the service applies the defaults', () => {
    expect(compileRetryPolicy({})).toEqual({});
  });

  it('rounds a fractional interval up', () => {
    expect(compileRetryPolicy({ initialInterval: 0.5 }).initialIntervalMs).toBe(1);
  });

  it('treats Infinity maximumAttempts as unlimited and keeps 0', () => {
    expect(compileRetryPolicy({ maximumAttempts: Number.POSITIVE_INFINITY })).toEqual({});
    expect(compileRetryPolicy({ maximumAttempts: 0 })).toEqual({ maximumAttempts: 0 });
  });

  it('rejects a backoff coefficient below 1', () => {
    expect(() => compileRetryPolicy({ backoffCoefficient: 0.5 })).toThrow(ValueError);
    expect(() => compileRetryPolicy({ backoffCoefficient: Number.NaN })).toThrow(/backoffCoefficient/);
    expect(compileRetryPolicy({ backoffCoefficient: 1 })).toEqual({ backoffCoefficient: 1 });
  });

  it('rejects negative or fractional maximumAttempts', () => {
    expect(() => compileRetryPolicy({ maximumAttempts: -1 })).toThrow(/maximumAttempts/);
    expect(() => compileRetryPolicy({ maximumAttempts: 1.5 })).toThrow(ValueError);
  });

  it('rejects a maximumInterval below the initialInterval, or below the 1 s default', () => {
    expect(() => compileRetryPolicy({ initialInterval: '10s', maximumInterval: '5s' })).toThrow(/cannot be less than/);
    expect(() => compileRetryPolicy({ maximumInterval: 500 })).toThrow(/cannot be less than initialInterval \(1000ms\)/);
    expect(compileRetryPolicy({ initialInterval: '5s', maximumInterval: '5s' })).toEqual({ initialIntervalMs: 5000, maximumIntervalMs: 5000 });
  });

  it('rejects zero and malformed intervals, naming the field', () => {
    expect(() => compileRetryPolicy({ initialInterval: 0 })).toThrow(/initialInterval cannot be 0/);
    expect(() => compileRetryPolicy({ maximumInterval: 'soon' })).toThrow(/RetryPolicy.maximumInterval: Invalid duration/);
    expect(() => compileRetryPolicy({ initialInterval: -5 })).toThrow(ValueError);
  });
});

describe('decompileRetryPolicy', () => {
  it('turns the wire form back into the SDK form', () => {
    const policy = { initialInterval: 2000, backoffCoefficient: 3, maximumInterval: 10_000, maximumAttempts: 4, nonRetryableErrorTypes: ['X'] };
    expect(decompileRetryPolicy(compileRetryPolicy(policy))).toEqual(policy);
    expect(decompileRetryPolicy({})).toEqual({});
    expect(decompileRetryPolicy(undefined)).toBeUndefined();
  });
});
