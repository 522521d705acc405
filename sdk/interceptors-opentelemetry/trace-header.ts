// Owns how a trace context travels in Temporal headers, on both sides of the sandbox: the
// `_tracer-data` header (Temporal's name) holds JSON `{ traceparent }` in W3C Trace Context form,
// which is what `propagation.inject` writes with the W3C propagator, so Temporal's own OpenTelemetry
// interceptors and Keel's read each other's headers. Sandbox-safe: no Node, no @opentelemetry/api.
import type { Payload } from '../../protocol/payload.js';
import { defaultPayloadConverter } from '../common/payload-converter.js';
import type { Sinks } from '../workflow/sinks.js';

/** The header Temporal's OpenTelemetry interceptors use. */
export const TRACE_HEADER = '_tracer-data';

/** A span's place in a trace: what a child needs to name its parent. */
export interface TraceParent {
  /** 32 lower-case hex digits. */
  traceId: string;
  /** 16 lower-case hex digits. */
  spanId: string;
  /** W3C trace flags; 1 = sampled. */
  traceFlags: number;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The header value for `parent`. */
export function traceHeader(parent: TraceParent): Record<string, Payload> {
  const traceparent = `00-${parent.traceId}-${parent.spanId}-${parent.traceFlags.toString(16).padStart(2, '0')}`;
  return { [TRACE_HEADER]: defaultPayloadConverter.toPayload({ traceparent }) };
}

/** The parent a header names, or undefined when it has none (or one this format cannot read). */
export function parentFromHeaders(headers: Record<string, Payload> | undefined): TraceParent | undefined {
  const payload = headers?.[TRACE_HEADER];
  if (!payload) return undefined;
  try {
    const carrier = defaultPayloadConverter.fromPayload<{ traceparent?: unknown }>(payload);
    const match = typeof carrier?.traceparent === 'string' ? TRACEPARENT.exec(carrier.traceparent) : null;
    if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined;
    return { traceId: match[1]!, spanId: match[2]!, traceFlags: parseInt(match[3]!, 16) };
  } catch {
    // A header written by something else: trace without a parent rather than fail the call.
    return undefined;
  }
}

/**
 * A span as the workflow records it and the worker exports it (through the `exporter` sink):
 * plain data, times in ms since the epoch (the workflow's clock).
 */
export interface SerializableSpan {
  name: string;
  /** OpenTelemetry's SpanKind number (0 internal, 1 server, 2 client, 3 producer, 4 consumer). */
  kind: number;
  traceId: string;
  spanId: string;
  traceFlags: number;
  parentSpanId?: string;
  startTimeMs: number;
  endTimeMs: number;
  attributes: Record<string, string | number | boolean>;
  /** OpenTelemetry's SpanStatusCode (0 unset, 1 ok, 2 error). */
  status: { code: number; message?: string };
}

/** The sinks the workflow interceptors call (Temporal's `OpenTelemetrySinks`). */
export interface OpenTelemetrySinks extends Sinks {
  exporter: { export(spans: SerializableSpan[]): void };
}
