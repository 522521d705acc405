// Owns `OpenTelemetryWorkflowClientInterceptor` (Temporal's): a CLIENT span around each workflow
// call of the client, whose context travels in the call's `_tracer-data` header to the workflow.
import { SpanKind, SpanStatusCode, context, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type {
  Next,
  WorkflowClientInterceptor,
  WorkflowQueryInput,
  WorkflowSignalInput,
  WorkflowSignalWithStartInput,
  WorkflowStartInput,
  WorkflowStartUpdateInput,
  WorkflowStartUpdateOutput,
} from '../client/interceptors.js';
import { headersFor } from './context.js';

/** Options of the interceptors (Temporal's `InterceptorOptions`). */
export interface InterceptorOptions {
  /** The tracer spans are made with. @default trace.getTracer('@temporalio/interceptor-client') (or -activity) */
  readonly tracer?: Tracer;
}

/**
 * Runs `fn` in a new active span, child of `parent` (default: the active context), ending it with
 * `fn`'s outcome. The parent is passed, not made active, so that it works without a context manager.
 */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  kind: SpanKind,
  fn: (span: Span) => Promise<T>,
  attributes: Record<string, string> = {},
  parent: Context = context.active(),
): Promise<T> {
  return tracer.startActiveSpan(name, { kind, attributes }, parent, async (span) => {
    try {
      const result = await fn(span);
      span.setStatus({ code: SpanStatusCode.OK });
      return result;
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      if (err instanceof Error) span.recordException(err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * Traces the client's workflow calls: `StartWorkflow:<type>`, `SignalWithStartWorkflow:<type>`,
 * `SignalWorkflow:<signal>`, `QueryWorkflow:<query>`, `StartWorkflowUpdate:<update>`, each a CLIENT
 * span whose context the workflow's interceptors continue.
 *
 * @example
 * const client = new Client({ interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } });
 */
export class OpenTelemetryWorkflowClientInterceptor implements WorkflowClientInterceptor {
  protected readonly tracer: Tracer;

  constructor(options?: InterceptorOptions) {
    this.tracer = options?.tracer ?? trace.getTracer('@temporalio/interceptor-client');
  }

  async start(input: WorkflowStartInput, next: Next<WorkflowClientInterceptor, 'start'>): Promise<string> {
    return inSpan(this.tracer, `StartWorkflow:${input.workflowType}`, SpanKind.CLIENT, (span) => next({ ...input, headers: { ...input.headers, ...headersFor(span) } }), {
      temporalWorkflowId: input.options.workflowId,
    });
  }

  async signalWithStart(input: WorkflowSignalWithStartInput, next: Next<WorkflowClientInterceptor, 'signalWithStart'>): Promise<string> {
    return inSpan(this.tracer, `SignalWithStartWorkflow:${input.workflowType}`, SpanKind.CLIENT, (span) => next({ ...input, headers: { ...input.headers, ...headersFor(span) } }), {
      temporalWorkflowId: input.options.workflowId,
    });
  }

  async signal(input: WorkflowSignalInput, next: Next<WorkflowClientInterceptor, 'signal'>): Promise<void> {
    return inSpan(this.tracer, `SignalWorkflow:${input.signalName}`, SpanKind.CLIENT, (span) => next({ ...input, headers: { ...input.headers, ...headersFor(span) } }));
  }

  async query(input: WorkflowQueryInput, next: Next<WorkflowClientInterceptor, 'query'>): Promise<unknown> {
    return inSpan(this.tracer, `QueryWorkflow:${input.queryType}`, SpanKind.CLIENT, (span) => next({ ...input, headers: { ...input.headers, ...headersFor(span) } }));
  }

  async startUpdate(input: WorkflowStartUpdateInput, next: Next<WorkflowClientInterceptor, 'startUpdate'>): Promise<WorkflowStartUpdateOutput> {
    return inSpan(this.tracer, `StartWorkflowUpdate:${input.updateName}`, SpanKind.CLIENT, (span) => next({ ...input, headers: { ...input.headers, ...headersFor(span) } }));
  }
}
