/**
 * Bounds on every number that becomes a time or a size, shared by the request schemas
 * (api.ts, commands.ts, payload.ts). A number past them is refused with INVALID_ARGUMENT
 * before anything is written: the service adds durations to the current time and writes the
 * result as an ISO-8601 time, and a time past year 275760 has no ISO form, so one unbounded
 * `startDelayMs` would otherwise be stored and break every later read of the run (and every
 * list page it appears on). Temporal bounds durations too (a protobuf Duration; its server
 * refuses negative ones); Keel's bound is 100 years, far past any real timeout.
 */
import { z } from 'zod';

/** The longest duration any `…Ms` field may carry: 100 years. */
export const MAX_DURATION_MS = 100 * 365 * 24 * 60 * 60 * 1000;
/** The largest retry back-off coefficient: a bigger one reaches any maximum interval on the second attempt anyway. */
export const MAX_BACKOFF_COEFFICIENT = 100;

/**
 * Per-run limits, as Temporal's defaults: at most this many pending activities, timers, child
 * workflows, signals to other workflows and cancel requests to other workflows, each. A completion
 * that would pass one is refused with LIMIT_EXCEEDED.
 */
export const MAX_PENDING_PER_KIND = 2000;
/** Bytes of one memo (its JSON): every list page carries the memos of its executions. */
export const MAX_MEMO_BYTES = 32 * 1024;
/** Search attributes: at most this many per request, and this many bytes in all (as Temporal's 40 KB). */
export const MAX_SEARCH_ATTRIBUTES = 100;
export const MAX_SEARCH_ATTRIBUTES_BYTES = 40 * 1024;

/** A duration in whole milliseconds, 0 to 100 years. */
export const DurationMs = z.number().int().nonnegative().max(MAX_DURATION_MS);
/** A duration in whole milliseconds, 1 ms to 100 years. */
export const PositiveDurationMs = z.number().int().positive().max(MAX_DURATION_MS);

/**
 * A page size in a query string: decimal digits only. `z.coerce.number()` would also take
 * `1e3`, `0x10`, ` 12 ` and `Infinity`; a query string's number is plain digits or refused.
 */
export const QueryPageSize = (max: number) =>
  z
    .union([z.number(), z.string().regex(/^[0-9]{1,9}$/, 'must be a whole number in decimal digits').transform(Number)])
    .pipe(z.number().int().positive().max(max));

/**
 * Worker exchanges one `/tasks/batch` request carries (protocol 5): a worker sends those of one
 * shard together while an earlier exchange for it is in flight, so a batch holds what queued in one
 * round trip; the bound keeps one request's work (and its answer) small next to the others.
 */
export const MAX_TASKS_PER_BATCH = 64;
