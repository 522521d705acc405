import { describe, expect, it } from 'vitest';
import { decide, scheduleActivity, started } from './engine-test-kit.js';
import { idleUntil, timeSkippingEnabled } from './time-skip.js';

const idle = (s: ReturnType<typeof started>) => s.store.change((tx) => idleUntil(tx, tx.loadRun(s.runId)!));

describe('time skipping', () => {
  it('jumps to the next timer of a run nobody works on', () => {
    const s = started();
    expect(idle(s)).toBeUndefined(); // its first workflow task is pending
    decide(s.store, s.runId, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 30 * 86_400_000 }]);
    expect(idle(s)).toBe(s.store.now + 30 * 86_400_000);
  });

  it('does not jump while an activity is pending', () => {
    const s = started();
    decide(s.store, s.runId, [scheduleActivity('a'), { type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 60_000 }]);
    expect(idle(s)).toBeUndefined();
  });

  it('is on for KEEL_TIME_SKIPPING 1 and auto only', () => {
    expect([undefined, '', '0', '1', 'auto'].map(timeSkippingEnabled)).toEqual([false, false, false, true, true]);
  });
});
