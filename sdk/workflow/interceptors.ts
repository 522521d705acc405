// Owns the workflow's interceptor interfaces (Temporal's @temporalio/workflow interceptors):
// inbound calls into the workflow (execute, signals, queries, updates), outbound calls the
// workflow makes (activities, timers, children, signals, continue-as-new, log attributes), and
// the runtime's internals (activate, conclude, dispose). A module listed in the worker's
// `interceptors.workflowModules` exports `interceptors`, a factory the runtime calls once per run.
import type { Headers, Next } from '../common/index.js';
import type { Activation } from './activation.js';
import type { Command } from '../../protocol/commands.js';
import type { ActivityOptions } from './interfaces.js';
import type { LocalActivityOptions } from './local-activities.js';
import type { ChildWorkflowOptions } from './child-workflows.js';
import type { ContinueAsNewOptions } from './continue-as-new.js';

export type { Headers, Next };

/** Input of {@link WorkflowInboundCallsInterceptor.execute}: the workflow function's arguments and the start's headers. */
export interface WorkflowExecuteInput {
  readonly args: unknown[];
  readonly headers: Headers;
}

/** Input of {@link WorkflowInboundCallsInterceptor.handleSignal}. */
export interface SignalInput {
  readonly signalName: string;
  readonly args: unknown[];
  readonly headers: Headers;
}

/** Input of {@link WorkflowInboundCallsInterceptor.handleQuery}. */
export interface QueryInput {
  readonly queryId: string;
  readonly queryName: string;
  readonly args: unknown[];
  readonly headers: Headers;
}

/** Input of {@link WorkflowInboundCallsInterceptor.handleUpdate} and `validateUpdate`. */
export interface UpdateInput {
  readonly updateId: string;
  readonly name: string;
  readonly args: unknown[];
  readonly headers: Headers;
}

/** Calls into the workflow (Temporal's `WorkflowInboundCallsInterceptor`). */
export interface WorkflowInboundCallsInterceptor {
  /** Runs the workflow function; answers its result. */
  execute?: (input: WorkflowExecuteInput, next: Next<this, 'execute'>) => Promise<unknown>;
  handleSignal?: (input: SignalInput, next: Next<this, 'handleSignal'>) => Promise<void>;
  /** Query handlers are synchronous; so is their chain's answer (a Promise is refused as in Temporal). */
  handleQuery?: (input: QueryInput, next: Next<this, 'handleQuery'>) => Promise<unknown>;
  /** Runs the update's validator; throws to reject it. Synchronous, read-only. */
  validateUpdate?: (input: UpdateInput, next: Next<this, 'validateUpdate'>) => void;
  /** Runs the accepted update's handler; answers its result. */
  handleUpdate?: (input: UpdateInput, next: Next<this, 'handleUpdate'>) => Promise<unknown>;
}

/** Input of {@link WorkflowOutboundCallsInterceptor.scheduleActivity}. */
export interface ActivityInput {
  readonly activityType: string;
  readonly args: unknown[];
  readonly options: ActivityOptions;
  /** Sent with the activity (recorded on ActivityTaskScheduled); the activity's inbound interceptors get them. */
  readonly headers: Headers;
  readonly seq: number;
}

/** Input of {@link WorkflowOutboundCallsInterceptor.scheduleLocalActivity}. */
export interface LocalActivityInput {
  readonly activityType: string;
  readonly args: unknown[];
  readonly options: LocalActivityOptions;
  readonly headers: Headers;
  readonly seq: number;
  readonly originalScheduleTime?: number;
  readonly attempt: number;
}

/** Input of {@link WorkflowOutboundCallsInterceptor.startTimer}. */
export interface TimerInput {
  readonly durationMs: number;
  readonly seq: number;
}

/** Input of {@link WorkflowOutboundCallsInterceptor.startChildWorkflowExecution}. */
export interface StartChildWorkflowExecutionInput {
  readonly workflowType: string;
  readonly options: ChildWorkflowOptions & { workflowId: string };
  /** Sent with the start (recorded on StartChildWorkflowExecutionInitiated and the child's WorkflowExecutionStarted). */
  readonly headers: Headers;
  readonly seq: number;
}

/** Input of {@link WorkflowOutboundCallsInterceptor.signalWorkflow}. */
export interface SignalWorkflowInput {
  readonly seq: number;
  readonly signalName: string;
  readonly args: unknown[];
  readonly headers: Headers;
  readonly target:
    | { readonly type: 'external'; readonly workflowExecution: { workflowId: string; runId?: string } }
    | { readonly type: 'child'; readonly childWorkflowId: string };
}

/** Input of {@link WorkflowOutboundCallsInterceptor.continueAsNew}. */
export interface ContinueAsNewInput {
  readonly args: unknown[];
  readonly headers: Headers;
  readonly options: ContinueAsNewOptions;
}

/** Input of {@link WorkflowOutboundCallsInterceptor.getLogAttributes}: the attributes so far. */
export type GetLogAttributesInput = Record<string, unknown>;

/** Calls the workflow makes (Temporal's `WorkflowOutboundCallsInterceptor`). */
export interface WorkflowOutboundCallsInterceptor {
  /** Schedules an activity; answers its result. */
  scheduleActivity?: (input: ActivityInput, next: Next<this, 'scheduleActivity'>) => Promise<unknown>;
  scheduleLocalActivity?: (input: LocalActivityInput, next: Next<this, 'scheduleLocalActivity'>) => Promise<unknown>;
  startTimer?: (input: TimerInput, next: Next<this, 'startTimer'>) => Promise<void>;
  /** Signals an external workflow or a child. */
  signalWorkflow?: (input: SignalWorkflowInput, next: Next<this, 'signalWorkflow'>) => Promise<void>;
  /** Starts a child; answers [its start (the first run id), its result]. */
  startChildWorkflowExecution?: (input: StartChildWorkflowExecutionInput, next: Next<this, 'startChildWorkflowExecution'>) => Promise<[Promise<string>, Promise<unknown>]>;
  continueAsNew?: (input: ContinueAsNewInput, next: Next<this, 'continueAsNew'>) => Promise<never>;
  /** The attributes of every `log` record. */
  getLogAttributes?: (input: GetLogAttributesInput, next: Next<this, 'getLogAttributes'>) => Record<string, unknown>;
}

/** Input of {@link WorkflowInternalsInterceptor.activate}. */
export interface ActivateInput {
  readonly activation: Activation;
  readonly batchIndex: number;
}

/** Input and output of {@link WorkflowInternalsInterceptor.concludeActivation}: the activation's commands. */
export interface ConcludeActivationInput {
  readonly commands: Command[];
}
export type ConcludeActivationOutput = ConcludeActivationInput;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DisposeInput {}

/** The runtime's own steps (Temporal's `WorkflowInternalsInterceptor`). */
export interface WorkflowInternalsInterceptor {
  activate?: (input: ActivateInput, next: Next<this, 'activate'>) => void;
  concludeActivation?: (input: ConcludeActivationInput, next: Next<this, 'concludeActivation'>) => ConcludeActivationOutput;
  dispose?: (input: DisposeInput, next: Next<this, 'dispose'>) => void;
}

/** What a factory gives for one run: each list's first is outermost. */
export interface WorkflowInterceptors {
  inbound?: WorkflowInboundCallsInterceptor[];
  outbound?: WorkflowOutboundCallsInterceptor[];
  internals?: WorkflowInternalsInterceptor[];
}

/**
 * What a workflow interceptors module exports as `interceptors` (Temporal's
 * `WorkflowInterceptorsFactory`): called once per run, inside the workflow, when it starts.
 *
 * @example
 * // interceptors.ts, listed in Worker.create({ interceptors: { workflowModules: [require.resolve('./interceptors')] } })
 * export const interceptors: WorkflowInterceptorsFactory = () => ({
 *   outbound: [{ scheduleActivity: (input, next) => next({ ...input, headers: { ...input.headers, tenant: toPayload('acme') } }) }],
 * });
 */
export type WorkflowInterceptorsFactory = () => WorkflowInterceptors;
