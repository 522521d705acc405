// Owns when and how soon a failed call to the service is tried again: the retry options, their
// defaults (those of Temporal's gRPC retry interceptor) and the capped exponential back-off.
import type { EndpointName } from '../../protocol/index.js';
import { Api } from '../../protocol/index.js';

/** How a call that failed for a transient reason (network, 503, 429) is tried again. */
export interface RetryOptions {
  /** Attempts in all, the first included; 1 turns retries off. @default 10 */
  maxAttempts: number;
  /** The delay before the second attempt. @default 100 */
  initialIntervalMs: number;
  /** Each delay is the previous one times this. @default 2 */
  backoffCoefficient: number;
  /** No delay is longer than this (before jitter). @default 5000 */
  maxIntervalMs: number;
  /** Each delay is moved by up to this fraction either way, so that clients do not retry in step. @default 0.2 */
  maxJitter: number;
}

/** Temporal's gRPC retry defaults. */
export const defaultRetryOptions: Readonly<RetryOptions> = Object.freeze({
  maxAttempts: 10,
  initialIntervalMs: 100,
  backoffCoefficient: 2,
  maxIntervalMs: 5000,
  maxJitter: 0.2,
});

/** Fills in the defaults and checks the values. @throws {TypeError} for a value out of range. */
export function resolveRetryOptions(options?: Partial<RetryOptions>): RetryOptions {
  const resolved = { ...defaultRetryOptions, ...stripUndefined(options ?? {}) };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw new TypeError(`retry.maxAttempts must be a whole number ≥ 1, got ${resolved.maxAttempts}`);
  }
  if (!(resolved.initialIntervalMs >= 0) || !(resolved.maxIntervalMs >= 0) || !(resolved.backoffCoefficient >= 1)) {
    throw new TypeError('retry intervals must be ≥ 0 and backoffCoefficient ≥ 1');
  }
  if (!(resolved.maxJitter >= 0 && resolved.maxJitter <= 1)) {
    throw new TypeError(`retry.maxJitter must be between 0 and 1, got ${resolved.maxJitter}`);
  }
  return resolved;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The delay before attempt `attempt + 1`, after `attempt` attempts failed (so `attempt` ≥ 1):
 * `initialInterval · coefficient^(attempt-1)`, capped at `maxInterval`, then jittered.
 * `random` is injected so that tests get exact numbers.
 */
export function backoffDelayMs(attempt: number, options: RetryOptions, random: () => number = Math.random): number {
  const base = Math.min(options.maxIntervalMs, options.initialIntervalMs * options.backoffCoefficient ** (attempt - 1));
  const jitter = 1 + options.maxJitter * (2 * random() - 1);
  return Math.max(0, Math.round(base * jitter));
}

/**
 * How safe it is to send a call again after a network failure, when the first attempt may have
 * reached the service:
 * - `safe`: reading, or repeating changes nothing (GETs, queries, polls, heartbeats);
 * - `request-id`: the request carries a `requestId`, which the service answers the same way each
 *   time, so a retry is harmless provided the id is the same on every attempt;
 * - `unsafe`: a repeat might act twice or fail confusingly; retried only when the request
 *   certainly never left (connection refused).
 */
export type RetrySafety = 'safe' | 'request-id' | 'unsafe';

// POSTs that read, or whose repetition is harmless: a repeated poll takes the next task (a task
// whose answer was lost times out and is scheduled again), a repeated heartbeat records it again.
const HARMLESS_POSTS: ReadonlySet<EndpointName> = new Set(['queryWorkflow', 'pollWorkflowTask', 'pollShardWorkflowTask', 'pollActivityTask', 'heartbeatActivityTask', 'cancelPolls', 'heartbeatActivityById']);

const safetyCache = new Map<EndpointName, RetrySafety>();

/** A call's {@link RetrySafety}: the endpoint's, unless the caller said whether the call is idempotent. */
export function callSafety(endpoint: EndpointName, idempotent: boolean | undefined): RetrySafety {
  return idempotent === undefined ? retrySafety(endpoint) : idempotent ? 'safe' : 'unsafe';
}

/**
 * The request a call sends on every attempt, whatever carries it (HTTP, a shard channel, a batch):
 * one of a `request-id` call without a `requestId` gets one `crypto.randomUUID()`, once per logical
 * call, so that the service answers a repeat of a call it already did with the first answer.
 */
export function withRequestId<T>(request: T, safety: RetrySafety): T {
  if (safety !== 'request-id' || (request as { requestId?: unknown } | undefined)?.requestId !== undefined) return request;
  return { ...request, requestId: globalThis.crypto.randomUUID() };
}

/** The {@link RetrySafety} of an endpoint, read off the endpoint table. */
export function retrySafety(endpoint: EndpointName): RetrySafety {
  let safety = safetyCache.get(endpoint);
  if (safety === undefined) {
    const e = Api[endpoint];
    // Derived from the schema, so an endpoint that gains `requestId` becomes retryable by itself.
    const shape = (e.request as { shape?: Record<string, unknown> }).shape;
    safety = e.method === 'GET' || HARMLESS_POSTS.has(endpoint) ? 'safe' : shape?.requestId !== undefined ? 'request-id' : 'unsafe';
    safetyCache.set(endpoint, safety);
  }
  return safety;
}
