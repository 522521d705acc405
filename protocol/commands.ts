/**
 * Commands: what a workflow task's completion asks the service to do. Each command
 * produces the history event named beside it, in the order the commands are given.
 */
import { z } from 'zod';
import { ActivityCancellationType, ParentClosePolicy, WorkflowIdReusePolicy, enumValues } from './enums.js';
import { DurationMs, PositiveDurationMs } from './bounds.js';
import { Failure, Memo, MemoUpsert, Payload, Payloads, RetryPolicy, SearchAttributes } from './payload.js';

const Id = z.string().min(1).max(1000);
const Ms = DurationMs;

/** → ActivityTaskScheduled. Timeouts in ms; at least one of scheduleToClose and startToClose is required. */
export const ScheduleActivityTaskCommand = z.object({
  type: z.literal('ScheduleActivityTask'),
  activityId: Id,
  activityType: Id,
  /** Defaults to the workflow's task queue. */
  taskQueue: Id.optional(),
  input: Payloads.default([]),
  scheduleToCloseTimeoutMs: Ms.optional(),
  scheduleToStartTimeoutMs: Ms.optional(),
  startToCloseTimeoutMs: Ms.optional(),
  heartbeatTimeoutMs: Ms.optional(),
  retryPolicy: RetryPolicy.optional(),
  /** Recorded so that replay can tell how the workflow awaits cancellation; the service does not act on it. */
  cancellationType: z.enum(enumValues(ActivityCancellationType)).optional(),
  /**
   * Eager execution (Temporal's): start the activity at once for the worker completing this task,
   * which gets it in the completion's answer, skipping the task queue. Honoured for activities on
   * the workflow's own task queue, at most `Limits.maxEagerActivities` per completion; the rest
   * go through the queue as usual.
   */
  requestEagerExecution: z.boolean().optional(),
  header: z.record(z.string(), Payload).optional(),
});

/** → ActivityTaskCancelRequested (and ActivityTaskCanceled at once when the activity has not started). */
export const RequestCancelActivityTaskCommand = z.object({
  type: z.literal('RequestCancelActivityTask'),
  activityId: Id,
});

/** → TimerStarted; TimerFired follows when it is due. */
export const StartTimerCommand = z.object({
  type: z.literal('StartTimer'),
  timerId: Id,
  startToFireTimeoutMs: PositiveDurationMs,
  /**
   * When the workflow asked for the timer, on the worker's clock (ms since the epoch): the moment the
   * activation that produced this command ended. The service counts the timer from it, kept within
   * [the task's WorkflowTaskStarted time, the service's now] (src/engine/timer-anchor.ts). Absent: from
   * the moment the service applies the command, as Temporal's server does. Not part of replay's checks.
   */
  requestedAtMs: z.number().int().nonnegative().optional(),
});

/** → TimerCanceled. */
export const CancelTimerCommand = z.object({ type: z.literal('CancelTimer'), timerId: Id });

/** → MarkerRecorded. */
export const RecordMarkerCommand = z.object({
  type: z.literal('RecordMarker'),
  markerName: Id,
  details: z.record(z.string(), Payloads).default({}),
  failure: Failure.optional(),
});

/** → WorkflowExecutionCompleted. */
export const CompleteWorkflowExecutionCommand = z.object({
  type: z.literal('CompleteWorkflowExecution'),
  result: Payload.optional(),
});

/** → WorkflowExecutionFailed. */
export const FailWorkflowExecutionCommand = z.object({
  type: z.literal('FailWorkflowExecution'),
  failure: Failure,
});

/** → WorkflowExecutionCanceled. Only valid after cancellation was requested. */
export const CancelWorkflowExecutionCommand = z.object({
  type: z.literal('CancelWorkflowExecution'),
  details: Payloads.optional(),
});

/**
 * → WorkflowExecutionContinuedAsNew: closes the run and starts a new one under the same workflow
 * id with a fresh history, in one transaction (Temporal's continue-as-new). Fields left out are
 * the closing run's: type, task queue, timeouts, retry policy, memo, search attributes.
 */
export const ContinueAsNewWorkflowExecutionCommand = z.object({
  type: z.literal('ContinueAsNewWorkflowExecution'),
  workflowType: Id.optional(),
  taskQueue: Id.optional(),
  input: Payloads.default([]),
  workflowRunTimeoutMs: Ms.optional(),
  workflowTaskTimeoutMs: z.number().int().positive().max(120_000).optional(),
  /** The new run's first workflow task is scheduled this long after it starts. */
  backoffStartIntervalMs: Ms.optional(),
  retryPolicy: RetryPolicy.optional(),
  memo: Memo.optional(),
  searchAttributes: SearchAttributes.optional(),
  header: z.record(z.string(), Payload).optional(),
});

/**
 * → UpsertWorkflowSearchAttributes: merges these attributes into the run's (Temporal's upsert); a
 * value of `null` or `[]` removes the attribute. Values are typed as at start (a value's shape, or
 * `{ type, value }`); the run's summary in the visibility store changes in the same transaction.
 */
export const UpsertWorkflowSearchAttributesCommand = z.object({
  type: z.literal('UpsertWorkflowSearchAttributes'),
  searchAttributes: SearchAttributes,
});

/**
 * → WorkflowPropertiesModified: merges `upsertedMemo` into the run's memo; a field set to `null`
 * removes it (payloads stay opaque, so removal cannot be a payload the service would have to read).
 */
export const ModifyWorkflowPropertiesCommand = z.object({
  type: z.literal('ModifyWorkflowProperties'),
  upsertedMemo: MemoUpsert,
});

/**
 * → WorkflowExecutionUpdateCompleted: the handler of an accepted update returned (`success`) or threw
 * an ApplicationFailure (`failure`). Temporal carries this as a protocol message; Keel as a command.
 */
export const CompleteWorkflowUpdateCommand = z.object({
  type: z.literal('CompleteWorkflowUpdate'),
  updateId: Id,
  // Failure first: zod strips unknown keys, so the success branch would match a failure and drop it.
  outcome: z.union([z.object({ failure: Failure }), z.object({ success: Payload.optional() })]),
});

/**
 * → StartChildWorkflowExecutionInitiated; then, as input events, ChildWorkflowExecutionStarted (or
 * StartChildWorkflowExecutionFailed) and, when the child's chain closes, its ChildWorkflowExecution* close event.
 */
export const StartChildWorkflowExecutionCommand = z.object({
  type: z.literal('StartChildWorkflowExecution'),
  /** The namespace of the child; only the parent's own is supported. */
  namespace: Id.optional(),
  workflowId: Id,
  workflowType: Id,
  /** Defaults to the parent's task queue. */
  taskQueue: Id.optional(),
  input: Payloads.default([]),
  workflowExecutionTimeoutMs: Ms.optional(),
  workflowRunTimeoutMs: Ms.optional(),
  workflowTaskTimeoutMs: z.number().int().positive().max(120_000).optional(),
  /** Default TERMINATE. */
  parentClosePolicy: z.enum(enumValues(ParentClosePolicy)).optional(),
  workflowIdReusePolicy: z.enum(enumValues(WorkflowIdReusePolicy)).optional(),
  retryPolicy: RetryPolicy.optional(),
  memo: Memo.optional(),
  searchAttributes: SearchAttributes.optional(),
  header: z.record(z.string(), Payload).optional(),
  /** Opaque to the service, copied to the Initiated event: the SDK's sequence number of the call. */
  control: z.string().max(100).optional(),
});

/** → SignalExternalWorkflowExecutionInitiated; then ExternalWorkflowExecutionSignaled or SignalExternalWorkflowExecutionFailed. */
export const SignalExternalWorkflowExecutionCommand = z.object({
  type: z.literal('SignalExternalWorkflowExecution'),
  namespace: Id.optional(),
  execution: z.object({ workflowId: Id, runId: z.string().max(1000).optional() }),
  signalName: Id,
  input: Payloads.default([]),
  /** Only signal a child of this workflow. */
  childWorkflowOnly: z.boolean().optional(),
  header: z.record(z.string(), Payload).optional(),
  control: z.string().max(100).optional(),
});

/** → RequestCancelExternalWorkflowExecutionInitiated; then ExternalWorkflowExecutionCancelRequested or RequestCancelExternalWorkflowExecutionFailed. */
export const RequestCancelExternalWorkflowExecutionCommand = z.object({
  type: z.literal('RequestCancelExternalWorkflowExecution'),
  namespace: Id.optional(),
  workflowId: Id,
  runId: z.string().max(1000).optional(),
  /** Only cancel a child of this workflow (how the SDK cancels its children). */
  childWorkflowOnly: z.boolean().optional(),
  reason: z.string().max(1000).optional(),
  control: z.string().max(100).optional(),
});

export const Command = z
  .discriminatedUnion('type', [
    ScheduleActivityTaskCommand,
    RequestCancelActivityTaskCommand,
    StartTimerCommand,
    CancelTimerCommand,
    RecordMarkerCommand,
    CompleteWorkflowExecutionCommand,
    FailWorkflowExecutionCommand,
    CancelWorkflowExecutionCommand,
    ContinueAsNewWorkflowExecutionCommand,
    UpsertWorkflowSearchAttributesCommand,
    ModifyWorkflowPropertiesCommand,
    CompleteWorkflowUpdateCommand,
    StartChildWorkflowExecutionCommand,
    SignalExternalWorkflowExecutionCommand,
    RequestCancelExternalWorkflowExecutionCommand,
  ])
  .meta({ id: 'Command' });
export type Command = z.infer<typeof Command>;
export type CommandType = Command['type'];
export type CommandOf<T extends CommandType> = Extract<Command, { type: T }>;

/** Commands that close the run; at most one per completion, and it must be the last. */
export const CLOSE_COMMANDS: ReadonlySet<CommandType> = new Set([
  'CompleteWorkflowExecution',
  'FailWorkflowExecution',
  'CancelWorkflowExecution',
  'ContinueAsNewWorkflowExecution',
]);
