/**
 * Calendar specs as Temporal's schedules read them (StructuredCalendarSpec): for each of second,
 * minute, hour, day of month, month, year and day of week a list of ranges `{ start, end, step }`;
 * a time matches when every field matches. A field left out is 0 for second, minute and hour and
 * "any" for the others, as Temporal's defaults. Pure: matching is on local wall-clock fields (see
 * zoned-time.ts); the caller converts.
 */

/** One range of values: start..end (end defaults to start) every step (default 1). */
export interface CalendarRange {
  start: number;
  end?: number | undefined;
  step?: number | undefined;
}

/** Temporal's StructuredCalendarSpec: months 1–12, days of week 0–6 (Sunday 0). */
export interface StructuredCalendar {
  second?: CalendarRange[] | undefined;
  minute?: CalendarRange[] | undefined;
  hour?: CalendarRange[] | undefined;
  dayOfMonth?: CalendarRange[] | undefined;
  month?: CalendarRange[] | undefined;
  year?: CalendarRange[] | undefined;
  dayOfWeek?: CalendarRange[] | undefined;
  comment?: string | undefined;
}

/** Why a calendar or cron string was refused; the message names the field. */
export class CalendarSpecError extends Error {
  override readonly name = 'CalendarSpecError';
}

interface FieldBounds {
  name: keyof Omit<StructuredCalendar, 'comment'>;
  min: number;
  max: number;
  /** The value when the field is left out: 0, or undefined for "any". */
  defaultValue: number | undefined;
}

export const CALENDAR_FIELDS: readonly FieldBounds[] = [
  { name: 'second', min: 0, max: 59, defaultValue: 0 },
  { name: 'minute', min: 0, max: 59, defaultValue: 0 },
  { name: 'hour', min: 0, max: 23, defaultValue: 0 },
  { name: 'dayOfMonth', min: 1, max: 31, defaultValue: undefined },
  { name: 'month', min: 1, max: 12, defaultValue: undefined },
  { name: 'year', min: 1970, max: 9999, defaultValue: undefined },
  { name: 'dayOfWeek', min: 0, max: 6, defaultValue: undefined },
];

/** A field as a membership test; `undefined` ranges match everything. */
type Matcher = (v: number) => boolean;

function compileField(ranges: CalendarRange[] | undefined, f: FieldBounds): Matcher {
  const list = ranges && ranges.length > 0 ? ranges : f.defaultValue === undefined ? undefined : [{ start: f.defaultValue }];
  if (!list) return () => true;
  for (const r of list) {
    const end = r.end ?? r.start;
    const step = r.step ?? 1;
    const bad = (why: string) => new CalendarSpecError(`calendar ${f.name} range ${JSON.stringify(r)}: ${why}`);
    if (!Number.isInteger(r.start) || !Number.isInteger(end) || !Number.isInteger(step)) throw bad('start, end and step are whole numbers.');
    if (step < 1) throw bad('step is at least 1.');
    if (r.start < f.min || end > f.max) throw bad(`values are ${f.min}–${f.max}.`);
    if (end < r.start) throw bad(`end (${end}) is before start (${r.start}).`);
  }
  return (v) => list.some((r) => v >= r.start && v <= (r.end ?? r.start) && (v - r.start) % (r.step ?? 1) === 0);
}

/** A compiled calendar: matches local times and finds the next one. */
export interface CompiledCalendar {
  /** Whether local wall time `local` (whole seconds) matches. */
  matches(local: number): boolean;
  /** The first local time at or after `local` that matches, or undefined before `limit`. */
  nextAtOrAfter(local: number, limit: number): number | undefined;
}

/**
 * Compiles a calendar.
 *
 * @throws {CalendarSpecError} naming the field that is wrong.
 */
export function compileCalendar(spec: StructuredCalendar): CompiledCalendar {
  const m = Object.fromEntries(CALENDAR_FIELDS.map((f) => [f.name, compileField(spec[f.name], f)])) as Record<FieldBounds['name'], Matcher>;
  const dayMatches = (d: Date) => m.dayOfMonth(d.getUTCDate()) && m.dayOfWeek(d.getUTCDay());
  const matches = (local: number) => {
    const d = new Date(local);
    return m.year(d.getUTCFullYear()) && m.month(d.getUTCMonth() + 1) && dayMatches(d) && m.hour(d.getUTCHours()) && m.minute(d.getUTCMinutes()) && m.second(d.getUTCSeconds());
  };
  return {
    matches,
    nextAtOrAfter(from, limit) {
      let t = Math.ceil(from / 1000) * 1000;
      // Each step moves to the start of the next year, month, day, hour, minute or second that can
      // match, so a search costs at most a few thousand steps a year even for rare calendars.
      while (t <= limit) {
        const d = new Date(t);
        const [y, mo, day, h, mi] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()];
        if (!m.year(y)) t = Date.UTC(y + 1, 0, 1);
        else if (!m.month(mo + 1)) t = Date.UTC(y, mo + 1, 1);
        else if (!dayMatches(d)) t = Date.UTC(y, mo, day + 1);
        else if (!m.hour(h)) t = Date.UTC(y, mo, day, h + 1);
        else if (!m.minute(mi)) t = Date.UTC(y, mo, day, h, mi + 1);
        else if (!m.second(d.getUTCSeconds())) t += 1000;
        else return t;
      }
      return undefined;
    },
  };
}

// ---- Cron strings ---------------------------------------------------------------------

/** What a cron string stands for: a calendar, or an interval (`@every`), and its CRON_TZ zone. */
export type ParsedCron = { calendar: StructuredCalendar; timezone?: string } | { interval: { everyMs: number; offsetMs: number }; timezone?: string };

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function parseGoDuration(text: string, whole: string): number {
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(text)) throw new CalendarSpecError(`cron string '${whole}': '${text}' is not a duration such as 30s, 15m or 1h30m.`);
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(n) * UNITS[unit!]!;
  return Math.round(ms);
}

/**
 * Parses a cron string as Temporal's schedules do: 5 fields (minute hour day-of-month month
 * day-of-week), 6 (… year) or 7 (second … year); `*`, `?`, lists, ranges, steps and names;
 * `@hourly`-style descriptors; `@every <duration>[/<offset>]`; a leading `CRON_TZ=<zone>` (or
 * `TZ=`); and a `#` comment at the end. Days of month and of week must both match.
 *
 * @throws {CalendarSpecError} naming the part that is wrong.
 */
export function parseCronString(text: string): ParsedCron {
  let spec = text.replace(/#.*$/, '').trim();
  let timezone: string | undefined;
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(spec);
  if (tz) {
    timezone = tz[1];
    spec = spec.slice(tz[0].length);
  }
  const withZone = <T extends object>(v: T) => (timezone ? { ...v, timezone } : v);
  if (spec.startsWith('@every')) {
    const [every, offset] = spec.slice('@every'.length).trim().split('/');
    const everyMs = parseGoDuration(every ?? '', text);
    if (everyMs < 1000) throw new CalendarSpecError(`cron string '${text}': '@every' needs at least 1s.`);
    return withZone({ interval: { everyMs, offsetMs: offset ? parseGoDuration(offset, text) : 0 } });
  }
  if (spec.startsWith('@')) {
    const expanded = DESCRIPTORS[spec.toLowerCase()];
    if (!expanded) throw new CalendarSpecError(`cron string '${text}': unknown descriptor '${spec}'; use one of ${Object.keys(DESCRIPTORS).join(', ')} or '@every <duration>'.`);
    spec = expanded;
  }
  const parts = spec.split(/\s+/);
  if (parts.length < 5 || parts.length > 7) throw new CalendarSpecError(`cron string '${text}' has ${parts.length} field(s); it takes 5 (minute hour day-of-month month day-of-week), 6 (… year) or 7 (second … year).`);
  if (parts.length < 7) parts.unshift('0');
  if (parts.length < 7) parts.push('*');
  const [second, minute, hour, dayOfMonth, month, dayOfWeek, year] = parts as [string, string, string, string, string, string, string];
  const field = (name: FieldBounds['name'], value: string, names?: string[]) => parseCronField(value, CALENDAR_FIELDS.find((f) => f.name === name)!, text, names);
  const calendar: StructuredCalendar = {
    second: field('second', second),
    minute: field('minute', minute),
    hour: field('hour', hour),
    dayOfMonth: field('dayOfMonth', dayOfMonth),
    month: field('month', month, MONTHS),
    dayOfWeek: field('dayOfWeek', dayOfWeek, DAYS),
    year: field('year', year),
  };
  compileCalendar(calendar);
  return withZone({ calendar });
}

function parseCronField(part: string, f: FieldBounds, text: string, names?: string[]): CalendarRange[] {
  const out: CalendarRange[] = [];
  const bad = (why: string) => new CalendarSpecError(`cron string '${text}': ${f.name} '${part}' ${why}`);
  const value = (token: string) => {
    const named = names?.indexOf(token.slice(0, 3).toUpperCase()) ?? -1;
    if (named >= 0 && /^[a-z]+$/i.test(token)) return named + (f.name === 'month' ? 1 : 0);
    if (!/^\d+$/.test(token)) throw bad(`has '${token}', which is not a number${names ? ' or a name' : ''}.`);
    const v = Number(token);
    // Sunday is 0 or 7, as in most crons.
    if (f.name === 'dayOfWeek' && v === 7) return 0;
    if (v < f.min || v > f.max) throw bad(`has ${v}, outside ${f.min}–${f.max}.`);
    return v;
  };
  for (const item of part.split(',')) {
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined || !range) throw bad('is not a value, range or step.');
    if (stepText !== undefined && !/^[1-9]\d*$/.test(stepText)) throw bad(`has step '${stepText}'; a step is a positive whole number.`);
    const step = stepText === undefined ? undefined : Number(stepText);
    let start: number;
    let end: number;
    if (range === '*' || range === '?') {
      if (step === undefined) continue; // "any": the field is left out below
      [start, end] = [f.min, f.name === 'year' ? 2100 : f.max];
    } else {
      const [a, b, more] = range.split('-');
      if (more !== undefined) throw bad('has a range with more than two ends.');
      start = value(a!);
      end = b === undefined ? (step === undefined ? start : f.name === 'year' ? 2100 : f.max) : value(b);
    }
    out.push({ start, end, ...(step ? { step } : {}) });
  }
  // `*` matches everything: an empty list for the "any" fields, every value for second/minute/hour.
  if (out.length === 0) return f.defaultValue === undefined ? [] : [{ start: f.min, end: f.max }];
  return out;
}
