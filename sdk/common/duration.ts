// Owns durations: Temporal's `Duration` (milliseconds or a human string such as '1 minute') and its
// conversion to milliseconds, with the string forms the `ms` npm package accepts.
import { ValueError } from './errors.js';

/**
 * A span of time: a number of milliseconds, or a string in the format of the `ms` package,
 * such as `'100ms'`, `'10s'`, `'1 minute'`, `'2 hours'`, `'1.5h'`, `'7 days'`, `'2 weeks'`
 * (units are case-insensitive; a string without a unit is milliseconds).
 */
export type Duration = number | string;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const YEAR = 365.25 * DAY;

/** Milliseconds per unit, for every unit spelling `ms` accepts. */
const UNITS: Record<string, number> = {
  years: YEAR, year: YEAR, yrs: YEAR, yr: YEAR, y: YEAR,
  weeks: WEEK, week: WEEK, w: WEEK,
  days: DAY, day: DAY, d: DAY,
  hours: HOUR, hour: HOUR, hrs: HOUR, hr: HOUR, h: HOUR,
  minutes: MINUTE, minute: MINUTE, mins: MINUTE, min: MINUTE, m: MINUTE,
  seconds: SECOND, second: SECOND, secs: SECOND, sec: SECOND, s: SECOND,
  milliseconds: 1, millisecond: 1, msecs: 1, msec: 1, ms: 1,
};

// A decimal number (optionally signed, so that a negative one gets a clear message), optional
// spaces, then an optional unit; the same grammar as `ms`.
const PATTERN = /^(-?(?:\d+)?\.?\d+) *([a-z]+)?$/i;

/**
 * Converts a {@link Duration} to milliseconds. The result may have a fraction (`'0.5ms'`);
 * callers that need whole milliseconds round it.
 *
 * @throws {ValueError} for a string that is not a duration, a negative duration, or a number
 * that is not finite.
 *
 * @example
 * msToNumber('1 minute'); // 60000
 * msToNumber(250); // 250
 */
export function msToNumber(duration: Duration): number {
  if (typeof duration === 'number') {
    if (!Number.isFinite(duration)) throw new ValueError(`Invalid duration: ${duration} is not a finite number of milliseconds`);
    if (duration < 0) throw new ValueError(`Invalid duration: ${duration}ms is negative`);
    return duration;
  }
  if (typeof duration !== 'string') {
    throw new ValueError(`Invalid duration: expected a number of milliseconds or a string like '10s', got ${typeof duration}`);
  }
  const text = duration.trim();
  const match = text.length <= 100 ? PATTERN.exec(text) : null;
  const unit = match ? (match[2] ?? 'ms').toLowerCase() : undefined;
  const factor = unit === undefined ? undefined : UNITS[unit];
  if (!match || factor === undefined) {
    throw new ValueError(
      `Invalid duration: '${duration}'; use milliseconds or a string like '100ms', '10s', '1 minute', '2 hours', '7 days'`,
    );
  }
  const value = Number.parseFloat(match[1]!) * factor;
  if (value < 0) throw new ValueError(`Invalid duration: '${duration}' is negative`);
  return value + 0; // turns '-0' into 0
}

/** Like {@link msToNumber}, passing `undefined` through. */
export function msOptionalToNumber(duration: Duration | undefined): number | undefined {
  return duration === undefined ? undefined : msToNumber(duration);
}
