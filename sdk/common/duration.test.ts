import { describe, expect, it } from 'vitest';
import { msOptionalToNumber, msToNumber } from './duration.js';
import { ValueError } from './errors.js';

describe('msToNumber', () => {
  it('takes numbers as milliseconds', () => {
    expect(msToNumber(0)).toBe(0);
    expect(msToNumber(250)).toBe(250);
    expect(msToNumber(1.5)).toBe(1.5);
  });

  it('parses human durations like "1 minute"', () => {
    expect(msToNumber('100ms')).toBe(100);
    expect(msToNumber('10s')).toBe(10_000);
    expect(msToNumber('1 minute')).toBe(60_000);
    expect(msToNumber('2 hours')).toBe(7_200_000);
    expect(msToNumber('1.5h')).toBe(5_400_000);
    expect(msToNumber('7 days')).toBe(604_800_000);
    expect(msToNumber('1d')).toBe(86_400_000);
    expect(msToNumber('2 weeks')).toBe(1_209_600_000);
    expect(msToNumber('1y')).toBe(31_557_600_000);
    expect(msToNumber('.5s')).toBe(500);
  });

  it('reads a string without a unit as milliseconds', () => {
    expect(msToNumber('100')).toBe(100);
  });

  it('accepts every unit spelling of the ms package, in any case', () => {
    for (const s of ['1m', '1min', '1mins', '1minute', '1minutes', '1 MINUTE', '1M', '60s', '60 secs', '60000 msecs']) {
      expect(msToNumber(s), s).toBe(60_000);
    }
    expect(msToNumber('3 HRS')).toBe(10_800_000);
  });

  it('rejects strings that are not durations with a ValueError that shows the input', () => {
    for (const bad of ['', 'soon', '10 parsecs', '1h30m', '1..5s', 'ms']) {
      expect(() => msToNumber(bad), bad).toThrow(ValueError);
    }
    expect(() => msToNumber('soon')).toThrow("Invalid duration: 'soon'");
  });

  it('rejects negative and non-finite durations', () => {
    expect(() => msToNumber(-1)).toThrow(/negative/);
    expect(() => msToNumber('-5s')).toThrow(/negative/);
    expect(() => msToNumber(Number.NaN)).toThrow(ValueError);
    expect(() => msToNumber(Number.POSITIVE_INFINITY)).toThrow(ValueError);
  });

  it('rejects values of other types', () => {
    expect(() => msToNumber({} as unknown as string)).toThrow(ValueError);
  });
});

describe('msOptionalToNumber', () => {
  it('passes undefined through and converts the rest', () => {
    expect(msOptionalToNumber(undefined)).toBeUndefined();
    expect(msOptionalToNumber('1s')).toBe(1000);
  });
});
