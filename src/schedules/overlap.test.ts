import { describe, expect, it } from 'vitest';
import { processBuffer, type BufferedStart, type ScheduleOverlapPolicy } from './overlap.js';

const starts = (overlap: ScheduleOverlapPolicy, n: number): BufferedStart[] => Array.from({ length: n }, (_, i) => ({ nominal: i, actual: i, overlap }));

describe('overlap policies', () => {
  it('SKIP drops what comes due while one runs; the first of several due starts when none runs', () => {
    expect(processBuffer(starts('SKIP', 2), true)).toMatchObject({ start: [], keep: [], skipped: 2 });
    expect(processBuffer(starts('SKIP', 3), false)).toMatchObject({ start: [{ nominal: 0 }], skipped: 2 });
  });
  it('BUFFER_ONE keeps one waiting; BUFFER_ALL keeps all', () => {
    expect(processBuffer(starts('BUFFER_ONE', 3), true)).toMatchObject({ start: [], keep: [{ nominal: 0 }], skipped: 2 });
    expect(processBuffer(starts('BUFFER_ALL', 3), true)).toMatchObject({ start: [], keep: [{ nominal: 0 }, { nominal: 1 }, { nominal: 2 }], skipped: 0 });
    // Once the running one closed, the waiting ones go one at a time.
    expect(processBuffer(starts('BUFFER_ALL', 3), false)).toMatchObject({ start: [{ nominal: 0 }], keep: [{ nominal: 1 }, { nominal: 2 }] });
  });
  it('CANCEL_OTHER and TERMINATE_OTHER ask to end the running one and keep only the newest', () => {
    expect(processBuffer(starts('CANCEL_OTHER', 2), true)).toMatchObject({ start: [], keep: [{ nominal: 1 }], skipped: 1, cancel: true, terminate: false });
    expect(processBuffer(starts('TERMINATE_OTHER', 1), true)).toMatchObject({ start: [], keep: [{ nominal: 0 }], terminate: true });
  });
  it('ALLOW_ALL starts everything at once', () => {
    expect(processBuffer(starts('ALLOW_ALL', 3), true)).toMatchObject({ start: [{ nominal: 0 }, { nominal: 1 }, { nominal: 2 }], keep: [] });
  });
});
