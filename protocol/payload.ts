/**
 * Payloads and failures: the two shapes of user data on the wire.
 *
 * The service never looks inside a payload (design invariant 4): `data` is opaque
 * base64 and `metadata` values are base64 too, as in Temporal's proto3 JSON, so a
 * client-side codec may put anything there (an encryption key id, a compressed blob).
 */
import { z } from 'zod';
import { DurationMs, MAX_BACKOFF_COEFFICIENT, MAX_MEMO_BYTES, MAX_SEARCH_ATTRIBUTES, MAX_SEARCH_ATTRIBUTES_BYTES, PositiveDurationMs } from './bounds.js';
import { RetryState, TimeoutType } from './enums.js';

export { RetryState, TimeoutType };

const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

export const Payload = z
  .object({
    /** Base64-encoded metadata values, e.g. `{ encoding: base64('json/plain') }`. */
    metadata: z.record(z.string(), Base64).default({}),
    /** Base64-encoded bytes. */
    data: Base64.default(''),
  })
  .meta({ id: 'Payload', description: 'Opaque user data: base64 bytes with base64 metadata.' });
export type Payload = z.infer<typeof Payload>;

export const Payloads = z.array(Payload).meta({ id: 'Payloads' });

const jsonBytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;

/** A memo: payloads by name, at most `MAX_MEMO_BYTES` of JSON. */
export const Memo = z
  .record(z.string(), Payload)
  .refine((m) => jsonBytes(m) <= MAX_MEMO_BYTES, { message: `the memo is over ${MAX_MEMO_BYTES} bytes; keep large data elsewhere and put its key in the memo` });
/** A memo change (`null` removes a field), bounded as a memo. */
export const MemoUpsert = z
  .record(z.string(), Payload.nullable())
  .refine((m) => jsonBytes(m) <= MAX_MEMO_BYTES, { message: `the memo change is over ${MAX_MEMO_BYTES} bytes` });
/** Search attributes by name (typed by value, checked by the service), at most 100 and 40 KB. */
export const SearchAttributes = z
  .record(z.string(), z.unknown())
  .refine((a) => Object.keys(a).length <= MAX_SEARCH_ATTRIBUTES, { message: `more than ${MAX_SEARCH_ATTRIBUTES} search attributes` })
  .refine((a) => jsonBytes(a) <= MAX_SEARCH_ATTRIBUTES_BYTES, { message: `the search attributes are over ${MAX_SEARCH_ATTRIBUTES_BYTES} bytes` });
export type Payloads = z.infer<typeof Payloads>;

/**
 * A failure as Temporal's `Failure` message has it: a message, the chain of causes,
 * and at most one `...FailureInfo` saying what kind of failure it is. The SDK turns
 * these into `ApplicationFailure`, `ActivityFailure`, `TimeoutFailure`, … and back.
 */
export interface Failure {
  message: string;
  source?: string;
  stackTrace?: string;
  /** Message and stack trace encoded by a codec, when the failure converter encrypts them. */
  encodedAttributes?: Payload;
  cause?: Failure;
  applicationFailureInfo?: { type?: string; nonRetryable?: boolean; details?: Payload[]; nextRetryDelayMs?: number };
  timeoutFailureInfo?: { timeoutType: TimeoutType; lastHeartbeatDetails?: Payload[] };
  canceledFailureInfo?: { details?: Payload[] };
  terminatedFailureInfo?: Record<string, never>;
  serverFailureInfo?: { nonRetryable?: boolean };
  activityFailureInfo?: {
    scheduledEventId: number;
    startedEventId: number;
    identity?: string;
    activityType: string;
    activityId: string;
    retryState: RetryState;
  };
  childWorkflowExecutionFailureInfo?: {
    namespace: string;
    workflowExecution: { workflowId: string; runId: string };
    workflowType: string;
    initiatedEventId: number;
    startedEventId: number;
    retryState: RetryState;
  };
}

const TimeoutTypeSchema = z.enum(Object.values(TimeoutType) as [TimeoutType, ...TimeoutType[]]);
const RetryStateSchema = z.enum(Object.values(RetryState) as [RetryState, ...RetryState[]]);

export const Failure: z.ZodType<Failure> = z
  .object({
    message: z.string(),
    source: z.string().optional(),
    stackTrace: z.string().optional(),
    encodedAttributes: Payload.optional(),
    get cause() {
      return Failure.optional();
    },
    applicationFailureInfo: z
      .object({
        type: z.string().optional(),
        nonRetryable: z.boolean().optional(),
        details: Payloads.optional(),
        nextRetryDelayMs: DurationMs.optional(),
      })
      .optional(),
    timeoutFailureInfo: z.object({ timeoutType: TimeoutTypeSchema, lastHeartbeatDetails: Payloads.optional() }).optional(),
    canceledFailureInfo: z.object({ details: Payloads.optional() }).optional(),
    terminatedFailureInfo: z.object({}).strict().optional(),
    serverFailureInfo: z.object({ nonRetryable: z.boolean().optional() }).optional(),
    activityFailureInfo: z
      .object({
        scheduledEventId: z.number().int(),
        startedEventId: z.number().int(),
        identity: z.string().optional(),
        activityType: z.string(),
        activityId: z.string(),
        retryState: RetryStateSchema,
      })
      .optional(),
    childWorkflowExecutionFailureInfo: z
      .object({
        namespace: z.string(),
        workflowExecution: z.object({ workflowId: z.string(), runId: z.string() }),
        workflowType: z.string(),
        initiatedEventId: z.number().int(),
        startedEventId: z.number().int(),
        retryState: RetryStateSchema,
      })
      .optional(),
  })
  .meta({ id: 'Failure', description: "A failure with its cause chain, as Temporal's Failure message." }) as z.ZodType<Failure>;

/** Temporal's retry policy; intervals in milliseconds. Absent fields take Temporal's defaults. */
export const RetryPolicy = z
  .object({
    initialIntervalMs: PositiveDurationMs.optional(),
    backoffCoefficient: z.number().min(1).max(MAX_BACKOFF_COEFFICIENT).optional(),
    maximumIntervalMs: PositiveDurationMs.optional(),
    /** 0 means unlimited. */
    maximumAttempts: z.number().int().nonnegative().optional(),
    nonRetryableErrorTypes: z.array(z.string()).optional(),
  })
  .meta({ id: 'RetryPolicy' });
export type RetryPolicy = z.infer<typeof RetryPolicy>;
