// Owns the worker side of tracing (Temporal's): the activity interceptors that continue the
// workflow's `StartActivity` span with a `RunActivity` span, and `makeWorkflowExporter`, the sink
// that turns the spans workflows record into OpenTelemetry spans for an exporter.
import { SpanKind, trace, type Attributes, type HrTime, type SpanContext, type Tracer } from '@opentelemetry/api';
import type { Context as ActivityContext } from '../activity/context.js';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityOutboundCallsInterceptor, Next } from '../worker/interceptors.js';
import type { InjectedSinks } from '../worker/sinks.js';
import { inSpan, type InterceptorOptions } from './client.js';
import { contextFromHeaders } from './context.js';
import type { OpenTelemetrySinks, SerializableSpan } from './trace-header.js';

/** `RunActivity:<type>`, child of the workflow's `StartActivity` span named in the activity's header. */
export class OpenTelemetryActivityInboundInterceptor implements ActivityInboundCallsInterceptor {
  protected readonly tracer: Tracer;

  constructor(
    protected readonly ctx: ActivityContext,
    options?: InterceptorOptions,
  ) {
    this.tracer = options?.tracer ?? trace.getTracer('@temporalio/interceptor-activity');
  }

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const { activityType, activityId, workflowExecution } = this.ctx.info;
    const attributes = { temporalWorkflowId: workflowExecution.workflowId, temporalRunId: workflowExecution.runId, temporalActivityId: activityId };
    return inSpan(this.tracer, `RunActivity:${activityType}`, SpanKind.SERVER, () => next(input), attributes, contextFromHeaders(input.headers));
  }
}

/** Adds the active span's ids to the activity's log attributes (Temporal's). */
export class OpenTelemetryActivityOutboundInterceptor implements ActivityOutboundCallsInterceptor {
  constructor(protected readonly ctx: ActivityContext) {}

  getLogAttributes(input: Record<string, unknown>, next: Next<ActivityOutboundCallsInterceptor, 'getLogAttributes'>): Record<string, unknown> {
    const span = trace.getActiveSpan()?.spanContext();
    return next(span ? { ...input, trace_id: span.traceId, span_id: span.spanId, trace_flags: `0${span.traceFlags.toString(16)}`.slice(-2) } : input);
  }
}

/** What `makeWorkflowExporter` needs of an exporter: `@opentelemetry/sdk-trace-base`'s `SpanExporter`. */
export interface SpanExporterLike {
  export(spans: never[], resultCallback: (result: { code: number; error?: Error }) => void): void;
}

/**
 * The `exporter` sink: spans the workflows record, turned into `ReadableSpan`s of `resource` and
 * handed to `exporter` (Temporal's `makeWorkflowExporter`). Give it as the worker's
 * `sinks.exporter`, or let {@link OpenTelemetryPlugin} do it.
 *
 * @example
 * const sinks: InjectedSinks<OpenTelemetrySinks> = { exporter: makeWorkflowExporter(new OTLPTraceExporter(), resource) };
 */
export function makeWorkflowExporter(exporter: SpanExporterLike, resource: unknown): InjectedSinks<OpenTelemetrySinks>['exporter'] {
  return {
    export: {
      fn: (_info, spans: SerializableSpan[]) => {
        exporter.export(spans.map((s) => toReadableSpan(s, resource)) as never[], () => undefined);
      },
      // Spans are recorded again on replay, with the same ids; export each once, when it ended live.
      callDuringReplay: false,
    },
  };
}

const hrTime = (ms: number): HrTime => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];

/** A recorded span as OpenTelemetry's `ReadableSpan` (the shape span exporters read). */
function toReadableSpan(s: SerializableSpan, resource: unknown) {
  const spanContext: SpanContext = { traceId: s.traceId, spanId: s.spanId, traceFlags: s.traceFlags };
  return {
    name: s.name,
    kind: s.kind as SpanKind,
    spanContext: () => spanContext,
    ...(s.parentSpanId ? { parentSpanContext: { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: s.traceFlags, isRemote: true } } : {}),
    startTime: hrTime(s.startTimeMs),
    endTime: hrTime(s.endTimeMs),
    duration: hrTime(s.endTimeMs - s.startTimeMs),
    status: s.status,
    attributes: s.attributes as Attributes,
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: { name: '@temporalio/interceptor-workflow' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
