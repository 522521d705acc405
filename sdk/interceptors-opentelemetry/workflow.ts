// Owns tracing inside the workflow sandbox (Temporal's OpenTelemetry workflow interceptors): a
// `RunWorkflow` span per run, child of the span that started it (from the start's header), and a
// span for each activity, child, signal and continue-as-new it starts, whose context travels in
// that call's header. Spans are plain records with ids derived from the run id, so a replay makes
// the very same ids; each is exported once, through the `exporter` sink, when it ends live.
import { proxySinks, workflowInfo, type WorkflowInterceptors } from '../workflow/index.js';
import type {
  ActivityInput,
  ContinueAsNewInput,
  LocalActivityInput,
  Next,
  SignalInput,
  SignalWorkflowInput,
  StartChildWorkflowExecutionInput,
  UpdateInput,
  WorkflowExecuteInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '../workflow/interceptors.js';
import { parentFromHeaders, traceHeader, type OpenTelemetrySinks, type SerializableSpan, type TraceParent } from './trace-header.js';

const SPAN_KIND = { INTERNAL: 0, SERVER: 1, CLIENT: 2 } as const;
const STATUS = { UNSET: 0, OK: 1, ERROR: 2 } as const;

/** The run's tracing state; module state is per run (each run has its own sandbox context). */
const run: { spanCount: number; workflowSpan: TraceParent | undefined } = { spanCount: 0, workflowSpan: undefined };

/**
 * Hex digits derived from `text` (FNV-1a, two seeds per 8 digits): span and trace ids that are a
 * function of the run id and the span's order in the run, identical on every replay, and that
 * leave the workflow's own `Math.random` sequence untouched.
 */
function hexId(text: string, digits: 16 | 32): string {
  let out = '';
  for (let part = 0; out.length < digits; part++) {
    let h = 0x811c9dc5 ^ part;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    out += (h >>> 0).toString(16).padStart(8, '0');
  }
  return out;
}

/** An open span; `end` exports it (the sink skips exports made while replaying). */
class WorkflowSpan {
  readonly context: TraceParent;
  private readonly record: Omit<SerializableSpan, 'endTimeMs' | 'status'>;

  constructor(name: string, kind: number, parent: TraceParent | undefined, attributes: Record<string, string | number | boolean> = {}) {
    const info = workflowInfo();
    const seq = ++run.spanCount;
    const traceId = parent?.traceId ?? hexId(`trace:${info.runId}`, 32);
    this.context = { traceId, spanId: hexId(`span:${info.runId}:${seq}`, 16), traceFlags: parent?.traceFlags ?? 1 };
    this.record = {
      name,
      kind,
      traceId,
      spanId: this.context.spanId,
      traceFlags: this.context.traceFlags,
      ...(parent ? { parentSpanId: parent.spanId } : {}),
      startTimeMs: Date.now(),
      attributes: { 'temporalWorkflowId': info.workflowId, 'temporalRunId': info.runId, ...attributes },
    };
  }

  end(error?: unknown): void {
    const status = error === undefined ? { code: STATUS.OK } : { code: STATUS.ERROR, message: error instanceof Error ? error.message : String(error) };
    exporter().export([{ ...this.record, endTimeMs: Date.now(), status }]);
  }

  /** Runs `fn`, ending the span when its promise settles (with the error, if it rejects). */
  async around<T>(fn: () => Promise<T>): Promise<T> {
    try {
      const result = await fn();
      this.end();
      return result;
    } catch (err) {
      // Continuing as new ends the run's code by design: not an error of the span.
      this.end(isContinueAsNew(err) ? undefined : err);
      throw err;
    }
  }
}

function isContinueAsNew(err: unknown): boolean {
  return err instanceof Error && err.name === 'ContinueAsNew';
}

let sinks: OpenTelemetrySinks | undefined;
function exporter(): OpenTelemetrySinks['exporter'] {
  sinks ??= proxySinks<OpenTelemetrySinks>();
  return sinks.exporter;
}

/** The span outbound calls hang from: the run's, else the start's parent. */
const current = (): TraceParent | undefined => run.workflowSpan;

/** Inbound: `RunWorkflow:<type>` around the run, and a span per signal and update. */
export class OpenTelemetryInboundInterceptor implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const span = new WorkflowSpan(`RunWorkflow:${workflowInfo().workflowType}`, SPAN_KIND.SERVER, parentFromHeaders(input.headers));
    run.workflowSpan = span.context;
    return span.around(() => next(input));
  }

  async handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>): Promise<void> {
    const span = new WorkflowSpan(`HandleSignal:${input.signalName}`, SPAN_KIND.SERVER, parentFromHeaders(input.headers) ?? current());
    return span.around(() => next(input));
  }

  async handleUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>): Promise<unknown> {
    const span = new WorkflowSpan(`HandleUpdate:${input.name}`, SPAN_KIND.SERVER, parentFromHeaders(input.headers) ?? current(), { temporalUpdateId: input.updateId });
    return span.around(() => next(input));
  }
}

/** Outbound: a span per call the workflow makes, its context in the call's header. */
export class OpenTelemetryOutboundInterceptor implements WorkflowOutboundCallsInterceptor {
  async scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>): Promise<unknown> {
    const span = new WorkflowSpan(`StartActivity:${input.activityType}`, SPAN_KIND.CLIENT, current());
    return span.around(() => next({ ...input, headers: { ...input.headers, ...traceHeader(span.context) } }));
  }

  async scheduleLocalActivity(input: LocalActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>): Promise<unknown> {
    const span = new WorkflowSpan(`StartActivity:${input.activityType}`, SPAN_KIND.CLIENT, current(), { temporalLocalActivity: true });
    return span.around(() => next({ ...input, headers: { ...input.headers, ...traceHeader(span.context) } }));
  }

  async startChildWorkflowExecution(
    input: StartChildWorkflowExecutionInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>,
  ): Promise<[Promise<string>, Promise<unknown>]> {
    const span = new WorkflowSpan(`StartChildWorkflow:${input.workflowType}`, SPAN_KIND.CLIENT, current());
    const [started, completed] = await next({ ...input, headers: { ...input.headers, ...traceHeader(span.context) } });
    // The span covers the child's whole life, as Temporal's does.
    void span.around(() => completed).catch(() => undefined);
    return [started, completed];
  }

  async signalWorkflow(input: SignalWorkflowInput, next: Next<WorkflowOutboundCallsInterceptor, 'signalWorkflow'>): Promise<void> {
    const span = new WorkflowSpan(`SignalWorkflow:${input.signalName}`, SPAN_KIND.CLIENT, current());
    return span.around(() => next({ ...input, headers: { ...input.headers, ...traceHeader(span.context) } }));
  }

  async continueAsNew(input: ContinueAsNewInput, next: Next<WorkflowOutboundCallsInterceptor, 'continueAsNew'>): Promise<never> {
    const span = new WorkflowSpan(`ContinueAsNew:${input.options.workflowType ?? workflowInfo().workflowType}`, SPAN_KIND.CLIENT, current());
    return span.around(() => next({ ...input, headers: { ...input.headers, ...traceHeader(span.context) } }));
  }

  getLogAttributes(input: Record<string, unknown>, next: Next<WorkflowOutboundCallsInterceptor, 'getLogAttributes'>): Record<string, unknown> {
    const span = current();
    return next(span ? { ...input, trace_id: span.traceId, span_id: span.spanId, trace_flags: `0${span.traceFlags.toString(16)}`.slice(-2) } : input);
  }
}

/** Internals: nothing to do in Keel (spans leave through the sink with the activation's commands); kept for Temporal's module shape. */
export class OpenTelemetryInternalsInterceptor implements WorkflowInternalsInterceptor {}

/** The interceptors of one run, as a `workflowModules` module exports them. */
export const interceptors = (): WorkflowInterceptors => ({
  inbound: [new OpenTelemetryInboundInterceptor()],
  outbound: [new OpenTelemetryOutboundInterceptor()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
