import { describe, expect, it } from 'vitest';
import { actionWorkflowId, collectDue, describeSchedule, type StoredSchedule } from './state.js';
import { specOf } from './state.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

function schedule(extra: Partial<StoredSchedule['schedule']> = {}): StoredSchedule {
  return {
    namespace: 'default',
    scheduleId: 's',
    schedule: { spec: { intervals: [{ everyMs: HOUR }] }, action: { startWorkflow: { workflowId: 'wf', workflowType: 't', taskQueue: 'q', input: [] } }, ...extra },
    createTime: T0,
    conflictToken: 1,
    processedUntil: T0,
    buffer: [],
    running: [],
    recent: [],
    counts: { actions: 0, missedCatchupWindow: 0, overlapSkipped: 0, bufferDropped: 0 },
  };
}

describe('schedule state', () => {
  it('buffers each due time once, with the schedule\'s overlap policy', () => {
    const s = schedule({ policies: { overlapPolicy: 'BUFFER_ALL' } });
    expect(collectDue(s, specOf(s), T0 + 3 * HOUR + 1)).toBe(false);
    expect(s.buffer.map((b) => [b.nominal - T0, b.overlap])).toEqual([[HOUR, 'BUFFER_ALL'], [2 * HOUR, 'BUFFER_ALL'], [3 * HOUR, 'BUFFER_ALL']]);
    collectDue(s, specOf(s), T0 + 3 * HOUR + 1);
    expect(s.buffer).toHaveLength(3);
  });

  it('drops times that pass while paused, and stops at remaining actions', () => {
    const paused = schedule({ state: { paused: true } });
    collectDue(paused, specOf(paused), T0 + 5 * HOUR);
    expect(paused.buffer).toEqual([]);
    expect(paused.processedUntil).toBe(T0 + 5 * HOUR);
    const limited = schedule({ state: { limitedActions: true, remainingActions: 2 } });
    collectDue(limited, specOf(limited), T0 + 5 * HOUR);
    expect(limited.buffer).toHaveLength(2);
    expect(limited.schedule.state?.remainingActions).toBe(0);
    expect(describeSchedule(limited, T0 + 5 * HOUR).info.futureActionTimes).toEqual([]);
  });

  it('counts times missed past the catch-up window, and skips a long outage without walking it', () => {
    const s = schedule({ spec: { intervals: [{ everyMs: 1000 }] }, policies: { catchupWindowMs: 10_000 } });
    // A year of one-second times: one pass counts a bound of them, jumps to the window, takes those within it (11: both ends count).
    const more = collectDue(s, specOf(s), T0 + 365 * 24 * HOUR);
    expect(more).toBe(false);
    expect(s.buffer).toHaveLength(11);
    expect(s.counts.missedCatchupWindow).toBe(500);
  });

  it('names each action\'s workflow by the time in seconds, as Temporal', () => {
    expect(actionWorkflowId('report', Date.parse('2026-01-05T08:00:00.250Z'))).toBe('report-2026-01-05T08:00:00Z');
  });
});
