/**
 * A workflow's `cronSchedule` as Temporal's server reads it (robfig/cron's standard parser): five
 * fields `minute hour day-of-month month day-of-week`, descriptors such as `@hourly`,
 * `@every <duration>`, and a leading `CRON_TZ=<zone>` (default UTC). The text is parsed by the
 * schedules' cron parser (src/schedules/calendar.ts), so both read the same syntax; two rules of
 * robfig's differ from Temporal's schedules and are applied here:
 *
 * - when both day fields are restricted, either may match (schedules need both): the calendar is
 *   split into one per day field, and the spec fires on their union;
 * - `@every` counts from the previous firing (the run's due time), in whole seconds, not from the
 *   epoch.
 *
 * Pure: the service asks it for times; the clock is the caller's.
 */
import { CalendarSpecError, parseCronString, type StructuredCalendar } from '../schedules/calendar.js';
import { compileSpec, ScheduleSpecError } from '../schedules/spec.js';

/** A schedule the service can ask for the next times it fires. */
export interface CronSchedule {
  /**
   * The first firing time at or after `notBefore` (ms), counting from `anchor`, the time the
   * previous firing was due: `@every` fires at anchor + k × interval; field schedules ignore the
   * anchor. Undefined when the schedule never fires again (within ten years).
   */
  nextAtOrAfter(anchor: number, notBefore: number): number | undefined;
}

/** Why a schedule was refused; `message` says which part and what is allowed. */
export class CronScheduleError extends Error {
  override readonly name = 'CronScheduleError';
}

/**
 * Parses a schedule.
 *
 * @throws {CronScheduleError} naming the part that is wrong.
 */
export function parseCronSchedule(text: string): CronSchedule {
  try {
    const parsed = parseCronString(text);
    if ('interval' in parsed) {
      if (parsed.interval.offsetMs !== 0) throw new CronScheduleError(`cron schedule '${text}': '@every' in a workflow's cron schedule takes no offset; it counts from the previous run.`);
      return everySchedule(parsed.interval.everyMs);
    }
    const spec = compileSpec({ calendars: eitherDay(parsed.calendar), timezone: parsed.timezone }, text);
    return { nextAtOrAfter: (_anchor, notBefore) => spec.nextNominal(notBefore - 1) };
  } catch (err) {
    if (err instanceof CalendarSpecError || err instanceof ScheduleSpecError) throw new CronScheduleError(err.message);
    throw err;
  }
}

/** robfig/cron: with both day fields restricted, a day matches if either does. */
function eitherDay(calendar: StructuredCalendar): StructuredCalendar[] {
  if (!calendar.dayOfMonth?.length || !calendar.dayOfWeek?.length) return [calendar];
  return [
    { ...calendar, dayOfWeek: undefined },
    { ...calendar, dayOfMonth: undefined },
  ];
}

function everySchedule(everyMs: number): CronSchedule {
  // robfig/cron: whole seconds.
  const interval = Math.floor(everyMs / 1000) * 1000;
  return {
    nextAtOrAfter(anchor, notBefore) {
      const first = Math.floor(anchor / 1000) * 1000 + interval;
      if (first >= notBefore) return first;
      return first + Math.ceil((notBefore - first) / interval) * interval;
    },
  };
}

/**
 * How long after `closeTime` the chain's next run starts, as Temporal's server computes it: the
 * first firing after the closing run's due time (`executionTime`, its first task's schedule) that
 * is not before its close. For a first run, pass the start time for both.
 */
export function cronBackoffMs(schedule: CronSchedule, executionTime: number, closeTime: number): number | undefined {
  const next = schedule.nextAtOrAfter(executionTime, Math.max(closeTime, executionTime + 1));
  return next === undefined ? undefined : next - closeTime;
}
