// Owns `OpenTelemetryPlugin` (Temporal's): one object that, given to a Client and a Worker as a
// plugin, adds every OpenTelemetry interceptor, the workflow interceptor module and the span sink.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientOptions, ClientPlugin } from '../client/client.js';
import type { WorkerOptions, WorkerPlugin } from '../worker/worker.js';
import { OpenTelemetryWorkflowClientInterceptor, type InterceptorOptions } from './client.js';
import { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, makeWorkflowExporter, type SpanExporterLike } from './worker.js';

/** Options of {@link OpenTelemetryPlugin}. */
export interface OpenTelemetryPluginOptions extends InterceptorOptions {
  /** The resource of the spans workflows record (`@opentelemetry/resources`' `Resource`). */
  readonly resource: unknown;
  /** Where the workflows' spans go (a `SpanExporter`); client and activity spans go to the tracer's own provider. */
  readonly traceExporter: SpanExporterLike;
}

/**
 * Tracing for a client and a worker, as Temporal's `OpenTelemetryPlugin`: a trace runs from the
 * client's start through the workflow to each of its activities.
 *
 * @example
 * const plugin = new OpenTelemetryPlugin({ resource, traceExporter });
 * const client = new Client({ plugins: [plugin] });
 * const worker = await Worker.create({ taskQueue, workflowsPath, activities, plugins: [plugin] });
 */
export class OpenTelemetryPlugin implements ClientPlugin, WorkerPlugin {
  readonly name = 'OpenTelemetryPlugin';

  constructor(readonly otelOptions: OpenTelemetryPluginOptions) {}

  configureClient(options: Omit<ClientOptions, 'plugins'>): Omit<ClientOptions, 'plugins'> {
    const tracer = this.otelOptions.tracer ? { tracer: this.otelOptions.tracer } : {};
    return {
      ...options,
      interceptors: { ...options.interceptors, workflow: [...(options.interceptors?.workflow ?? []), new OpenTelemetryWorkflowClientInterceptor(tracer)] },
    };
  }

  configureWorker(options: WorkerOptions): WorkerOptions {
    const tracer = this.otelOptions.tracer ? { tracer: this.otelOptions.tracer } : {};
    return {
      ...options,
      interceptors: {
        ...options.interceptors,
        workflowModules: [...(options.interceptors?.workflowModules ?? []), workflowInterceptorsModule()],
        activity: [
          ...(options.interceptors?.activity ?? []),
          (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx, tracer), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
        ],
      },
      sinks: { ...options.sinks, exporter: makeWorkflowExporter(this.otelOptions.traceExporter, this.otelOptions.resource) },
    };
  }
}

/**
 * The path of the workflow interceptors module beside this one: `.ts` when running from the
 * sources (vitest, tsx), `.js` from the build.
 */
export function workflowInterceptorsModule(): string {
  const here = fileURLToPath(import.meta.url);
  const dir = path.dirname(here);
  const own = path.join(dir, `workflow-interceptors${path.extname(here)}`);
  if (existsSync(own)) return own;
  // Built with shared chunks, this code may live in dist/sdk/chunks: the module is in its own folder.
  return path.resolve(dir, '..', 'interceptors-opentelemetry', 'workflow-interceptors.js');
}
