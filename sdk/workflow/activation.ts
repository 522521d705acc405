/**
 * The contract between the worker (outside the sandbox) and the workflow runtime
 * (inside it). The worker reads history, turns each workflow task's new events into
 * one activation, and checks the commands that come back against the events that
 * recorded them on replay. Nothing here may import Node or the worker.
 *
 * Payloads cross this boundary already decoded by the worker's codec and still
 * converted: the sandbox runs the payload converter, the worker runs the codec.
 */
import type { Command, Failure, Payload, RetryPolicy } from '../../protocol/index.js';
import type { LocalActivityResolution } from './local-activity-marker.js';
import type { SinkCall } from './sinks.js';

/** What the workflow needs to know about its run at start; `workflowInfo()` is built from it. */
export interface WorkflowStartInfo {
  namespace: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  attempt: number;
  firstExecutionRunId: string;
  continuedFromExecutionRunId?: string;
  workflowExecutionTimeoutMs?: number;
  workflowRunTimeoutMs?: number;
  workflowTaskTimeoutMs: number;
  retryPolicy?: RetryPolicy;
  memo?: Record<string, Payload>;
  searchAttributes?: Record<string, unknown>;
  /** ms since the epoch. */
  startTime: number;
  cronSchedule?: string;
  /** The first workflow task's back-off: for a cron run, how long it waited for its firing. */
  firstWorkflowTaskBackoffMs?: number;
  /** The chain's last successful result (cron), still converted. */
  lastCompletionResult?: Payload[];
  /** The failure that closed the previous run of the chain (retry, cron). */
  continuedFailure?: Failure;
  /** Set on a child workflow: the run that started it. */
  parent?: { workflowId: string; runId: string; namespace: string };
  /** Set on a child workflow: the first workflow of its tree of children. */
  root?: { workflowId: string; runId: string };
}

export type ActivityResolution =
  | { completed: { result?: Payload } }
  | { failed: { failure: Failure } }
  | { cancelled: { failure: Failure } };

/** How a child workflow ended, as the parent sees it: its result, or a ChildWorkflowFailure (with the cause). */
export type ChildWorkflowResolution = { completed: { result?: Payload } } | { failed: { failure: Failure } };

export type ActivationJob =
  | { type: 'startWorkflow'; workflowType: string; args: Payload[]; info: WorkflowStartInfo; randomnessSeed: number; headers?: Record<string, Payload> }
  | { type: 'fireTimer'; timerId: string }
  | { type: 'resolveActivity'; activityId: string; result: ActivityResolution }
  | { type: 'signalWorkflow'; signalName: string; args: Payload[]; headers?: Record<string, Payload> }
  | { type: 'cancelWorkflow' }
  /**
   * History has a patch marker for `patchId` in the commands of this (replayed) task: `patched(patchId)`
   * returns true. Delivered before the other jobs of the activation (Temporal's `notifyHasPatch`).
   */
  | { type: 'notifyHasPatch'; patchId: string }
  /** A local activity the workflow asked for (by its seq) ended: executed by the worker, or read from its marker on replay. */
  | { type: 'resolveLocalActivity'; seq: number; resolution: LocalActivityResolution }
  /** An accepted update (WorkflowExecutionUpdateAccepted): run its handler; the validator already ran. */
  | { type: 'doUpdate'; updateId: string; name: string; args: Payload[]; headers?: Record<string, Payload> }
  /** A child's start was answered: `started` (its run id) or `failed` (the id is in use). `seq` is the command's `control`. */
  | { type: 'resolveChildWorkflowExecutionStart'; seq: number; started?: { runId: string }; failed?: { workflowId: string; workflowType: string; cause: string } }
  /** A started child's chain closed. */
  | { type: 'resolveChildWorkflowExecution'; seq: number; result: ChildWorkflowResolution }
  /** A signal to an external workflow was delivered, or failed (`failure`). */
  | { type: 'resolveSignalExternalWorkflow'; seq: number; failure?: Failure }
  /** A cancellation request to an external workflow (or a child) was delivered, or failed (`failure`). */
  | { type: 'resolveRequestCancelExternalWorkflow'; seq: number; failure?: Failure };

/**
 * A local activity the workflow asks the worker to run within the current workflow task (Temporal's
 * ScheduleLocalActivity, which never reaches the service). Its outcome comes back as a
 * `resolveLocalActivity` job, and the workflow records it with a `core_local_activity` marker.
 */
export interface LocalActivityRequest {
  seq: number;
  activityId: string;
  activityType: string;
  /** Converted arguments. */
  input: Payload[];
  attempt: number;
  /** ms since the epoch: the first attempt's schedule time (the workflow's clock). */
  originalScheduleTime: number;
  startToCloseTimeoutMs?: number;
  scheduleToCloseTimeoutMs?: number;
  retryPolicy?: RetryPolicy;
  localRetryThresholdMs: number;
  /** The headers the workflow's outbound interceptors gave the local activity (for the activity's inbound interceptors). */
  headers?: Record<string, Payload>;
}

/** A query answered against the workflow's current state; it never changes that state. */
export interface QueryRequest {
  queryId: string;
  queryType: string;
  args: Payload[];
  /** Set when this is an update's validation: run the validator of update `queryType` instead (read-only, as a query). */
  update?: { updateId: string };
  /** The query's (or update's) headers. */
  headers?: Record<string, Payload>;
}

export interface Activation {
  /** ms since the epoch: `Date.now()` in the workflow during this activation (the workflow task's start). */
  timestamp: number;
  isReplaying: boolean;
  historyLength: number;
  /** Bytes of history when the task started. */
  historySize?: number;
  /** The history nears the service's limit: the workflow should continue as new. */
  continueAsNewSuggested?: boolean;
  jobs: ActivationJob[];
}

export type ActivationResult =
  /** The workflow made progress: these commands, in this order (and local activities to run before the task completes). */
  | { commands: Command[]; localActivities?: LocalActivityRequest[]; sinkCalls?: SinkCall[] }
  /** The workflow task failed (a non-ApplicationFailure error, or a bug): the service retries it. */
  | { failure: Failure };

export type QueryResult = { queryId: string; answer?: Payload; failure?: Failure; /** No handler for the query type. */ notRegistered?: boolean };

/**
 * What the bundle's entry exposes on the sandbox's global object. For each activation the
 * worker calls `activate`, lets the microtask queue drain, then calls `tryUnblockConditions`
 * until it returns 0, draining microtasks after each call that returned more than 0, and finally
 * calls `collectCommands`: so every promise the jobs resolved, and every `condition` that became
 * true, has run its continuation (Temporal's loop). In code:
 *
 * ```ts
 * runtime.activate(activation);
 * do await drainMicrotasks(); while (runtime.tryUnblockConditions() > 0);
 * const result = runtime.collectCommands();
 * ```
 */
export interface WorkflowRuntimeApi {
  activate(activation: Activation): void;
  /**
   * Re-evaluates every `condition(fn)` the workflow waits on and resolves those now true; returns
   * how many it resolved. Their continuations run at the next microtask drain.
   */
  tryUnblockConditions(): number;
  /**
   * Whether the workflow waits on any `condition` (so {@link tryUnblockConditions} has anything to
   * evaluate). The worker calls it outside the context (it reads no user code) and skips the call
   * into the context when not: most activations of most runs.
   */
  hasBlockedConditions?(): boolean;
  collectCommands(): ActivationResult;
  /** Query handlers are synchronous, as in Temporal; a handler that returns a promise is rejected. */
  query(request: QueryRequest): QueryResult;
  /** Sends the workflow's `log` records to `sink` instead of the sandbox's console. */
  setLogger?(sink: WorkflowLogSinkLike): void;
  /** The run is let go of: runs the internals interceptors' `dispose`. */
  dispose?(): void;
  /**
   * Whether {@link dispose} has anything to run (the run has internals interceptors). The worker
   * calls it outside the context (it reads no user code) and skips the call into the context for
   * a run without any: most runs, and a call into the context is a switch of globals and a drain.
   */
  needsDispose?(): boolean;
}

/** Where the workflow's `log` writes (a structural copy of keel/workflow's WorkflowLogSink). */
export interface WorkflowLogSinkLike {
  log(level: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR', message: string, meta: Record<string | symbol, unknown>): void;
}

export const RUNTIME_GLOBAL = '__keelRuntime';

/** The name of the markers `patched` and `deprecatePatch` record (Temporal's). */
export const PATCH_MARKER_NAME = 'core_patch';
/** The details key of a patch marker; its one payload is JSON `{ id, deprecated }` (Temporal's). */
export const PATCH_MARKER_DETAILS_KEY = 'patch_data';
