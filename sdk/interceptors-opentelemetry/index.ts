// Owns the public surface of `keel/interceptors-opentelemetry` (Temporal's
// @temporalio/interceptors-opentelemetry): the client, workflow and activity interceptors, the
// workflow span exporter sink, and the plugin that adds them all.
export { OpenTelemetryPlugin, type OpenTelemetryPluginOptions } from './plugin.js';
export {
  OpenTelemetryWorkflowClientInterceptor,
  OpenTelemetryWorkflowClientInterceptor as OpenTelemetryWorkflowClientCallsInterceptor,
  type InterceptorOptions,
} from './client.js';
export { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, makeWorkflowExporter, type SpanExporterLike } from './worker.js';
export { OpenTelemetryInboundInterceptor, OpenTelemetryOutboundInterceptor, OpenTelemetryInternalsInterceptor } from './workflow.js';
export { TRACE_HEADER, type OpenTelemetrySinks, type SerializableSpan } from './trace-header.js';
