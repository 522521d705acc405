// Owns the worker's interceptor interfaces (Temporal's @temporalio/worker interceptors): activity
// inbound/outbound interceptors, made per activity execution by factories, and the worker's
// `interceptors` option that also names the workflow interceptor modules.
import type { Context } from '../activity/context.js';
import type { Headers, Next } from '../common/index.js';

export type { Headers, Next };

/** Input of {@link ActivityInboundCallsInterceptor.execute}: the activity's arguments and the headers its workflow sent. */
export interface ActivityExecuteInput {
  readonly args: unknown[];
  readonly headers: Headers;
}

/** Calls into an activity (Temporal's `ActivityInboundCallsInterceptor`). */
export interface ActivityInboundCallsInterceptor {
  /** Runs the activity function; answers its result. */
  execute?: (input: ActivityExecuteInput, next: Next<this, 'execute'>) => Promise<unknown>;
}

/** Input of {@link ActivityOutboundCallsInterceptor.getLogAttributes}: the attributes so far. */
export type GetLogAttributesInput = Record<string, unknown>;

/** Calls an activity makes (Temporal's `ActivityOutboundCallsInterceptor`). */
export interface ActivityOutboundCallsInterceptor {
  /** The attributes of the activity's log records. */
  getLogAttributes?: (input: GetLogAttributesInput, next: Next<this, 'getLogAttributes'>) => Record<string, unknown>;
}

/** What an {@link ActivityInterceptorsFactory} gives for one activity execution. */
export interface ActivityInterceptors {
  inbound?: ActivityInboundCallsInterceptor;
  outbound?: ActivityOutboundCallsInterceptor;
}

/** Makes the interceptors of one activity execution, given its context (Temporal's `ActivityInterceptorsFactory`). */
export type ActivityInterceptorsFactory = (ctx: Context) => ActivityInterceptors;

/** The worker's `interceptors` option (Temporal's `WorkerInterceptors`). */
export interface WorkerInterceptors {
  /** Factories run for every activity execution (local ones too), in order; the first's interceptors are outermost. */
  activity?: ActivityInterceptorsFactory[];
  /**
   * Modules that export `interceptors` (a `WorkflowInterceptorsFactory`), bundled with the workflow
   * code; give paths (`require.resolve('./interceptors')`, `fileURLToPath(new URL(…))`).
   */
  workflowModules?: string[];
}

/** The inbound interceptors of one activity execution, from the factories, in order. */
export function activityInbound(factories: readonly ActivityInterceptorsFactory[] | undefined, ctx: Context): ActivityInboundCallsInterceptor[] {
  const inbound: ActivityInboundCallsInterceptor[] = [];
  for (const factory of factories ?? []) {
    const made = factory(ctx).inbound;
    if (made) inbound.push(made);
  }
  return inbound;
}
