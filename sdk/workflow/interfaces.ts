// Owns the public types of `keel/workflow`: activity options and interfaces, signal and query
// definitions, handlers and `WorkflowInfo`, with Temporal's names and meanings.
import type { ActivityCancellationType, Duration, RetryPolicy, TemporalFailure } from '../common/index.js';
import type { TypedSearchAttributes } from '../common/search-attributes.js';
import type { QueryDefinition, SignalDefinition, UpdateDefinition } from '../common/definitions.js';
import type { Logger, LogLevel, LogMetadata } from '../common/logger.js';

/**
 * How an activity is scheduled: its timeouts, retry policy, task queue and how it reacts to
 * cancellation. One of `scheduleToCloseTimeout` and `startToCloseTimeout` is required.
 *
 * @example
 * const { charge } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } });
 */
export interface ActivityOptions {
  /** The activity id; defaults to the activity's sequence number in this run (`'1'`, `'2'`, …). */
  activityId?: string;
  /** The task queue to schedule on. @default the workflow's task queue */
  taskQueue?: string;
  /** Longest time between two heartbeats before the attempt times out. */
  heartbeatTimeout?: Duration;
  /** How failed attempts are retried; absent fields take the service's defaults (Temporal's). */
  retry?: RetryPolicy;
  /** Longest time of one attempt. Either this or `scheduleToCloseTimeout` is required. */
  startToCloseTimeout?: Duration;
  /** Longest time an attempt may wait in the task queue before a worker picks it up. */
  scheduleToStartTimeout?: Duration;
  /** Longest time of the whole activity, retries included. Either this or `startToCloseTimeout` is required. */
  scheduleToCloseTimeout?: Duration;
  /**
   * What the workflow waits for when it cancels the activity.
   * @default ActivityCancellationType.TRY_CANCEL
   */
  cancellationType?: ActivityCancellationType;
}

/** Any function an activity proxy may stand for. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ActivityFunction<P extends any[] = any[], R = any> = (...args: P) => Promise<R>;

/** The type given to a non-function export of an activities module, so that calling it fails to compile. */
export type NotAnActivityMethod = never;

/**
 * The workflow-side view of an activities module: every function becomes one that schedules the
 * activity and returns a promise of its result.
 */
export type ActivityInterfaceFor<T> = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [K in keyof T]: T[K] extends (...args: infer P) => infer R ? (...args: P) => Promise<Awaited<R>> : NotAnActivityMethod;
};

/** An activity proxy whose activity types are not known at compile time. */
export type UntypedActivities = Record<string, ActivityFunction>;

export type { SignalDefinition, QueryDefinition, UpdateDefinition };

/** The handler type that {@link setHandler} accepts for a definition. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler<Ret, Args extends any[], T extends SignalDefinition<Args> | QueryDefinition<Ret, Args> | UpdateDefinition<Ret, Args>> =
  T extends SignalDefinition<infer A>
    ? (...args: A) => void | Promise<void>
    : T extends QueryDefinition<infer R, infer A>
      ? (...args: A) => R
      : T extends UpdateDefinition<infer R, infer A>
        ? (...args: A) => R | Promise<R>
        : never;

/** What the workflow does about handlers still running when it completes (Temporal's). */
export const HandlerUnfinishedPolicy = {
  /** Log a warning (the default); the caller of an unfinished update gets an error. */
  WARN_AND_ABANDON: 'WARN_AND_ABANDON',
  /** Say nothing. */
  ABANDON: 'ABANDON',
} as const;
export type HandlerUnfinishedPolicy = (typeof HandlerUnfinishedPolicy)[keyof typeof HandlerUnfinishedPolicy];

/** Options of `setHandler` for an update (and, for `unfinishedPolicy`, a signal). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface UpdateHandlerOptions<Args extends any[]> {
  /** Runs before the update is accepted; throwing rejects it, and nothing is written to history. Must not change state. */
  validator?: (...args: Args) => void;
  description?: string;
  /** @default HandlerUnfinishedPolicy.WARN_AND_ABANDON */
  unfinishedPolicy?: HandlerUnfinishedPolicy;
}

/** The update whose handler is running, from `currentUpdateInfo()`. */
export interface UpdateInfo {
  id: string;
  name: string;
}

/** Handles signals that have no handler of their own; see {@link setDefaultSignalHandler}. */
export type DefaultSignalHandler = (signalName: string, ...args: unknown[]) => void | Promise<void>;

/** Values of the workflow's info that change as it runs and are not part of history. */
export interface UnsafeWorkflowInfo {
  /** Whether the current activation replays history. Never branch workflow logic on it. */
  readonly isReplaying: boolean;
  /** The real system time in ms; unlike `Date.now()`, it is not deterministic. */
  now(): number;
}

/**
 * What a workflow knows about its run, as Temporal's `WorkflowInfo`. `workflowInfo()` returns a
 * fresh copy on each call: read it where you need it rather than keeping one.
 */
export interface WorkflowInfo {
  readonly workflowId: string;
  readonly runId: string;
  readonly workflowType: string;
  readonly namespace: string;
  readonly taskQueue: string;
  /** Attempt of this run under the workflow's retry policy, from 1. */
  readonly attempt: number;
  readonly firstExecutionRunId: string;
  readonly continuedFromExecutionRunId?: string;
  /** When the workflow execution (chain of runs) started. */
  readonly startTime: Date;
  /** When this run started. */
  readonly runStartTime: Date;
  readonly executionTimeoutMs?: number;
  /** `startTime + executionTimeoutMs`, when the execution has a timeout. */
  readonly executionExpirationTime?: Date;
  readonly runTimeoutMs?: number;
  readonly taskTimeoutMs: number;
  readonly retryPolicy?: RetryPolicy;
  /** Memo values, converted with the payload converter. */
  readonly memo?: Record<string, unknown>;
  readonly searchAttributes: Record<string, unknown>;
  /** The search attributes with their types, as upserted so far. */
  readonly typedSearchAttributes: TypedSearchAttributes;
  /** Events in history when the current activation started. */
  readonly historyLength: number;
  /** Bytes of history when the current activation started (Temporal's `historySize`). */
  readonly historySize: number;
  /** True once the history nears its limits (80% of the maximum events, or 10 MB): call `continueAsNew`. */
  readonly continueAsNewSuggested: boolean;
  /** The cron schedule the workflow was started with, if any. */
  readonly cronSchedule?: string;
  /** For a cron run: ms between its start and its first workflow task (how long it waited for its firing). */
  readonly cronScheduleToScheduleInterval?: number;
  /** The result of the last run of the chain that completed (cron workflows), converted. */
  readonly lastResult?: unknown;
  /** The failure that closed the previous run of the chain (a retried or cron workflow). */
  readonly lastFailure?: TemporalFailure;
  /** Set on a child workflow: the workflow that started it. */
  readonly parent?: ParentWorkflowInfo;
  /** Set on a child workflow: the first workflow of its tree of children (Temporal's `RootWorkflowInfo`). */
  readonly root?: RootWorkflowInfo;
  readonly unsafe: UnsafeWorkflowInfo;
}

/** The first workflow of a tree of children, as Temporal's `RootWorkflowInfo`. */
export interface RootWorkflowInfo {
  workflowId: string;
  runId: string;
}

/** The parent of a child workflow, as Temporal's `ParentWorkflowInfo`. */
export interface ParentWorkflowInfo {
  workflowId: string;
  runId: string;
  namespace: string;
}

/** Log levels and attributes: the SDK's one logger contract (keel/common). */
export type { LogLevel, LogMetadata };

/**
 * Where workflow log records go. The worker may set one (`runtime.setLogger`); the default writes to
 * the sandbox's `console`.
 */
export interface WorkflowLogSink {
  log(level: LogLevel, message: string, meta: LogMetadata): void;
}

/** The replay-aware logger `log` of `keel/workflow`. */
export type WorkflowLogger = Logger;
