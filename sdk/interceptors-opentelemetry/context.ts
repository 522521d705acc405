// Owns the bridge between @opentelemetry/api's contexts and the `_tracer-data` header on the
// Node side (client and activities): a span's context into a header, a header's parent into a
// context. The W3C form is written by hand (trace-header.ts) so that no global propagator needs
// to be registered for traces to connect.
import { ROOT_CONTEXT, context as otelContext, trace, type Context, type Span } from '@opentelemetry/api';
import type { Payload } from '../../protocol/payload.js';
import { parentFromHeaders, traceHeader } from './trace-header.js';

/** The header that names `span` as the parent. */
export function headersFor(span: Span): Record<string, Payload> {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return traceHeader({ traceId, spanId, traceFlags });
}

/** The context a header's parent gives (the active context when the header names none). */
export function contextFromHeaders(headers: Record<string, Payload> | undefined): Context {
  const parent = parentFromHeaders(headers);
  if (!parent) return otelContext.active();
  return trace.setSpanContext(ROOT_CONTEXT, { ...parent, isRemote: true });
}
