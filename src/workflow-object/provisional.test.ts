import { describe, expect, it } from 'vitest';
import { PROVISIONAL_MS, provisionalMs } from './provisional.js';

describe('KEEL_PROVISIONAL_MS', () => {
  it('defaults to PROVISIONAL_MS when unset, empty or not a non-negative number', () => {
    for (const value of [undefined, '', 'soon', '-5', 'NaN']) expect(provisionalMs({ KEEL_PROVISIONAL_MS: value })).toBe(PROVISIONAL_MS);
  });

  it('takes 0 (no start is held) and any hold up to a minute, and caps a longer one at a minute', () => {
    expect(provisionalMs({ KEEL_PROVISIONAL_MS: '0' })).toBe(0);
    expect(provisionalMs({ KEEL_PROVISIONAL_MS: '250' })).toBe(250);
    expect(provisionalMs({ KEEL_PROVISIONAL_MS: '3600000' })).toBe(60_000);
  });
});
