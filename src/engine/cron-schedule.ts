/**
 * Cron schedules as Temporal reads them (its server uses robfig/cron with five fields and
 * descriptors): `minute hour day-of-month month day-of-week` in UTC, with `*`, `?`, lists, ranges,
 * steps and month/day names, plus `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`,
 * `@midnight`, `@hourly` and `@every <Go duration>`. Pure: the service asks it for times, the clock
 * is the caller's.
 *
 * Ours rather than a dependency: the service needs only parse and "next time after", the popular
 * packages parse six-field and seconds-first dialects or need `Intl` time zones, and the rules that
 * must match Temporal's (day-of-month OR day-of-week unless one is `*`; `@every` anchored on the
 * run's start) are easier to keep right in 150 lines we own.
 */

/** A schedule the service can ask for the next times it fires. */
export interface CronSchedule {
  /**
   * The first firing time at or after `notBefore` (ms), counting from `anchor`, the time the
   * previous firing was due: `@every` fires at anchor + k × interval; field schedules ignore the
   * anchor. Undefined when the schedule never fires again (within five years, as robfig/cron).
   */
  nextAtOrAfter(anchor: number, notBefore: number): number | undefined;
}

/** Why a schedule was refused; `message` says which part and what is allowed. */
export class CronScheduleError extends Error {
  override readonly name = 'CronScheduleError';
}

const MINUTE = 60_000;
const SEARCH_LIMIT_MS = 5 * 366 * 24 * 60 * MINUTE;

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day of week', min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

/** One field: the values it allows, and whether it was `*`/`?` (which changes how days combine). */
interface Field {
  values: Set<number>;
  star: boolean;
}

/**
 * Parses a schedule.
 *
 * @throws {CronScheduleError} naming the part that is wrong.
 */
export function parseCronSchedule(text: string): CronSchedule {
  const spec = text.trim();
  if (spec.startsWith('@every')) return everySchedule(spec.slice('@every'.length).trim(), text);
  if (spec.startsWith('@')) {
    const expanded = DESCRIPTORS[spec.toLowerCase()];
    if (!expanded) throw new CronScheduleError(`cron schedule '${text}': unknown descriptor '${spec}'; use one of ${Object.keys(DESCRIPTORS).join(', ')} or '@every <duration>'.`);
    return fieldSchedule(expanded, text);
  }
  if (/^(CRON_)?TZ=/.test(spec)) throw new CronScheduleError(`cron schedule '${text}': time zones are not supported; Keel reads cron schedules in UTC.`);
  return fieldSchedule(spec, text);
}

function fieldSchedule(spec: string, text: string): CronSchedule {
  const parts = spec.split(/\s+/);
  if (parts.length !== 5) {
    throw new CronScheduleError(`cron schedule '${text}' has ${parts.length} field(s); it needs 5 (minute hour day-of-month month day-of-week) or a descriptor such as '@hourly'.`);
  }
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, FIELDS[i]!, text)) as [Field, Field, Field, Field, Field];
  const dayMatches = (d: Date): boolean => {
    const inDom = dom.values.has(d.getUTCDate());
    const inDow = dow.values.has(d.getUTCDay());
    // robfig/cron (and so Temporal): when both day fields are restricted, either may match.
    return dom.star || dow.star ? inDom && inDow : inDom || inDow;
  };
  return {
    nextAtOrAfter(_anchor, notBefore) {
      // Whole minutes only: the first candidate is notBefore rounded up to a minute.
      let t = Math.ceil(notBefore / MINUTE) * MINUTE;
      const limit = notBefore + SEARCH_LIMIT_MS;
      while (t <= limit) {
        const d = new Date(t);
        if (!month.values.has(d.getUTCMonth() + 1)) {
          t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
        } else if (!dayMatches(d)) {
          t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
        } else if (!hour.values.has(d.getUTCHours())) {
          t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
        } else if (!minute.values.has(d.getUTCMinutes())) {
          t += MINUTE;
        } else {
          return t;
        }
      }
      return undefined;
    },
  };
}

function parseField(part: string, spec: FieldSpec, text: string): Field {
  const values = new Set<number>();
  let star = false;
  const bad = (why: string) => new CronScheduleError(`cron schedule '${text}': ${spec.name} field '${part}' ${why}`);
  for (const item of part.split(',')) {
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined || range === undefined || range === '') throw bad('is not a value, range or step.');
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) throw bad(`has step '${stepText}'; a step is a positive whole number.`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      [lo, hi] = [spec.min, spec.max];
      // robfig/cron: `*/n` with n > 1 counts as a restricted field when combining the two day fields.
      if (step === 1) star = true;
    } else {
      const [a, b, more] = range.split('-');
      if (more !== undefined) throw bad('has a range with more than two ends.');
      lo = parseValue(a!, spec, bad);
      hi = b === undefined ? (stepText === undefined ? lo : spec.max) : parseValue(b, spec, bad);
      if (hi < lo) throw bad(`is a range that ends (${hi}) before it begins (${lo}).`);
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, star };
}

function parseValue(token: string, spec: FieldSpec, bad: (why: string) => CronScheduleError): number {
  const named = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0) return named + spec.min;
  if (!/^\d+$/.test(token)) throw bad(`has '${token}', which is not a number${spec.names ? ' or a name' : ''}.`);
  const v = Number(token);
  if (v < spec.min || v > spec.max) throw bad(`has ${v}, outside ${spec.min}–${spec.max}.`);
  return v;
}

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: MINUTE, h: 60 * MINUTE };

function everySchedule(durationText: string, text: string): CronSchedule {
  const match = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/.exec(durationText);
  if (!match) throw new CronScheduleError(`cron schedule '${text}': '@every' takes a duration such as 30s, 15m or 1h30m.`);
  let ms = 0;
  for (const [, n, unit] of durationText.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(n) * GO_UNITS[unit!]!;
  // robfig/cron: at least one second, in whole seconds.
  const interval = Math.max(1000, Math.floor(ms / 1000) * 1000);
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
