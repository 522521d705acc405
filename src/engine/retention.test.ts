import { describe, expect, it } from 'vitest';
import { deletionDue, nextDeletion, runsPastRetention } from './retention.js';

const HOUR = 3_600_000;

describe('retention', () => {
  it('keeps a closed run for the retention after its close', () => {
    expect(deletionDue(1000, 72 * HOUR)).toBe(1000 + 72 * HOUR);
  });

  it('picks only the closed runs whose retention has passed', () => {
    const runs = [
      { runId: 'old', closeTime: 0 },
      { runId: 'edge', closeTime: HOUR },
      { runId: 'new', closeTime: 2 * HOUR },
    ];
    expect(runsPastRetention(runs, HOUR, 2 * HOUR)).toEqual(['old', 'edge']);
    expect(runsPastRetention(runs, HOUR, 2 * HOUR - 1)).toEqual(['old']);
    expect(runsPastRetention([], HOUR, 10 * HOUR)).toEqual([]);
  });

  it('schedules the next deletion from the earliest close, and none without a closed run', () => {
    expect(nextDeletion(5 * HOUR, HOUR)).toBe(6 * HOUR);
    expect(nextDeletion(undefined, HOUR)).toBeUndefined();
  });
});
