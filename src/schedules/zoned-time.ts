/**
 * Wall-clock time in an IANA time zone (Intl, which workerd and Node ship with the tz database):
 * an instant's local fields, and the instant of a local time. Pure; schedules compute calendars in
 * their zone with these.
 *
 * Around a daylight-saving change a local time can happen twice or not at all. Twice (clocks go
 * back): the earlier instant is taken, so a calendar fires once. Not at all (clocks go forward): the
 * moment the clock jumps is taken, so an action at 02:30 on a day that skips 02:00–03:00 runs at
 * 03:00, and the mapping from local to instant never goes backwards (no later local time can land
 * before it, so a search in local order finds the first instant).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Thrown for a name that is not an IANA time zone. */
export class TimeZoneError extends Error {
  override readonly name = 'TimeZoneError';
}

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    } catch {
      throw new TimeZoneError(`'${zone}' is not a time zone of the IANA database (e.g. 'UTC', 'Europe/Paris', 'America/New_York').`);
    }
    formatters.set(zone, f);
  }
  return f;
}

/** Checks a zone name; throws TimeZoneError for an unknown one. */
export function checkTimeZone(zone: string): void {
  formatter(zone);
}

/**
 * The local wall time of instant `t` in `zone`, as milliseconds of a "UTC" date whose UTC fields
 * are the local fields (so `new Date(local).getUTCHours()` is the local hour).
 */
export function toLocal(t: number, zone: string): number {
  if (zone === 'UTC' || zone === '') return t;
  const parts = formatter(zone).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const ms = ((t % 1000) + 1000) % 1000;
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) + ms;
}

/** The zone's offset from UTC at instant `t` (local − UTC), in ms. */
export const offsetAt = (t: number, zone: string): number => toLocal(t, zone) - t;

const HALF_DAY = 12 * 3600_000;

/** The instant of local wall time `local` (as from toLocal) in `zone`; see the module comment for DST. */
export function fromLocal(local: number, zone: string): number {
  if (zone === 'UTC' || zone === '') return local;
  // Zones change offset at most once in a day, so the offsets half a day either side bound it.
  const before = offsetAt(local - HALF_DAY, zone);
  const after = offsetAt(local + HALF_DAY, zone);
  const candidates = [local - before, local - after].filter((t) => toLocal(t, zone) === local);
  if (candidates.length > 0) return Math.min(...candidates);
  // A skipped local time: the first instant on the later offset, found by halving (offsets change on whole seconds).
  let lo = local - after;
  let hi = local - before;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (offsetAt(mid, zone) === after) hi = mid;
    else lo = mid;
  }
  return hi;
}
