/**
 * Epoch milliseconds as an ISO-8601 time for answers, never throwing. Requests are bounded
 * (protocol/bounds.ts), but a row written before the bounds, or by a bug, must not turn every
 * read of it (describe, a whole list page, the UI's workflows page) into a 500: a time outside
 * what `Date` can show is clamped to its range, and a value that is not a number reads as the epoch.
 */
const MAX_DATE_MS = 8.64e15;

export function isoTime(ms: number): string {
  const t = Number.isFinite(ms) ? Math.max(-MAX_DATE_MS, Math.min(MAX_DATE_MS, ms)) : 0;
  return new Date(t).toISOString();
}

/**
 * An event time (epoch ms) as ISO 8601, as `new Date(ms).toISOString()` (throwing as it does),
 * the last one kept: events come in runs that share a time (a change's events have its time; a
 * history row's were mostly written by one change), and formatting a Date was a measurable part
 * of adding and reading events (bench/RESULTS.md, "CPU per W1").
 */
let lastMs: number | undefined;
let lastIso = '';
export function eventTimeIso(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

/** An event time as stored (epoch ms) from its ISO 8601 form, as `Date.parse`, the last one kept (as `eventTimeIso`). */
let lastParsed: string | undefined;
let lastParsedMs = 0;
export function eventTimeMs(iso: string): number {
  if (iso !== lastParsed) {
    lastParsedMs = Date.parse(iso);
    lastParsed = iso;
  }
  return lastParsedMs;
}
