// Owns the options of starting a workflow and of reading its result, with Temporal's names and
// defaults, and their compilation to the wire's fields (whole milliseconds, the wire retry policy).
import type { RequestOf } from '../../protocol/index.js';
import {
  compileRetryPolicy,
  msOptionalToNumber,
  type Duration,
  type RetryPolicy,
  type WorkflowIdConflictPolicy,
  type WorkflowIdReusePolicy,
  type TypedSearchAttributes,
  typedSearchAttributesToWire,
  type SearchAttributePair,
} from '../common/index.js';
import type { SearchAttributes, SignalDefinition, WithWorkflowArgs, Workflow } from './types.js';

/** Options of reading a workflow's result. */
export interface WorkflowResultOptions {
  /**
   * Follow the chain of runs (continue-as-new, retries after failure or timeout) and return the
   * result of the last one.
   * @default true
   */
  followRuns?: boolean;
}

/** Options of {@link WorkflowClient.getHandle}. */
export interface GetWorkflowHandleOptions extends WorkflowResultOptions {
  /**
   * The first run of the chain the handle belongs to. With no `runId`, `cancel` and `terminate`
   * then refuse to act on a run of another chain that reuses the workflow id.
   */
  firstExecutionRunId?: string;
}

/** The options of starting a workflow, without its arguments (Temporal's `WorkflowOptions`). */
export interface WorkflowOptions extends WorkflowResultOptions {
  /**
   * The workflow id: a meaningful business id, unique among running workflows of the namespace
   * (see {@link workflowIdReusePolicy} and {@link workflowIdConflictPolicy}).
   */
  workflowId: string;
  /** The task queue the workflow's tasks go to; a worker must poll it. */
  taskQueue: string;
  /** What to do when a closed run with this id exists. @default WorkflowIdReusePolicy.ALLOW_DUPLICATE */
  workflowIdReusePolicy?: WorkflowIdReusePolicy;
  /** What to do when a run with this id is running. @default WorkflowIdConflictPolicy.FAIL */
  workflowIdConflictPolicy?: WorkflowIdConflictPolicy;
  /** The longest the whole chain of runs may take, retries and continue-as-new included. @default unlimited */
  workflowExecutionTimeout?: Duration;
  /** The longest one run may take. @default unlimited */
  workflowRunTimeout?: Duration;
  /** The longest one workflow task may take; at most 2 minutes. @default 10 seconds */
  workflowTaskTimeout?: Duration;
  /** Retries of the whole workflow when it fails. Workflows are not retried by default. */
  retry?: RetryPolicy;
  /** Non-indexed information shown with the workflow; converted and encoded like arguments. */
  memo?: Record<string, unknown>;
  /** Indexed attributes for list filters; sent as they are (not through the payload converter). */
  searchAttributes?: SearchAttributes;
  /**
   * Typed search attributes (Temporal's): each value goes with its type, so a TEXT or a DATETIME
   * comes back as one. Merged over {@link searchAttributes}; a name in both takes this value.
   */
  typedSearchAttributes?: SearchAttributePair[] | TypedSearchAttributes;
  /** How long after the start the first workflow task is due. */
  startDelay?: Duration;
  /**
   * Run the workflow on a schedule (Temporal's cron): five fields in UTC (`'0 9 * * MON-FRI'`) or
   * `'@hourly'`, `'@daily'`, `'@every 15m'`, …. The first run waits for the first firing; each run
   * that completes, fails (after its retries) or times out is followed by the next under the same
   * workflow id; termination and cancellation end it. Not with {@link startDelay}.
   */
  cronSchedule?: string;
  /**
   * Eager workflow start (Temporal's): when a Worker for {@link taskQueue} runs in this process on
   * the same connection as this client and has a free workflow task slot, the service starts the
   * first workflow task in the start itself and hands it to that Worker, skipping the task queue.
   * Otherwise the start goes on as usual. `handle.eagerlyStarted` tells which happened.
   * @default false
   */
  requestEagerStart?: boolean;
}

/** Options of {@link WorkflowClient.start}: {@link WorkflowOptions} plus the workflow's `args`. */
export type WorkflowStartOptions<W extends Workflow = Workflow> = WithWorkflowArgs<W, WorkflowOptions>;

/** Options of {@link WorkflowClient.signalWithStart}. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface WorkflowSignalWithStartOptions<SignalArgs extends any[] = []> extends WorkflowOptions {
  /** The signal to send, by definition or name. */
  signal: SignalDefinition<SignalArgs> | string;
  /** The signal's arguments. */
  signalArgs?: SignalArgs;
}

/** The non-payload fields of a start request, compiled from the options. */
export type CompiledWorkflowOptions = Omit<RequestOf<'startWorkflow'>, 'workflowType' | 'input' | 'memo' | 'header' | 'identity' | 'requestId' | 'requestEagerExecution'>;

/**
 * Checks the required options and compiles the rest to wire fields.
 *
 * @throws {TypeError} when `workflowId` or `taskQueue` is missing (Temporal's messages).
 */
export function compileWorkflowOptions(options: WorkflowOptions): CompiledWorkflowOptions {
  if (!options.taskQueue) throw new TypeError('Missing WorkflowOptions.taskQueue');
  if (!options.workflowId) throw new TypeError('Missing WorkflowOptions.workflowId');
  return dropUndefined({
    workflowId: options.workflowId,
    taskQueue: options.taskQueue,
    workflowIdReusePolicy: options.workflowIdReusePolicy,
    workflowIdConflictPolicy: options.workflowIdConflictPolicy,
    workflowExecutionTimeoutMs: wholeMs(options.workflowExecutionTimeout),
    workflowRunTimeoutMs: wholeMs(options.workflowRunTimeout),
    workflowTaskTimeoutMs: wholeMs(options.workflowTaskTimeout),
    retryPolicy: options.retry ? compileRetryPolicy(options.retry) : undefined,
    searchAttributes: options.typedSearchAttributes
      ? { ...(options.searchAttributes ?? {}), ...typedSearchAttributesToWire(options.typedSearchAttributes) }
      : options.searchAttributes,
    startDelayMs: wholeMs(options.startDelay),
    cronSchedule: options.cronSchedule,
  });
}

/** A duration as the wire's whole milliseconds, rounded up so that '0.5ms' does not become 0 (unlimited). */
function wholeMs(duration: Duration | undefined): number | undefined {
  const ms = msOptionalToNumber(duration);
  return ms === undefined ? undefined : Math.ceil(ms);
}

/** Leaves out `undefined` fields, so that requests (and the tests reading them) hold only what was set. */
export function dropUndefined<T extends object>(o: T): T {
  // A plain loop: entries → filter → fromEntries made three arrays and a pair per field, and
  // every client call builds its request through here.
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(o)) {
    const value = (o as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out as T;
}
