// Owns the client's interceptor interfaces (Temporal's @temporalio/client interceptors): what
// each call of `client.workflow` and its handles hands to a `WorkflowClientInterceptor`, and what
// it expects back. `WorkflowOperations` runs every call through them.
import type { ResponseOf } from '../../protocol/index.js';
import type { Headers, Next } from '../common/index.js';
import type { CompiledWorkflowOptions } from './workflow-options.js';
import type { WorkflowExecutionDescription } from './types.js';
import type { ScheduleClientInterceptor } from './schedule-client.js';

export type { Headers, Next };

/** A workflow execution: its id and, when bound to one, its run. */
export interface WorkflowExecution {
  workflowId: string;
  runId?: string;
}

/** Input of {@link WorkflowClientInterceptor.start}. */
export interface WorkflowStartInput {
  /** The workflow type's name. */
  readonly workflowType: string;
  /** Headers sent with the start (recorded on WorkflowExecutionStarted); interceptors may add to them. */
  readonly headers: Headers;
  /** The start options (compiled), with the arguments in `args`. */
  readonly options: CompiledWorkflowOptions & { args: unknown[]; memo?: Record<string, unknown> };
}

/** Input of {@link WorkflowClientInterceptor.signalWithStart}. */
export interface WorkflowSignalWithStartInput {
  readonly workflowType: string;
  readonly signalName: string;
  readonly signalArgs: unknown[];
  /** Headers of the start and of the signal. */
  readonly headers: Headers;
  readonly options: CompiledWorkflowOptions & { args: unknown[]; memo?: Record<string, unknown> };
}

/** Input of {@link WorkflowClientInterceptor.signal}. */
export interface WorkflowSignalInput {
  readonly signalName: string;
  readonly args: unknown[];
  readonly workflowExecution: WorkflowExecution;
  readonly headers: Headers;
}

/** Input of {@link WorkflowClientInterceptor.query}. */
export interface WorkflowQueryInput {
  readonly queryType: string;
  readonly args: unknown[];
  readonly workflowExecution: WorkflowExecution;
  readonly queryRejectCondition?: 'NONE' | 'NOT_OPEN' | 'NOT_COMPLETED_CLEANLY';
  readonly headers: Headers;
}

/** Input of {@link WorkflowClientInterceptor.startUpdate}. */
export interface WorkflowStartUpdateInput {
  readonly updateName: string;
  readonly args: unknown[];
  readonly workflowExecution: WorkflowExecution;
  readonly firstExecutionRunId?: string;
  readonly headers: Headers;
  readonly options: { updateId?: string; waitForStage: 'ACCEPTED' | 'COMPLETED' };
}

/** Output of {@link WorkflowClientInterceptor.startUpdate}: the update's id and run, the stage reached, and its outcome once completed (payloads still encoded). */
export interface WorkflowStartUpdateOutput {
  readonly updateId: string;
  readonly workflowRunId: string;
  readonly stage: 'ACCEPTED' | 'COMPLETED';
  readonly outcome?: ResponseOf<'updateWorkflow'>['outcome'];
}

/** Input of {@link WorkflowClientInterceptor.cancel}. */
export interface WorkflowCancelInput {
  readonly workflowExecution: WorkflowExecution;
  readonly firstExecutionRunId?: string;
}

/** Input of {@link WorkflowClientInterceptor.terminate}. */
export interface WorkflowTerminateInput {
  readonly workflowExecution: WorkflowExecution;
  readonly reason?: string;
  readonly firstExecutionRunId?: string;
}

/** Input of {@link WorkflowClientInterceptor.describe}. */
export interface WorkflowDescribeInput {
  readonly workflowExecution: WorkflowExecution;
}

/**
 * Intercepts the calls of `client.workflow` and its handles (Temporal's interface). Each method
 * gets the call's input and `next`, the rest of the chain; it may change the input (add headers),
 * observe or change the output, or not call `next` at all.
 *
 * @example
 * const client = new Client({
 *   interceptors: {
 *     workflow: [{
 *       async start(input, next) {
 *         input.headers['tenant'] = defaultPayloadConverter.toPayload('acme');
 *         return next(input);
 *       },
 *     }],
 *   },
 * });
 */
export interface WorkflowClientInterceptor {
  /** Starts a workflow; answers the run id. */
  start?: (input: WorkflowStartInput, next: Next<this, 'start'>) => Promise<string>;
  /** Signal-with-start; answers the run id that got the signal. */
  signalWithStart?: (input: WorkflowSignalWithStartInput, next: Next<this, 'signalWithStart'>) => Promise<string>;
  signal?: (input: WorkflowSignalInput, next: Next<this, 'signal'>) => Promise<void>;
  /** Answers the query's decoded result. */
  query?: (input: WorkflowQueryInput, next: Next<this, 'query'>) => Promise<unknown>;
  /** Sends an update (executeUpdate and startUpdate both go through here). */
  startUpdate?: (input: WorkflowStartUpdateInput, next: Next<this, 'startUpdate'>) => Promise<WorkflowStartUpdateOutput>;
  cancel?: (input: WorkflowCancelInput, next: Next<this, 'cancel'>) => Promise<void>;
  terminate?: (input: WorkflowTerminateInput, next: Next<this, 'terminate'>) => Promise<void>;
  describe?: (input: WorkflowDescribeInput, next: Next<this, 'describe'>) => Promise<WorkflowExecutionDescription>;
}

/** The `interceptors` option of `Client` (Temporal's `ClientInterceptors`). */
export interface ClientInterceptors {
  /** Interceptors of `client.workflow` and its handles, the first outermost. */
  workflow?: WorkflowClientInterceptor[];
  /** Interceptors of `client.schedule` (its `create`), the first outermost. */
  schedule?: ScheduleClientInterceptor[];
}
