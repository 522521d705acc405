/**
 * A schedule's spec as Temporal's: the times it names are the union of its calendars, cron strings
 * and intervals, minus those its skip calendars match, between its start and end time; each is then
 * delayed by a jitter. Calendars, cron strings and skips are read in the spec's time zone. Pure: the
 * schedule object asks it for times; the clock is the caller's.
 */
import { compileCalendar, parseCronString, CalendarSpecError, type CompiledCalendar, type StructuredCalendar } from './calendar.js';
import { checkTimeZone, instantsOf, offsetAt, toLocal, TimeZoneError } from './zoned-time.js';

export interface IntervalSpec {
  /** The period, ms (at least 1 s). */
  everyMs: number;
  /** Where in the period: times are epoch + n × everyMs + offsetMs. */
  offsetMs?: number | undefined;
}

/** The spec as the wire carries it (see protocol/schedules.ts). */
export interface ScheduleSpecInput {
  calendars?: StructuredCalendar[] | undefined;
  intervals?: IntervalSpec[] | undefined;
  cronStrings?: string[] | undefined;
  skip?: StructuredCalendar[] | undefined;
  /** ms since the epoch: no time before it. */
  startTime?: number | undefined;
  /** ms since the epoch: no time after it. */
  endTime?: number | undefined;
  /** Each action is delayed by a random amount below this, the same for the same time. */
  jitterMs?: number | undefined;
  /** IANA name; default UTC. */
  timezone?: string | undefined;
}

/** Thrown for a spec the service refuses; the message says which part. */
export class ScheduleSpecError extends Error {
  override readonly name = 'ScheduleSpecError';
}

/** One action time: when the spec names it (nominal) and when it is due (actual, with jitter). */
export interface ActionTime {
  nominal: number;
  actual: number;
}

export interface CompiledSpec {
  /** The first nominal time strictly after `after`, or undefined when the spec names no more. */
  nextNominal(after: number): number | undefined;
  /** The next action time whose nominal time is strictly after `after`. */
  next(after: number): ActionTime | undefined;
}

/** How far ahead one search looks for a calendar match (Temporal's schedules look years ahead too). */
const SEARCH_YEARS_MS = 10 * 366 * 86_400_000;
/** More than any clock change (Lord Howe's is 30 min, the usual one hour). */
const DST_SLACK_MS = 3 * 3_600_000;

/**
 * Compiles a spec; `seed` (the schedule id) makes jitter differ between schedules and stay the same
 * for one schedule's same time across restarts.
 *
 * @throws {ScheduleSpecError} naming what is wrong.
 */
export function compileSpec(input: ScheduleSpecInput, seed: string): CompiledSpec {
  try {
    return compile(input, seed);
  } catch (err) {
    if (err instanceof CalendarSpecError || err instanceof TimeZoneError) throw new ScheduleSpecError(err.message);
    throw err;
  }
}

function compile(input: ScheduleSpecInput, seed: string): CompiledSpec {
  let zone = input.timezone || 'UTC';
  checkTimeZone(zone);
  const calendars: CompiledCalendar[] = (input.calendars ?? []).map(compileCalendar);
  const intervals: IntervalSpec[] = [...(input.intervals ?? [])];
  for (const text of input.cronStrings ?? []) {
    const parsed = parseCronString(text);
    if (parsed.timezone && parsed.timezone !== zone) {
      if (input.timezone && input.timezone !== 'UTC') throw new ScheduleSpecError(`cron string '${text}' names time zone ${parsed.timezone} but the spec's is ${input.timezone}; use one zone.`);
      checkTimeZone(parsed.timezone);
      zone = parsed.timezone;
    }
    if ('calendar' in parsed) calendars.push(compileCalendar(parsed.calendar));
    else intervals.push(parsed.interval);
  }
  for (const i of intervals) {
    if (!Number.isInteger(i.everyMs) || i.everyMs < 1000) throw new ScheduleSpecError(`interval every ${i.everyMs} ms: an interval is at least 1 s.`);
    if (i.offsetMs !== undefined && (i.offsetMs < 0 || i.offsetMs >= i.everyMs)) throw new ScheduleSpecError(`interval offset ${i.offsetMs} ms: an offset is at least 0 and less than the interval (${i.everyMs} ms).`);
  }
  const skips = (input.skip ?? []).map(compileCalendar);
  if (input.startTime !== undefined && input.endTime !== undefined && input.endTime < input.startTime) throw new ScheduleSpecError('endTime is before startTime.');
  const jitterMs = input.jitterMs ?? 0;

  // The first time strictly after `after` named by a calendar or an interval, skips ignored.
  const candidate = (after: number): number | undefined => {
    let best: number | undefined;
    for (const i of intervals) {
      const offset = i.offsetMs ?? 0;
      const t = Math.floor((after - offset) / i.everyMs) * i.everyMs + offset + i.everyMs;
      if (best === undefined || t < best) best = t;
    }
    if (calendars.length > 0) {
      // Calendars name whole seconds, matched on local clock times. Where the clocks went back
      // shortly before `after`, a local time earlier than after's own may still come again, so the
      // search starts that much earlier; a local time names its instants in order (instantsOf).
      const from = Math.floor(after / 1000) * 1000 + 1000;
      const steady = (t: number) => offsetAt(t - DST_SLACK_MS, zone) === offsetAt(t + DST_SLACK_MS, zone);
      for (const c of calendars) {
        let local = toLocal(from, zone) - (steady(from) ? 0 : DST_SLACK_MS);
        let found: number | undefined;
        for (let guard = 0; guard < 20_000; guard++) {
          const match = c.nextAtOrAfter(local, local + SEARCH_YEARS_MS);
          if (match === undefined) break;
          // Past the first instant found by more than any clock change: nothing later comes before it.
          if (found !== undefined && (steady(found) || match > toLocal(found, zone) + DST_SLACK_MS)) break;
          for (const t of instantsOf(match, zone)) if (t > after && (found === undefined || t < found)) found = t;
          local = match + 1000;
        }
        if (found !== undefined && (best === undefined || found < best)) best = found;
      }
    }
    return best;
  };
  const skipped = (t: number) => skips.length > 0 && skips.some((s) => s.matches(toLocal(Math.floor(t / 1000) * 1000, zone)));

  const nextNominal = (after: number): number | undefined => {
    let from = input.startTime !== undefined ? Math.max(after, input.startTime - 1) : after;
    for (let guard = 0; guard < 100_000; guard++) {
      const t = candidate(from);
      if (t === undefined || (input.endTime !== undefined && t > input.endTime)) return undefined;
      if (!skipped(t)) return t;
      from = t;
    }
    return undefined;
  };

  return {
    nextNominal,
    next(after) {
      const nominal = nextNominal(after);
      if (nominal === undefined) return undefined;
      if (jitterMs <= 0) return { nominal, actual: nominal };
      // As Temporal: the jitter never carries an action past the next one's nominal time.
      const following = nextNominal(nominal);
      const bound = following === undefined ? jitterMs : Math.min(jitterMs, following - nominal);
      return { nominal, actual: nominal + Math.floor(jitterFraction(seed, nominal) * bound) };
    },
  };
}

/** A number in [0, 1) from the seed and the time: the same inputs give the same jitter (FNV-1a). */
export function jitterFraction(seed: string, nominal: number): number {
  let h = 0x811c9dc5;
  const text = `${seed}@${nominal}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // One more mixing round: FNV's low bits vary little for inputs that differ only at the end.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return (h >>> 0) / 2 ** 32;
}

/** The next `count` action times after `after`. */
export function upcoming(spec: CompiledSpec, after: number, count: number): ActionTime[] {
  const out: ActionTime[] = [];
  let t = after;
  while (out.length < count) {
    const a = spec.next(t);
    if (!a) break;
    out.push(a);
    t = a.nominal;
  }
  return out;
}
