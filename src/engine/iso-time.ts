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
