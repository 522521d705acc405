/**
 * Wall-clock time in an IANA time zone (Intl, which workerd and Node ship with the tz database):
 * an instant's local fields, and the instant of a local time. Pure; schedules compute calendars in
 * their zone with these.
 *
 * Around a daylight-saving change a local time can happen twice or not at all. As Temporal's
 * schedules (which match clock times literally, with no special handling of DST): a time that
 * happens twice (clocks go back) names both instants, and one that does not happen (clocks go
 * forward) names none.
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

/** The instants at which the zone's clocks show local wall time `local` (as from toLocal): none, one or two, in order. */
export function instantsOf(local: number, zone: string): number[] {
  if (zone === 'UTC' || zone === '') return [local];
  // Zones change offset at most once in a day, so the offsets half a day either side are the candidates.
  const candidates = new Set([local - offsetAt(local - HALF_DAY, zone), local - offsetAt(local + HALF_DAY, zone)]);
  return [...candidates].filter((t) => toLocal(t, zone) === local).sort((a, b) => a - b);
}
