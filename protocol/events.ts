/**
 * History events: Temporal's event types and attribute names, with durations in ms and
 * times as ISO-8601 strings. Event ids are dense from 1 within a run.
 */
import { z } from 'zod';
import { TimeoutType, RetryState, Failure, Payload, Payloads, RetryPolicy } from './payload.js';
import { ParentClosePolicy, WorkflowIdReusePolicy, WorkflowTaskFailedCause, enumValues } from './enums.js';

const Ms = z.number().int().nonnegative();
const EventId = z.number().int().positive();
const Identity = z.string().optional();
const SearchAttributes = z.record(z.string(), z.unknown());
const TimeoutTypeSchema = z.enum(enumValues(TimeoutType));
const RetryStateSchema = z.enum(enumValues(RetryState));
const Execution = z.object({ workflowId: z.string(), runId: z.string() });
const WorkflowTypeName = z.object({ name: z.string() });
/** Temporal's StartChildWorkflowExecutionFailedCause. */
const StartChildFailedCause = z.enum(['WORKFLOW_ALREADY_EXISTS', 'NAMESPACE_NOT_FOUND']);
/** Temporal's CancelExternalWorkflowExecutionFailedCause / SignalExternalWorkflowExecutionFailedCause. */
const ExternalFailedCause = z.enum(['EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND', 'NAMESPACE_NOT_FOUND']);

/** Attribute schemas, keyed by event type. */
export const EventAttributes = {
  WorkflowExecutionStarted: z.object({
    workflowType: z.string(),
    taskQueue: z.string(),
    input: Payloads,
    workflowExecutionTimeoutMs: Ms.optional(),
    workflowRunTimeoutMs: Ms.optional(),
    workflowTaskTimeoutMs: Ms,
    identity: Identity,
    attempt: z.number().int().positive(),
    originalExecutionRunId: z.string(),
    firstExecutionRunId: z.string(),
    continuedExecutionRunId: z.string().optional(),
    retryPolicy: RetryPolicy.optional(),
    memo: z.record(z.string(), Payload).optional(),
    searchAttributes: SearchAttributes.optional(),
    /** The start delay: the first workflow task is scheduled this long after the start. */
    firstWorkflowTaskBackoffMs: Ms.optional(),
    workflowExecutionExpirationTime: z.string().optional(),
    header: z.record(z.string(), Payload).optional(),
    cronSchedule: z.string().optional(),
    /** Why this run continues its chain: the workflow's continue-as-new, a retry, or the cron schedule. */
    initiator: z.enum(['WORKFLOW', 'RETRY', 'CRON_SCHEDULE']).optional(),
    /** The chain's last successful result (cron), for `workflowInfo().lastResult`. */
    lastCompletionResult: Payloads.optional(),
    /** The failure that closed the previous run (retry, cron), for `workflowInfo().lastFailure`. */
    continuedFailure: Failure.optional(),
    /** Set on a child workflow's runs: the parent that started its chain. */
    parentWorkflowNamespace: z.string().optional(),
    parentWorkflowExecution: Execution.optional(),
    parentInitiatedEventId: EventId.optional(),
    rootWorkflowExecution: Execution.optional(),
  }),
  WorkflowTaskScheduled: z.object({ taskQueue: z.string(), startToCloseTimeoutMs: Ms, attempt: z.number().int().positive() }),
  WorkflowTaskStarted: z.object({
    scheduledEventId: EventId,
    identity: Identity,
    requestId: z.string().optional(),
    /** Bytes of the run's history when the task started (Temporal's `historySizeBytes`). */
    historySizeBytes: z.number().int().nonnegative().optional(),
    /** Set when the history nears its limits: `workflowInfo().continueAsNewSuggested` (Temporal's `suggestContinueAsNew`). */
    suggestContinueAsNew: z.boolean().optional(),
  }),
  WorkflowTaskCompleted: z.object({ scheduledEventId: EventId, startedEventId: EventId, identity: Identity }),
  WorkflowTaskTimedOut: z.object({ scheduledEventId: EventId, startedEventId: z.number().int().nonnegative(), timeoutType: TimeoutTypeSchema }),
  WorkflowTaskFailed: z.object({
    scheduledEventId: EventId,
    startedEventId: EventId,
    cause: z.enum(enumValues(WorkflowTaskFailedCause)),
    failure: Failure.optional(),
    identity: Identity,
    /** RESET_WORKFLOW: the run this one was reset from, and this run (Temporal's names). */
    baseRunId: z.string().optional(),
    newRunId: z.string().optional(),
  }),
  ActivityTaskScheduled: z.object({
    activityId: z.string(),
    activityType: z.string(),
    taskQueue: z.string(),
    input: Payloads,
    scheduleToCloseTimeoutMs: Ms.optional(),
    scheduleToStartTimeoutMs: Ms.optional(),
    startToCloseTimeoutMs: Ms.optional(),
    heartbeatTimeoutMs: Ms.optional(),
    workflowTaskCompletedEventId: EventId,
    retryPolicy: RetryPolicy,
    header: z.record(z.string(), Payload).optional(),
  }),
  ActivityTaskStarted: z.object({
    scheduledEventId: EventId,
    identity: Identity,
    requestId: z.string().optional(),
    attempt: z.number().int().positive(),
    lastFailure: Failure.optional(),
  }),
  ActivityTaskCompleted: z.object({ result: Payload.optional(), scheduledEventId: EventId, startedEventId: EventId, identity: Identity }),
  ActivityTaskFailed: z.object({ failure: Failure, scheduledEventId: EventId, startedEventId: EventId, identity: Identity, retryState: RetryStateSchema }),
  ActivityTaskTimedOut: z.object({ failure: Failure, scheduledEventId: EventId, startedEventId: z.number().int().nonnegative(), retryState: RetryStateSchema }),
  ActivityTaskCancelRequested: z.object({ scheduledEventId: EventId, workflowTaskCompletedEventId: EventId }),
  ActivityTaskCanceled: z.object({
    details: Payloads.optional(),
    latestCancelRequestedEventId: EventId,
    scheduledEventId: EventId,
    startedEventId: z.number().int().nonnegative(),
    identity: Identity,
  }),
  // Keel's own `anchorTime`: the moment the timer counts from, when it is not the event's time (the
  // worker's StartTimer.requestedAtMs, bounded; src/engine/timer-anchor.ts). Rebuilds read it; Temporal's JSON form leaves it out.
  TimerStarted: z.object({ timerId: z.string(), startToFireTimeoutMs: Ms, workflowTaskCompletedEventId: EventId, anchorTime: z.string().optional() }),
  TimerFired: z.object({ timerId: z.string(), startedEventId: EventId }),
  TimerCanceled: z.object({ timerId: z.string(), startedEventId: EventId, workflowTaskCompletedEventId: EventId, identity: Identity }),
  MarkerRecorded: z.object({
    markerName: z.string(),
    details: z.record(z.string(), Payloads),
    workflowTaskCompletedEventId: EventId,
    failure: Failure.optional(),
  }),
  WorkflowExecutionSignaled: z.object({ signalName: z.string(), input: Payloads, identity: Identity, header: z.record(z.string(), Payload).optional() }),
  WorkflowExecutionCancelRequested: z.object({ cause: z.string().optional(), identity: Identity }),
  WorkflowExecutionCompleted: z.object({ result: Payload.optional(), workflowTaskCompletedEventId: EventId, newExecutionRunId: z.string().optional() }),
  WorkflowExecutionFailed: z.object({ failure: Failure, retryState: RetryStateSchema, workflowTaskCompletedEventId: EventId, newExecutionRunId: z.string().optional() }),
  WorkflowExecutionCanceled: z.object({ details: Payloads.optional(), workflowTaskCompletedEventId: EventId }),
  /** The run closed by continuing as a new run (status CONTINUED_AS_NEW); the new run's id is here. */
  WorkflowExecutionContinuedAsNew: z.object({
    newExecutionRunId: z.string(),
    workflowType: z.string(),
    taskQueue: z.string(),
    input: Payloads,
    workflowRunTimeoutMs: Ms.optional(),
    workflowTaskTimeoutMs: Ms,
    backoffStartIntervalMs: Ms.optional(),
    workflowTaskCompletedEventId: EventId,
    header: z.record(z.string(), Payload).optional(),
  }),
  WorkflowExecutionTerminated: z.object({ reason: z.string().optional(), details: Payloads.optional(), identity: Identity }),
  WorkflowExecutionTimedOut: z.object({ retryState: RetryStateSchema, newExecutionRunId: z.string().optional() }),
  /** The workflow upserted these search attributes (`null` or `[]` removed one). */
  UpsertWorkflowSearchAttributes: z.object({ searchAttributes: SearchAttributes, workflowTaskCompletedEventId: EventId }),
  /** The workflow upserted these memo fields (`null` removed one). */
  WorkflowPropertiesModified: z.object({ upsertedMemo: z.record(z.string(), Payload.nullable()), workflowTaskCompletedEventId: EventId }),
  /**
   * An update passed its validator and was accepted (Temporal's names). An input to the workflow: its
   * handler runs in the next workflow task. A rejected update writes nothing at all.
   */
  WorkflowExecutionUpdateAccepted: z.object({
    protocolInstanceId: z.string(),
    acceptedRequestMessageId: z.string(),
    acceptedRequestSequencingEventId: z.number().int().nonnegative(),
    acceptedRequest: z.object({
      meta: z.object({ updateId: z.string(), identity: Identity }),
      input: z.object({ name: z.string(), args: Payloads, header: z.record(z.string(), Payload).optional() }),
    }),
  }),
  /** The update's handler returned or threw: written with the workflow task that saw it end. */
  WorkflowExecutionUpdateCompleted: z.object({
    meta: z.object({ updateId: z.string() }),
    acceptedEventId: EventId,
    outcome: z.union([z.object({ failure: Failure }), z.object({ success: Payload.optional() })]),
  }),
  StartChildWorkflowExecutionInitiated: z.object({
    namespace: z.string(),
    workflowId: z.string(),
    workflowType: WorkflowTypeName,
    taskQueue: z.string(),
    input: Payloads,
    workflowExecutionTimeoutMs: Ms.optional(),
    workflowRunTimeoutMs: Ms.optional(),
    workflowTaskTimeoutMs: Ms.optional(),
    parentClosePolicy: z.enum(enumValues(ParentClosePolicy)),
    workflowIdReusePolicy: z.enum(enumValues(WorkflowIdReusePolicy)).optional(),
    retryPolicy: RetryPolicy.optional(),
    memo: z.record(z.string(), Payload).optional(),
    searchAttributes: SearchAttributes.optional(),
    header: z.record(z.string(), Payload).optional(),
    control: z.string().optional(),
    workflowTaskCompletedEventId: EventId,
  }),
  StartChildWorkflowExecutionFailed: z.object({
    namespace: z.string(),
    workflowId: z.string(),
    workflowType: WorkflowTypeName,
    cause: StartChildFailedCause,
    control: z.string().optional(),
    initiatedEventId: EventId,
    workflowTaskCompletedEventId: EventId,
  }),
  ChildWorkflowExecutionStarted: z.object({
    namespace: z.string(),
    initiatedEventId: EventId,
    workflowExecution: Execution,
    workflowType: WorkflowTypeName,
    header: z.record(z.string(), Payload).optional(),
  }),
  ChildWorkflowExecutionCompleted: z.object({
    result: Payload.optional(),
    namespace: z.string(),
    workflowExecution: Execution,
    workflowType: WorkflowTypeName,
    initiatedEventId: EventId,
    startedEventId: EventId,
  }),
  ChildWorkflowExecutionFailed: z.object({
    failure: Failure,
    namespace: z.string(),
    workflowExecution: Execution,
    workflowType: WorkflowTypeName,
    initiatedEventId: EventId,
    startedEventId: EventId,
    retryState: RetryStateSchema,
  }),
  ChildWorkflowExecutionCanceled: z.object({
    details: Payloads.optional(),
    namespace: z.string(),
    workflowExecution: Execution,
    workflowType: WorkflowTypeName,
    initiatedEventId: EventId,
    startedEventId: EventId,
  }),
  ChildWorkflowExecutionTimedOut: z.object({
    namespace: z.string(),
    workflowExecution: Execution,
    workflowType: WorkflowTypeName,
    initiatedEventId: EventId,
    startedEventId: EventId,
    retryState: RetryStateSchema,
  }),
  ChildWorkflowExecutionTerminated: z.object({
    namespace: z.string(),
    workflowExecution: Execution,
    workflowType: WorkflowTypeName,
    initiatedEventId: EventId,
    startedEventId: EventId,
  }),
  SignalExternalWorkflowExecutionInitiated: z.object({
    namespace: z.string(),
    workflowExecution: z.object({ workflowId: z.string(), runId: z.string().optional() }),
    signalName: z.string(),
    input: Payloads,
    childWorkflowOnly: z.boolean(),
    header: z.record(z.string(), Payload).optional(),
    control: z.string().optional(),
    workflowTaskCompletedEventId: EventId,
  }),
  ExternalWorkflowExecutionSignaled: z.object({
    initiatedEventId: EventId,
    namespace: z.string(),
    workflowExecution: z.object({ workflowId: z.string(), runId: z.string().optional() }),
    control: z.string().optional(),
  }),
  SignalExternalWorkflowExecutionFailed: z.object({
    cause: ExternalFailedCause,
    namespace: z.string(),
    workflowExecution: z.object({ workflowId: z.string(), runId: z.string().optional() }),
    initiatedEventId: EventId,
    control: z.string().optional(),
    workflowTaskCompletedEventId: EventId,
  }),
  RequestCancelExternalWorkflowExecutionInitiated: z.object({
    namespace: z.string(),
    workflowExecution: z.object({ workflowId: z.string(), runId: z.string().optional() }),
    childWorkflowOnly: z.boolean(),
    reason: z.string().optional(),
    control: z.string().optional(),
    workflowTaskCompletedEventId: EventId,
  }),
  ExternalWorkflowExecutionCancelRequested: z.object({
    initiatedEventId: EventId,
    namespace: z.string(),
    workflowExecution: z.object({ workflowId: z.string(), runId: z.string().optional() }),
  }),
  RequestCancelExternalWorkflowExecutionFailed: z.object({
    cause: ExternalFailedCause,
    namespace: z.string(),
    workflowExecution: z.object({ workflowId: z.string(), runId: z.string().optional() }),
    initiatedEventId: EventId,
    control: z.string().optional(),
    workflowTaskCompletedEventId: EventId,
  }),
} as const;

export type EventType = keyof typeof EventAttributes;
export const EventType = Object.fromEntries(Object.keys(EventAttributes).map((k) => [k, k])) as { [K in EventType]: K };

type EventOfType<T extends EventType> = {
  eventId: number;
  /** ISO-8601 time the service wrote the event. */
  eventTime: string;
  eventType: T;
  attributes: z.infer<(typeof EventAttributes)[T]>;
};
export type HistoryEvent = { [T in EventType]: EventOfType<T> }[EventType];
export type EventOf<T extends EventType> = Extract<HistoryEvent, { eventType: T }>;
export type AttributesOf<T extends EventType> = z.infer<(typeof EventAttributes)[T]>;

export const HistoryEvent: z.ZodType<HistoryEvent> = z
  .discriminatedUnion(
    'eventType',
    Object.entries(EventAttributes).map(([type, attributes]) =>
      z.object({ eventId: EventId, eventTime: z.string(), eventType: z.literal(type), attributes }),
    ) as unknown as [z.ZodObject, ...z.ZodObject[]],
  )
  .meta({ id: 'HistoryEvent' }) as unknown as z.ZodType<HistoryEvent>;

/** Events that close a run: exactly one, always the last of its history. */
export const CLOSE_EVENT_TYPES: ReadonlySet<EventType> = new Set([
  'WorkflowExecutionCompleted',
  'WorkflowExecutionFailed',
  'WorkflowExecutionCanceled',
  'WorkflowExecutionTerminated',
  'WorkflowExecutionTimedOut',
  'WorkflowExecutionContinuedAsNew',
]);

/** Events written because a workflow task completed with a command (the rest are inputs to the workflow). */
export const COMMAND_EVENT_TYPES: ReadonlySet<EventType> = new Set([
  'ActivityTaskScheduled',
  'ActivityTaskCancelRequested',
  'TimerStarted',
  'TimerCanceled',
  'MarkerRecorded',
  'WorkflowExecutionCompleted',
  'WorkflowExecutionFailed',
  'WorkflowExecutionCanceled',
  'WorkflowExecutionContinuedAsNew',
  'UpsertWorkflowSearchAttributes',
  'WorkflowPropertiesModified',
  'WorkflowExecutionUpdateCompleted',
  'StartChildWorkflowExecutionInitiated',
  'SignalExternalWorkflowExecutionInitiated',
  'RequestCancelExternalWorkflowExecutionInitiated',
]);
