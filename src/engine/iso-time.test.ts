import { describe, expect, it } from 'vitest';
import { eventTimeIso, eventTimeMs } from './iso-time.js';

describe('event times', () => {
  it('format and parse as Date does, whatever came before (the last one is kept)', () => {
    for (const ms of [0, 1_700_000_000_123, 1_700_000_000_123, 1_700_000_000_124, 0, -1, 8.64e15]) {
      expect(eventTimeIso(ms)).toBe(new Date(ms).toISOString());
      expect(eventTimeMs(eventTimeIso(ms))).toBe(ms);
    }
    expect(eventTimeMs('not a time')).toBeNaN();
    expect(eventTimeMs('1970-01-01T00:00:00.000Z')).toBe(0);
  });

  it('a time Date cannot show throws every time, as toISOString does', () => {
    expect(() => eventTimeIso(Number.NaN)).toThrow(RangeError);
    expect(() => eventTimeIso(Number.NaN)).toThrow(RangeError);
    expect(() => eventTimeIso(9e15)).toThrow(RangeError);
  });
});
