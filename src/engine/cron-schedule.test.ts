import { describe, expect, it } from 'vitest';
import { CronScheduleError, cronBackoffMs, parseCronSchedule } from './cron-schedule.js';

const at = (iso: string) => Date.parse(iso);
const next = (spec: string, after: string) => {
  const t = parseCronSchedule(spec).nextAtOrAfter(at(after), at(after) + 1);
  return t === undefined ? undefined : new Date(t).toISOString();
};

describe('cron schedules', () => {
  it('fires on the next minute that every field allows, in UTC', () => {
    expect(next('* * * * *', '2026-01-01T10:00:30Z')).toBe('2026-01-01T10:01:00.000Z');
    expect(next('*/15 * * * *', '2026-01-01T10:16:00Z')).toBe('2026-01-01T10:30:00.000Z');
    expect(next('30 9 * * *', '2026-01-01T10:00:00Z')).toBe('2026-01-02T09:30:00.000Z');
    expect(next('0 0 1 JAN *', '2026-03-01T00:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('0 12 * * MON-FRI', '2026-11-21T13:00:00Z')).toBe('2026-11-23T12:00:00.000Z'); // Saturday → Monday
    expect(next('5,10 1-2 * * *', '2026-01-01T01:07:00Z')).toBe('2026-01-01T01:10:00.000Z');
  });

  it('matches either day field when both are restricted, and both when one is *', () => {
    // 2026-11-22 is a Sunday; the 25th is a Wednesday.
    expect(next('0 0 25 * SUN', '2026-11-21T12:00:00Z')).toBe('2026-11-22T00:00:00.000Z');
    expect(next('0 0 25 * *', '2026-11-21T12:00:00Z')).toBe('2026-11-25T00:00:00.000Z');
    expect(next('0 0 */2 * SUN', '2026-11-21T12:00:00Z')).toBe('2026-11-22T00:00:00.000Z');
  });

  it('reads the descriptors and @every, which counts from the anchor', () => {
    expect(next('@hourly', '2026-01-01T10:20:00Z')).toBe('2026-01-01T11:00:00.000Z');
    expect(next('@daily', '2026-01-01T10:20:00Z')).toBe('2026-01-02T00:00:00.000Z');
    expect(next('@weekly', '2026-11-22T10:00:00Z')).toBe('2026-11-29T00:00:00.000Z');
    const every = parseCronSchedule('@every 1h30m');
    expect(every.nextAtOrAfter(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:00Z') + 1)).toBe(at('2026-01-01T01:30:00Z'));
    expect(every.nextAtOrAfter(at('2026-01-01T00:00:00Z'), at('2026-01-01T02:00:00Z'))).toBe(at('2026-01-01T03:00:00Z'));
  });

  it('computes the back-off to the first firing not before the close', () => {
    const s = parseCronSchedule('0 * * * *');
    expect(cronBackoffMs(s, at('2026-01-01T10:00:00Z'), at('2026-01-01T10:00:00Z'))).toBe(3_600_000);
    expect(cronBackoffMs(s, at('2026-01-01T10:00:00Z'), at('2026-01-01T12:30:00Z'))).toBe(1_800_000);
    expect(cronBackoffMs(parseCronSchedule('0 0 30 2 *'), 0, 0)).toBeUndefined();
  });

  it('refuses a bad schedule, naming the part that is wrong', () => {
    const refused = (spec: string) => {
      try {
        parseCronSchedule(spec);
      } catch (e) {
        expect(e).toBeInstanceOf(CronScheduleError);
        return (e as Error).message;
      }
      throw new Error(`'${spec}' was accepted`);
    };
    expect(refused('* * * *')).toContain('it takes 5');
    expect(refused('60 * * * *')).toContain("minute '60' has 60, outside 0–59");
    expect(refused('* * * FOO *')).toContain("month 'FOO'");
    expect(refused('* * * * 1-9')).toContain('dayOfWeek');
    expect(refused('*/0 * * * *')).toContain('step');
    expect(refused('@fortnightly')).toContain('unknown descriptor');
    expect(refused('@every soon')).toContain('duration');
    expect(refused('@every 1h/5m')).toContain('no offset');
    expect(refused('CRON_TZ=Mars/Olympus 0 * * * *')).toContain('Mars/Olympus');
  });

  it('reads a CRON_TZ zone: clock times in that zone, across its clock changes', () => {
    // Paris is UTC+1 in winter and UTC+2 in summer (clocks go forward on 2026-03-29).
    expect(next('CRON_TZ=Europe/Paris 0 9 * * *', '2026-01-01T00:00:00Z')).toBe('2026-01-01T08:00:00.000Z');
    expect(next('TZ=Europe/Paris 0 9 * * *', '2026-03-29T00:00:00Z')).toBe('2026-03-29T07:00:00.000Z');
    expect(next('CRON_TZ=America/New_York 30 17 * * FRI', '2026-11-21T00:00:00Z')).toBe('2026-11-27T22:30:00.000Z');
  });
});
