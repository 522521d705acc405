import { describe, expect, it } from 'vitest';
import { compileSpec, jitterFraction, upcoming, ScheduleSpecError } from './spec.js';
import { parseCronString } from './calendar.js';
import { instantsOf, toLocal } from './zoned-time.js';

const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
const at = (s: string) => Date.parse(s);
const times = (spec: Parameters<typeof compileSpec>[0], after: string, n: number) => upcoming(compileSpec(spec, 'sched'), at(after), n).map((a) => iso(a.actual));

describe('schedule spec', () => {
  it('names interval times with an offset: epoch + n × every + offset', () => {
    expect(times({ intervals: [{ everyMs: 3_600_000, offsetMs: 15 * 60_000 }] }, '2026-01-01T10:20:00Z', 3)).toEqual([
      '2026-01-01T11:15:00.000Z',
      '2026-01-01T12:15:00.000Z',
      '2026-01-01T13:15:00.000Z',
    ]);
  });

  it('names calendar times with ranges and steps, days of month and of week both matching', () => {
    // Minutes 0,20,40 of hours 9–17 every other hour (9, 11, 13, 15, 17), Mondays to Fridays.
    const spec = { calendars: [{ minute: [{ start: 0, end: 59, step: 20 }], hour: [{ start: 9, end: 17, step: 2 }], dayOfWeek: [{ start: 1, end: 5 }] }] };
    expect(times(spec, '2026-01-02T16:30:00Z', 5)).toEqual([
      '2026-01-02T17:00:00.000Z',
      '2026-01-02T17:20:00.000Z',
      '2026-01-02T17:40:00.000Z',
      // 2026-01-03 and -04 are a Saturday and a Sunday.
      '2026-01-05T09:00:00.000Z',
      '2026-01-05T09:20:00.000Z',
    ]);
    // The 13th only when it is a Friday.
    expect(times({ calendars: [{ dayOfMonth: [{ start: 13 }], dayOfWeek: [{ start: 5 }] }] }, '2026-01-01T00:00:00Z', 2)).toEqual(['2026-02-13T00:00:00.000Z', '2026-03-13T00:00:00.000Z']);
  });

  it('reads calendars in the time zone, matching clock times literally across daylight-saving changes, as Temporal', () => {
    const spec = { calendars: [{ hour: [{ start: 2 }], minute: [{ start: 30 }] }], timezone: 'America/New_York' };
    // 2026-03-08: clocks go from 02:00 EST to 03:00 EDT; there is no 02:30 that day, so no action.
    expect(times(spec, '2026-03-07T00:00:00Z', 3)).toEqual([
      '2026-03-07T07:30:00.000Z', // 02:30 EST
      '2026-03-09T06:30:00.000Z', // 02:30 EDT
      '2026-03-10T06:30:00.000Z',
    ]);
    // 2026-11-01: clocks go from 02:00 EDT back to 01:00 EST; 01:30 happens twice, and so does the action.
    const back = { calendars: [{ hour: [{ start: 1 }], minute: [{ start: 0, end: 59, step: 30 }] }], timezone: 'America/New_York' };
    expect(times(back, '2026-10-31T12:00:00Z', 6)).toEqual([
      '2026-11-01T05:00:00.000Z', // 01:00 EDT
      '2026-11-01T05:30:00.000Z', // 01:30 EDT
      '2026-11-01T06:00:00.000Z', // 01:00 EST
      '2026-11-01T06:30:00.000Z', // 01:30 EST
      '2026-11-02T06:00:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ]);
    // Starting inside the repeated hour finds the second 01:00 and 01:30, not the ones that passed.
    expect(times(back, '2026-11-01T05:40:00Z', 2)).toEqual(['2026-11-01T06:00:00.000Z', '2026-11-01T06:30:00.000Z']);
  });

  it('leaves out times a skip calendar matches, and keeps to start and end times', () => {
    const spec = {
      calendars: [{ hour: [{ start: 12 }] }],
      skip: [{ dayOfWeek: [{ start: 0 }, { start: 6 }], hour: [{ start: 0, end: 23 }] }],
      startTime: at('2026-01-05T00:00:00Z'),
      endTime: at('2026-01-13T00:00:00Z'),
    };
    expect(times(spec, '2026-01-01T00:00:00Z', 10)).toEqual([
      '2026-01-05T12:00:00.000Z',
      '2026-01-06T12:00:00.000Z',
      '2026-01-07T12:00:00.000Z',
      '2026-01-08T12:00:00.000Z',
      '2026-01-09T12:00:00.000Z',
      '2026-01-12T12:00:00.000Z',
    ]);
  });

  it('jitters each action the same way for the same time, and never past the next one', () => {
    const spec = { intervals: [{ everyMs: 60_000 }], jitterMs: 10 * 60_000 };
    const a = upcoming(compileSpec(spec, 's1'), at('2026-01-01T00:00:00Z'), 20);
    const b = upcoming(compileSpec(spec, 's1'), at('2026-01-01T00:00:00Z'), 20);
    expect(a).toEqual(b);
    for (const x of a) {
      expect(x.actual - x.nominal).toBeGreaterThanOrEqual(0);
      expect(x.actual - x.nominal).toBeLessThan(60_000);
    }
    expect(new Set(a.map((x) => x.actual - x.nominal)).size).toBeGreaterThan(10);
    expect(jitterFraction('s1', 1)).not.toBe(jitterFraction('s2', 1));
  });

  it('takes cron strings: 5, 6 and 7 fields, names, descriptors, @every with offset, CRON_TZ', () => {
    expect(times({ cronStrings: ['30 9 * * MON-FRI'] }, '2026-01-02T10:00:00Z', 1)).toEqual(['2026-01-05T09:30:00.000Z']);
    expect(times({ cronStrings: ['15 30 10 * * * 2027'] }, '2026-01-01T00:00:00Z', 1)).toEqual(['2027-01-01T10:30:15.000Z']);
    expect(times({ cronStrings: ['0 0 1 JAN * 2028'] }, '2026-01-01T00:00:00Z', 1)).toEqual(['2028-01-01T00:00:00.000Z']);
    expect(times({ cronStrings: ['@daily # every midnight'] }, '2026-01-01T10:00:00Z', 1)).toEqual(['2026-01-02T00:00:00.000Z']);
    expect(times({ cronStrings: ['@every 1h/5m'] }, '2026-01-01T10:10:00Z', 1)).toEqual(['2026-01-01T11:05:00.000Z']);
    expect(times({ cronStrings: ['CRON_TZ=Europe/Paris 0 9 * * *'] }, '2026-07-01T00:00:00Z', 1)).toEqual(['2026-07-01T07:00:00.000Z']);
    expect(parseCronString('*/15 * * * *')).toEqual({ calendar: expect.objectContaining({ minute: [{ start: 0, end: 59, step: 15 }], hour: [{ start: 0, end: 23 }] }) });
  });

  it('refuses a bad spec with a message naming the part', () => {
    expect(() => compileSpec({ cronStrings: ['61 * * * *'] }, 's')).toThrow(ScheduleSpecError);
    expect(() => compileSpec({ cronStrings: ['61 * * * *'] }, 's')).toThrow(/minute/);
    expect(() => compileSpec({ timezone: 'Mars/Olympus' }, 's')).toThrow(/IANA/);
    expect(() => compileSpec({ calendars: [{ hour: [{ start: 25 }] }] }, 's')).toThrow(/hour/);
    expect(() => compileSpec({ intervals: [{ everyMs: 500 }] }, 's')).toThrow(/at least 1 s/);
  });

  it('maps local times to instants in a zone both ways', () => {
    const t = at('2026-06-15T10:00:00Z');
    expect(iso(toLocal(t, 'Asia/Kolkata'))).toBe('2026-06-15T15:30:00.000Z');
    expect(instantsOf(toLocal(t, 'Asia/Kolkata'), 'Asia/Kolkata')).toEqual([t]);
  });
});
