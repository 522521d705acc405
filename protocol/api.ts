/**
 * Every endpoint of the HTTP API: method, path, request and response schemas. The
 * router validates with these, the SDK's client is typed by them, and the OpenAPI
 * document is generated from them. Paths are relative to `/api/v1/namespaces/{namespace}`.
 *
 * Conventions: durations are integer milliseconds in fields ending in `Ms`; times are
 * ISO-8601 strings; mutating calls take an optional `requestId` so that a retry after a
 * lost response changes nothing (design invariant 5's twin: retries are harmless).
 */
import { z } from 'zod';
import { Command } from './commands.js';
import { ParentClosePolicy, ResetReapplyExcludeType, ResetType, WorkflowExecutionStatus, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowTaskFailedCause, enumValues } from './enums.js';
import { HistoryEvent } from './events.js';
import { DurationMs, MAX_BACKOFF_COEFFICIENT, MAX_DURATION_MS, MAX_MEMO_BYTES, MAX_PENDING_PER_KIND, MAX_SEARCH_ATTRIBUTES, MAX_SEARCH_ATTRIBUTES_BYTES, MAX_TASKS_PER_BATCH, PositiveDurationMs, QueryPageSize } from './bounds.js';
import { ErrorStatus } from './errors.js';
import { Failure, Memo, Payload, Payloads, RetryPolicy, SearchAttributes } from './payload.js';
import { CreateScheduleRequest, CreateScheduleResponse, DeleteScheduleRequest, DescribeScheduleResponse, ListSchedulesRequest, ListSchedulesResponse, PatchScheduleRequest, UpdateScheduleRequest } from './schedules.js';

/** Limits the service enforces; each breach is answered with PAYLOAD_TOO_LARGE or INVALID_ARGUMENT. */
export const Limits = {
  /** Bytes of one request body. */
  maxRequestBytes: 4 * 1024 * 1024,
  /** Characters of an id or a name (workflow id, type, task queue, signal name, …). */
  maxNameLength: 1000,
  /** Events in one run's history; continue-as-new before this. */
  maxHistoryEvents: 51_200,
  /** Events from which `continueAsNewSuggested` is true (80% of the limit). */
  historySuggestContinueAsNewEvents: 40_960,
  /** Bytes of one run's history (its events as stored): over this the run is terminated, as Temporal's 50 MB. */
  historySizeLimitBytes: 50 * 1024 * 1024,
  /** Bytes of history from which `continueAsNewSuggested` is true, as Temporal's 10 MB warning. */
  historySizeWarnBytes: 10 * 1024 * 1024,
  /**
   * Bytes of one stored row: one history event, or one run's state (memo, search attributes, pending
   * work, signals waiting for the running task). Durable Object SQLite stores at most 2 MB in a row.
   */
  maxEventBytes: 1_900_000,
  /** Bytes of history one answer carries (a history page, a workflow task's first page); a single bigger event is sent alone. */
  maxHistoryPageBytes: 4 * 1024 * 1024,
  /** The most workflow tasks one poll answer carries (protocol 3, `PollTaskRequest.maxTasks`). */
  maxTasksPerPoll: 16,
  /** The most worker exchanges one `/tasks/batch` request carries (protocol 5); see bounds.ts. */
  maxTasksPerBatch: MAX_TASKS_PER_BATCH,
  /** The longest a long poll is held before an empty answer. */
  longPollMs: 20_000,
  /** Events in one page of history. */
  maxHistoryPageSize: 1000,
  /** How deeply objects and arrays may nest in a request body (a failure's cause chain counts). */
  maxJsonDepth: 256,
  /** Characters of a list filter (`query` of list and count). */
  maxListFilterLength: 10_000,
  /** Executions in one page of a list. */
  maxListPageSize: 1000,
  /** Activities one workflow task completion may start eagerly (`requestEagerExecution`), as Temporal's default. */
  maxEagerActivities: 3,
  /**
   * How long a worker that polls with `acknowledgesHandOff` has to acknowledge a task it was
   * handed (or complete, fail or heartbeat it): after that the poll is taken for dead and the
   * task goes back to its queue (protocol 2).
   */
  handOffAckMs: 1000,
  /**
   * The same for a task handed back in the answer to the worker's own request (an eager activity, the
   * next workflow task with an activity's completion, an eager start's first task). The worker was
   * alive when it sent that request, so only a connection lost in the moment between loses the answer;
   * a worker slowed by a saturated machine gets this longer to acknowledge before its task is redone.
   * A task handed to a waiting poll (a poll, an offer, the alarm's sticky hand-over) keeps
   * `handOffAckMs`: that poll may have waited for a worker that died meanwhile.
   */
  answerHandOffAckMs: 5000,
  /** The longest duration any `…Ms` field may carry (100 years); see bounds.ts. */
  maxDurationMs: MAX_DURATION_MS,
  /** The largest retry policy `backoffCoefficient`. */
  maxBackoffCoefficient: MAX_BACKOFF_COEFFICIENT,
  /** Pending activities, timers, child workflows, external signals and external cancel requests of one run, each (Temporal's 2,000). */
  maxPendingPerKind: MAX_PENDING_PER_KIND,
  /** Bytes of one memo. */
  maxMemoBytes: MAX_MEMO_BYTES,
  /** Search attributes in one request, and their bytes. */
  maxSearchAttributes: MAX_SEARCH_ATTRIBUTES,
  maxSearchAttributesBytes: MAX_SEARCH_ATTRIBUTES_BYTES,
  /** Bytes of executions one list page carries; a page stops early (with a token) rather than pass it. */
  maxListPageBytes: 4 * 1024 * 1024,
} as const;

const Name = z.string().min(1).max(Limits.maxNameLength);
const Ms = DurationMs;
const RequestId = z.string().min(1).max(200).optional().describe('Makes a retry of this call harmless: the same id is answered with the first answer.');
const Identity = z.string().max(Limits.maxNameLength).optional().describe('Who is calling, e.g. "worker-1@host"; recorded in history.');
const Time = z.string().describe('ISO-8601 time');
const Empty = z.object({}).meta({ id: 'Empty' });

export const WorkflowExecution = z.object({ workflowId: z.string(), runId: z.string() }).meta({ id: 'WorkflowExecution' });
export type WorkflowExecution = z.infer<typeof WorkflowExecution>;

// ---- Workflow executions -------------------------------------------------------

/**
 * Protocol 2, for a task handed back in an answer (eager workflow start, eager activities, the next
 * workflow task of an activity completion): the caller acknowledges it (`acknowledgeTask`), or
 * completes, fails or heartbeats it, within `Limits.handOffAckMs`, as a polled task. If it does not
 * (the caller died with the answer), the task goes back to its queue then instead of after its timeout.
 */
const AcknowledgesAnswer = z.boolean().optional();

export const StartWorkflowRequest = z
  .object({
    workflowId: Name,
    workflowType: Name,
    taskQueue: Name,
    input: Payloads.default([]),
    workflowIdReusePolicy: z.enum(enumValues(WorkflowIdReusePolicy)).optional(),
    workflowIdConflictPolicy: z.enum(enumValues(WorkflowIdConflictPolicy)).optional(),
    workflowExecutionTimeoutMs: Ms.optional(),
    workflowRunTimeoutMs: Ms.optional(),
    /** Default 10 s, at most 120 s, as Temporal. */
    workflowTaskTimeoutMs: z.number().int().positive().max(120_000).optional(),
    retryPolicy: RetryPolicy.optional(),
    memo: Memo.optional(),
    searchAttributes: SearchAttributes.optional(),
    /** The first workflow task is scheduled this long after the start. */
    startDelayMs: Ms.optional(),
    header: z.record(z.string(), Payload).optional(),
    identity: Identity,
    requestId: RequestId,
    /** Temporal's cron schedule (five fields in UTC, or `@hourly`, `@every 10m`, …): runs start on it. */
    cronSchedule: z.string().max(256).optional(),
    /**
     * Eager workflow start (Temporal's `request_eager_execution`): the caller runs a worker for this
     * task queue with a free slot, so the run's first workflow task is started in the start's own
     * transaction and returned in the answer (`eagerWorkflowTask`), skipping the task queue. Not
     * honoured with a start delay or a cron schedule, nor when no run is started.
     */
    requestEagerExecution: z.boolean().optional(),
    /** Protocol 2: the caller acknowledges `eagerWorkflowTask` (see `AcknowledgesAnswer`). */
    acknowledgesHandOff: AcknowledgesAnswer,
    /**
     * Start and wait in one exchange (what a client's `execute` needs): the answer is held until the
     * run started (or found running) closes, up to the long poll, and then carries its `closeEvent`;
     * without it, the caller waits for the result as usual (getWorkflowHistory, `closeEventOnly`).
     * Not honoured when the answer carries an eager workflow task, which the caller must run first.
     */
    waitForClose: z.boolean().optional(),
    /**
     * Protocol 9: the caller tells no one of this start before the run's result (a client's `execute`).
     * The service may then keep the run in memory only while the caller's own worker runs it, writing it
     * when it closes, when anything else reaches it, when it needs a timer, a task queue or another
     * workflow, or a second after the start at the latest (`provisional` in the answer says it did). A
     * crash before then loses the run: the caller, finding no run, starts it again (its activities may
     * run again, as after any crash before their completions were recorded).
     */
    provisional: z.boolean().optional(),
  })
  .meta({ id: 'StartWorkflowRequest' });

/**
 * Signal-with-start (Temporal's): signals the running run of the workflow id in the path, or, when
 * none runs, starts one with these options and signals it, in one transaction. The workflow id comes
 * from the path; the id conflict policy is USE_EXISTING (signal the running run) unless
 * TERMINATE_EXISTING is asked for.
 */
export const SignalWithStartWorkflowRequest = StartWorkflowRequest.omit({ workflowId: true, workflowIdConflictPolicy: true, requestEagerExecution: true, acknowledgesHandOff: true, waitForClose: true, provisional: true })
  .extend({
    workflowIdConflictPolicy: z.enum(['USE_EXISTING', 'TERMINATE_EXISTING']).optional(),
    signalName: Name,
    signalInput: Payloads.default([]),
    signalHeader: z.record(z.string(), Payload).optional(),
  })
  .meta({ id: 'SignalWithStartWorkflowRequest' });

export const RunSelector = z.object({ runId: z.string().optional().describe('Defaults to the latest run.') });

export const PendingActivityState = { SCHEDULED: 'SCHEDULED', STARTED: 'STARTED', CANCEL_REQUESTED: 'CANCEL_REQUESTED' } as const;
export const PendingActivity = z
  .object({
    activityId: z.string(),
    activityType: z.string(),
    scheduledEventId: z.number().int(),
    state: z.enum(enumValues(PendingActivityState)),
    attempt: z.number().int(),
    maximumAttempts: z.number().int(),
    scheduledTime: Time,
    lastStartedTime: Time.optional(),
    lastHeartbeatTime: Time.optional(),
    heartbeatDetails: Payloads.optional(),
    lastFailure: Failure.optional(),
    lastWorkerIdentity: z.string().optional(),
    nextAttemptScheduleTime: Time.optional(),
    expirationTime: Time.optional(),
  })
  .meta({ id: 'PendingActivity' });

/** One run as the visibility store has it (Temporal's `WorkflowExecutionInfo`). */
export const WorkflowExecutionInfo = z
  .object({
    execution: WorkflowExecution,
    workflowType: z.string(),
    taskQueue: z.string(),
    status: z.enum(enumValues(WorkflowExecutionStatus)),
    startTime: Time,
    executionTime: Time.describe('When the first workflow task was due: the start plus any start delay.'),
    closeTime: Time.optional(),
    historyLength: z.number().int().describe('Events in the history when the summary was last written (at the start, then at the close).'),
    firstRunId: z.string(),
    memo: z.record(z.string(), Payload).optional(),
    searchAttributes: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'WorkflowExecutionInfo' });

/** A child workflow the run started and waits for (Temporal's `PendingChildExecutionInfo`). */
export const PendingChildExecution = z
  .object({
    workflowId: z.string(),
    runId: z.string().optional().describe('Set once the child has started.'),
    workflowTypeName: z.string(),
    initiatedId: z.number().int(),
    parentClosePolicy: z.enum(enumValues(ParentClosePolicy)),
  })
  .meta({ id: 'PendingChildExecution' });

/** What a run has cost so far on Cloudflare (protocol/prices.ts): its billable units, priced. */
export const ExecutionCostInfo = z
  .object({
    units: z.object({
      workerRequests: z.number(),
      durableObjectRequests: z.number(),
      alarms: z.number(),
      channelMessages: z.number().default(0).describe("Messages on workers' shard channels (protocol 7), billed 20 to a Durable Object request; absent from a service before protocol 7."),
      sqliteRowsRead: z.number(),
      sqliteRowsWritten: z.number(),
      d1RowsRead: z.number(),
      d1RowsWritten: z.number(),
      storedBytes: z.number().describe("The bytes the workflow object's database keeps (shared by every run of the workflow id)."),
    }),
    lines: z.array(z.object({ item: z.string(), units: z.number(), usd: z.number() })),
    totalUsd: z.number().describe('The lines summed: stored bytes priced for one month kept.'),
    priceTable: z.object({ name: z.string(), date: z.string().describe('When the prices were read (YYYY-MM-DD).') }),
    notCounted: z.string().describe('What the units leave out.'),
  })
  .meta({ id: 'ExecutionCost' });

export const DescribeNamespaceCostRequest = z
  .object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM').optional().describe('The calendar month (UTC) as YYYY-MM; the current month when absent.') })
  .meta({ id: 'DescribeNamespaceCostRequest' });

/** A namespace's cost in a month so far: the runs closed in it or still running, their units summed and priced. */
export const DescribeNamespaceCostResponse = ExecutionCostInfo.extend({
  namespace: z.string(),
  month: z.string(),
  runs: z.number().int().describe('How many runs the sum covers.'),
}).meta({ id: 'DescribeNamespaceCostResponse' });

/** Describe: the run's summary, as list has it, plus what only its own object knows. */
export const DescribeWorkflowResponse = WorkflowExecutionInfo.extend({
  historyLength: z.number().int(),
  workflowExecutionTimeoutMs: Ms.optional(),
  workflowRunTimeoutMs: Ms.optional(),
  workflowTaskTimeoutMs: Ms,
  pendingActivities: z.array(PendingActivity),
  pendingWorkflowTask: z
    .object({ state: z.enum(['SCHEDULED', 'STARTED']), scheduledTime: Time, startedTime: Time.optional(), attempt: z.number().int() })
    .optional(),
  stickyTaskQueue: z.string().optional(),
  cronSchedule: z.string().optional(),
  pendingChildren: z.array(PendingChildExecution).optional(),
  /** Set on a child workflow: the run that started it. */
  parentNamespace: z.string().optional(),
  parentExecution: WorkflowExecution.optional(),
  /** What the run has cost so far at Cloudflare's list prices. */
  cost: ExecutionCostInfo.optional(),
  /** Set on a run that was reset: the run that replaced it (Temporal's `workflowExtendedInfo.resetRunId`). */
  resetRunId: z.string().optional(),
  /** Set on a run made by a reset: the run it was reset from (also in its WorkflowTaskFailed's `baseRunId`). */
  resetFromRunId: z.string().optional(),
}).meta({ id: 'DescribeWorkflowResponse' });

export const SignalWorkflowRequest = RunSelector.extend({
  signalName: Name,
  input: Payloads.default([]),
  header: z.record(z.string(), Payload).optional(),
  identity: Identity,
  requestId: RequestId,
}).meta({ id: 'SignalWorkflowRequest' });

export const CancelWorkflowRequest = RunSelector.extend({
  reason: z.string().max(10_000).optional(),
  identity: Identity,
  requestId: RequestId,
}).meta({ id: 'CancelWorkflowRequest' });

export const TerminateWorkflowRequest = RunSelector.extend({
  reason: z.string().max(10_000).optional(),
  details: Payloads.optional(),
  identity: Identity,
  requestId: RequestId,
}).meta({ id: 'TerminateWorkflowRequest' });

/**
 * Reset (Temporal's ResetWorkflowExecution): the run is replaced by a new run of the same workflow
 * id whose history is the old one's up to the reset point, then a WorkflowTaskFailed (cause
 * RESET_WORKFLOW); signals and updates after the point are re-applied unless excluded. The current
 * run, when running, is terminated with the reason. Exactly one of `eventId` and `resetType`.
 */
export const ResetWorkflowRequest = RunSelector.extend({
  eventId: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('The event to go back to: one just after a workflow task was scheduled or started (usually a WorkflowTaskCompleted).'),
  resetType: z.enum(enumValues(ResetType)).optional(),
  reason: z.string().max(10_000).optional(),
  reapplyExclude: z.array(z.enum(enumValues(ResetReapplyExcludeType))).max(2).default([]),
  identity: Identity,
  requestId: RequestId,
})
  .refine((r) => (r.eventId === undefined) !== (r.resetType === undefined), { message: 'Give exactly one of eventId and resetType.' })
  .meta({ id: 'ResetWorkflowRequest' });
export const ResetWorkflowResponse = z.object({ runId: z.string().describe('The new run.') }).meta({ id: 'ResetWorkflowResponse' });

/** Query-string booleans: `true`/`1` and `false`/`0`. */
const QueryBool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
  .transform((v) => v === true || v === 'true' || v === '1');

export const GetHistoryRequest = RunSelector.extend({
  pageSize: QueryPageSize(Limits.maxHistoryPageSize).optional(),
  /** Opaque; from the previous page's `nextPageToken`. */
  nextPageToken: z.string().optional(),
  /** Hold the request (up to ~20 s) until an event after `nextPageToken` exists. */
  waitNewEvent: QueryBool.optional(),
  /** Answer only with the close event; with `waitNewEvent`, wait for it. */
  closeEventOnly: QueryBool.optional(),
}).meta({ id: 'GetHistoryRequest' });
export const GetHistoryResponse = z
  .object({
    runId: z.string(),
    events: z.array(HistoryEvent),
    /** Present while more events may follow; pass it back to read on (or to wait for new events). */
    nextPageToken: z.string().optional(),
  })
  .meta({ id: 'GetHistoryResponse' });

export const QueryRejectCondition = { NONE: 'NONE', NOT_OPEN: 'NOT_OPEN', NOT_COMPLETED_CLEANLY: 'NOT_COMPLETED_CLEANLY' } as const;
export const QueryWorkflowRequest = RunSelector.extend({
  queryType: Name,
  queryArgs: Payloads.default([]),
  /** Temporal's: refuse the query (QUERY_REJECTED) when the run is not running, or did not complete successfully. */
  queryRejectCondition: z.enum(enumValues(QueryRejectCondition)).optional(),
  /** Temporal's query header (e.g. a trace context), handed to the worker with the query. */
  header: z.record(z.string(), Payload).optional(),
}).meta({ id: 'QueryWorkflowRequest' });
export const QueryWorkflowResponse = z.object({ answer: Payload.optional() }).meta({ id: 'QueryWorkflowResponse' });

// ---- Updates ----------------------------------------------------------------------

/** Temporal's update stages: a caller waits until the update reaches one of them. */
export const UpdateStage = { ACCEPTED: 'ACCEPTED', COMPLETED: 'COMPLETED' } as const;
export const UpdateOutcome = z.union([z.object({ failure: Failure }), z.object({ success: Payload.optional() })]).meta({ id: 'UpdateOutcome' });

/**
 * An update: a worker runs its validator against the workflow's state (nothing is written when it
 * rejects); once accepted, WorkflowExecutionUpdateAccepted is written and the handler runs in the
 * next workflow task. The same `updateId` again is answered with the first update's stage and outcome.
 */
export const UpdateWorkflowRequest = RunSelector.extend({
  updateId: Name,
  name: Name,
  args: Payloads.default([]),
  header: z.record(z.string(), Payload).optional(),
  /** Refuse (WORKFLOW_NOT_FOUND) unless the run belongs to the chain started by this run. */
  firstExecutionRunId: z.string().optional(),
  /** Answer once the update reaches this stage, or when the long poll ends (the answer says the stage reached). */
  waitForStage: z.enum(enumValues(UpdateStage)).default('COMPLETED'),
  identity: Identity,
}).meta({ id: 'UpdateWorkflowRequest' });
export const UpdateWorkflowResponse = z
  .object({
    updateId: z.string(),
    runId: z.string(),
    /** The stage reached; `COMPLETED` with a failure outcome for an update its validator rejected. */
    stage: z.enum(enumValues(UpdateStage)),
    outcome: UpdateOutcome.optional(),
  })
  .meta({ id: 'UpdateWorkflowResponse' });
/**
 * Update-with-start (Temporal's): in one transaction, starts the workflow of the path's id — or,
 * with conflict policy USE_EXISTING, takes its running run — then sends the update to that run as
 * `updateWorkflow` does. The conflict policy is required, as in Temporal; with FAIL a running
 * workflow refuses the whole call (WORKFLOW_ALREADY_STARTED) and no update is sent.
 */
export const UpdateWithStartWorkflowRequest = z
  .object({
    start: StartWorkflowRequest.omit({ workflowId: true, workflowIdConflictPolicy: true, waitForClose: true, provisional: true }).extend({
      workflowIdConflictPolicy: z.enum(enumValues(WorkflowIdConflictPolicy)),
    }),
    update: UpdateWorkflowRequest.omit({ runId: true, firstExecutionRunId: true }),
  })
  .meta({ id: 'UpdateWithStartWorkflowRequest' });
export const UpdateWithStartWorkflowResponse = z
  .object({
    runId: z.string(),
    started: z.boolean().describe('false when USE_EXISTING took the running run'),
    update: UpdateWorkflowResponse,
  })
  .meta({ id: 'UpdateWithStartWorkflowResponse' });
export const PollWorkflowUpdateRequest = RunSelector.extend({
  waitForStage: z.enum(enumValues(UpdateStage)).default('COMPLETED'),
}).meta({ id: 'PollWorkflowUpdateRequest' });

// ---- Workflow tasks -------------------------------------------------------------

export const PollTaskRequest = z
  .object({
    identity: Identity,
    /** Names this worker's polls, so that `cancelPolls` can end them when it shuts down. */
    pollerId: z.string().min(1).max(200).optional(),
    /**
     * Protocol 2: this worker acknowledges every task it is handed (`acknowledgeTask`) within
     * `Limits.handOffAckMs`, unless it completes, fails or heartbeats it first. A task it does not
     * acknowledge in time was handed to a poll whose worker is gone: it goes back to its queue at
     * once (its workflow task's start is not written to history; an activity attempt is recorded as
     * lost), and the worker's other polls are ended. Workers that leave it out (protocol 1) are
     * served as before: such a task waits out its timeout.
     */
    acknowledgesHandOff: z.boolean().optional(),
    /**
     * Protocol 2: the sticky queue this worker polls as well. When the worker is found dead on this
     * queue (a task it did not acknowledge), its sticky queue is closed too, so the runs it cached go
     * to their normal queue at once. Closed only if every poll that queue has seen carried this
     * poll's `pollerId`, so a worker cannot close a queue it does not poll alone.
     */
    stickyTaskQueue: z.string().min(1).max(1000).optional(),
    /**
     * Protocol 3 (workflow tasks): the worker takes up to this many tasks in one answer — the first
     * as before, and then tasks already waiting in the queue's backlog (`moreTasks`), each started
     * for this poll. When many tasks come due at once (timers firing together) they reach the
     * worker in one round trip instead of one round trip each. The answer stops adding tasks once
     * it holds `Limits.maxHistoryPageBytes` of them. Workers that leave it out get one task an answer.
     */
    maxTasks: z.number().int().min(1).max(Limits.maxTasksPerPoll).optional(),
    /**
     * Activity polls (Temporal's `maxTaskQueueActivitiesPerSecond`): the task queue hands out at
     * most this many tasks a second, across every worker polling it. The latest poll that carries
     * it sets it; polls without it leave it as it is.
     */
    maxTasksPerSecond: z.number().positive().max(1_000_000).optional(),
    /**
     * Protocol 10: how long this poll may wait for a task, in ms, at most the service's long-poll bound
     * (the default). 0: answered at once, with a task waiting now or none — a worker that parked its polls
     * of this queue checks it so now and then (docs/workers.md).
     */
    waitMs: z.number().int().min(0).max(Limits.longPollMs).optional(),
  })
  .meta({ id: 'PollTaskRequest' });

/** Protocol 2: a worker received the task its token names (see `PollTaskRequest.acknowledgesHandOff`). */
export const AcknowledgeTaskRequest = z
  .object({
    taskToken: z.string().min(1),
    /** The worker's identity, as it polled: recorded on a workflow task's WorkflowTaskStarted when the service started it before knowing which poll would take it. */
    identity: Identity,
  })
  .meta({ id: 'AcknowledgeTaskRequest' });

export const CancelPollsRequest = z
  .object({
    kind: z.enum(['workflow', 'activity']),
    /** The `pollerId` the worker's polls carried. */
    pollerId: z.string().min(1).max(200),
  })
  .meta({ id: 'CancelPollsRequest' });
/**
 * Temporal's ShutdownWorker: the stopping worker's sticky queue is closed for good. Only its owner
 * may close it: the queue's name ends in the hash of `stickyQueueSecret` (protocol/sticky-queue.ts).
 */
export const ShutdownWorkerRequest = z
  .object({
    /** The worker's sticky queue, closed for good; absent for a worker without one. */
    stickyTaskQueue: z.string().min(1).max(1000).optional(),
    /** The secret the worker made its sticky queue's name from; PERMISSION_DENIED unless it matches. */
    stickyQueueSecret: z.string().min(16).max(200).optional(),
    identity: Identity,
    /** Protocol 6: the `pollerId` of the worker's shard polls, which every shard then answers empty. */
    pollerId: z.string().min(1).max(200).optional(),
  })
  .refine((r) => (r.stickyTaskQueue === undefined) === (r.stickyQueueSecret === undefined), { message: 'stickyTaskQueue and stickyQueueSecret go together', path: ['stickyQueueSecret'] })
  .meta({ id: 'ShutdownWorkerRequest' });
export const CancelPollsResponse = z.object({ cancelled: z.number().int() }).meta({ id: 'CancelPollsResponse' });

export const WorkflowTask = z
  .object({
    taskToken: z.string(),
    workflowExecution: WorkflowExecution,
    workflowType: z.string(),
    attempt: z.number().int(),
    /** The started event id of the last completed task; a sticky worker holds the run up to it. */
    previousStartedEventId: z.number().int(),
    startedEventId: z.number().int(),
    /** Full history, or for a sticky task only the events after `previousStartedEventId`; its first page when `nextPageToken` is set. */
    history: z.array(HistoryEvent),
    /**
     * Set when the history is too big for one answer (`Limits.maxHistoryPageBytes`), as Temporal's
     * paged poll answer: read the rest with getWorkflowHistory (this run id and this token) until a
     * page has no token, and append each page.
     */
    nextPageToken: z.string().optional(),
    /** Bytes of the run's stored history (Temporal's `historySizeBytes`). */
    historySizeBytes: z.number().int().nonnegative().optional(),
    /** The history is past the size or length where the run should continue as new (Temporal's `continueAsNewSuggested`). */
    continueAsNewSuggested: z.boolean().optional(),
    /** Present on a query task: answer it with `respondQueryTask`, not with a completion. */
    query: z.object({ queryType: z.string(), queryArgs: Payloads, header: z.record(z.string(), Payload).optional() }).optional(),
    /** Present on an update validation task: run the validator, answer with `respondQueryTask` (`failure` rejects). */
    update: z.object({ updateId: z.string(), name: z.string(), args: Payloads, header: z.record(z.string(), Payload).optional() }).optional(),
    scheduledTime: Time,
    startedTime: Time,
    /**
     * Protocol 5: the group of the service's workflows this task's run is kept in (opaque). Exchanges
     * about tasks of one group may go together in one `/tasks/batch` request, written in one commit;
     * absent from a service without it (or without shards), where each goes alone.
     */
    shardKey: z.string().optional(),
  })
  .meta({ id: 'WorkflowTask' });
export type WorkflowTask = z.infer<typeof WorkflowTask>;
export const StartWorkflowResponse = z
  .object({
    runId: z.string(),
    started: z.boolean().describe('false when USE_EXISTING answered with the running run'),
    eagerWorkflowTask: WorkflowTask.optional().describe('With requestEagerExecution: the first workflow task, already started for the caller'),
    closeEvent: HistoryEvent.optional().describe('With waitForClose: the run\'s close event, when it closed within the long poll'),
    provisional: z
      .string()
      .optional()
      .describe('Protocol 9: the run is kept in memory only until it closes or is written (see the request\'s `provisional`), in the memory of its shard this names. A WORKFLOW_NOT_FOUND for the run whose `details.shardMemory` names another memory says the run was lost with this one: the caller starts it again. From the same memory, the run was deleted.'),
    workflowShards: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Protocol 8: the service keeps the namespace\'s workflows in this many shards; a start whose workflow id hashes to shard s (shardOf) may be sent on shard s\'s channel (`/shards/{s}/channel`). Absent: send starts over HTTP.'),
  })
  .meta({ id: 'StartWorkflowResponse' });
/**
 * Protocol 10, in a poll's answer with `workflowShards`: the shards send a wake (protocol/shard-channel.ts,
 * `ShardChannelWake`) on the channels of the workers that serve this queue when a task of it goes to its
 * backlog, so a worker may stop long-polling the queue once a poll of it came back empty, and poll it again
 * when woken (docs/workers.md). Absent: keep polling.
 */
const Wakes = z.literal(true).optional().describe('Protocol 10: the shards wake a worker that parked its polls of this queue when a task of it goes to the backlog (sent on its shard channels); a worker may park its polls once one comes back empty. Absent: keep polling.');

export const PollWorkflowTaskResponse = z
  .object({
    task: WorkflowTask.optional().describe('Absent when no task came within the long poll.'),
    moreTasks: z.array(WorkflowTask).optional().describe('Protocol 3 (`maxTasks`): further tasks started for this poll, from the backlog.'),
    workflowShards: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Protocol 6, to a poll with `acknowledgesHandOff`: the service keeps workflows in this many shards, and each takes polls of the normal queue at `/shards/{shard}/workflow-tasks/poll` (shards 0 to this − 1). Absent: poll the queue only.'),
    wakes: Wakes,
  })
  .meta({ id: 'PollWorkflowTaskResponse' });

/**
 * Protocol 6: a long poll of a normal workflow task queue at one workflow shard of the namespace
 * (`PollWorkflowTaskResponse.workflowShards` says how many). A new run's first workflow task, which its
 * shard starts in the start's transaction and offers, goes to a poll waiting at that shard first: no
 * task queue in between. Such a task is acknowledged as an offered one (protocol 2), so only polls that
 * acknowledge are taken. A worker polls the queue as well: tasks of every other kind come only there.
 */
export const PollShardWorkflowTaskRequest = z
  .object({
    /** The normal task queue polled (a sticky queue gets nothing here). */
    taskQueue: Name,
    identity: Identity,
    /** Names this worker's polls, so that `shutdownWorker` can end them when it stops. */
    pollerId: z.string().min(1).max(200),
    /** Protocol 2, required: a task taken here is acknowledged (or completed) within the offer's window, or it goes back to its queue. */
    acknowledgesHandOff: z.literal(true),
    /** As `PollTaskRequest.maxTasks`: tasks one answer may carry. */
    maxTasks: z.number().int().min(1).max(Limits.maxTasksPerPoll).optional(),
  })
  .meta({ id: 'PollShardWorkflowTaskRequest' });

export const StickyAttributes = z.object({
  /** The worker's own task queue; the run's next tasks go there with only the new events. */
  workerTaskQueue: Name,
  /** Default 5 s: after this the task goes back to the normal queue with the full history. */
  scheduleToStartTimeoutMs: PositiveDurationMs.optional(),
});

export const CompleteWorkflowTaskRequest = z
  .object({
    taskToken: z.string(),
    commands: z.array(Command),
    identity: Identity,
    stickyAttributes: StickyAttributes.optional(),
    requestId: RequestId,
    /** Protocol 2: the caller acknowledges the `activityTasks` of the answer (see `AcknowledgesAnswer`). */
    acknowledgesHandOff: AcknowledgesAnswer,
    /** Protocol 4: the worker speculates the run's next workflow task (`CompleteActivityTaskRequest.workflowTaskCompletion`): the answer carries `historyEnd`. */
    speculates: z.boolean().optional(),
  })
  .meta({ id: 'CompleteWorkflowTaskRequest' });

/**
 * Protocol 4: where the run's history ended after a completion, for the worker that holds the run to
 * predict the events of its next workflow task: the next event id, the history's size in bytes, and
 * the time (epoch ms) of the change (no later event is older).
 */
export const HistoryEnd = z
  .object({ nextEventId: z.number().int().positive(), historySizeBytes: z.number().int().nonnegative(), time: z.number().int().nonnegative() })
  .meta({ id: 'HistoryEnd' });
export type HistoryEnd = z.infer<typeof HistoryEnd>;

export const FailWorkflowTaskRequest = z
  .object({
    taskToken: z.string(),
    cause: z.enum(enumValues(WorkflowTaskFailedCause)).default('WORKFLOW_WORKER_UNHANDLED_FAILURE'),
    failure: Failure,
    identity: Identity,
  })
  .meta({ id: 'FailWorkflowTaskRequest' });

export const RespondQueryTaskRequest = z
  .object({
    taskToken: z.string(),
    answer: Payload.optional(),
    /** Set when the query failed: unknown query type, or the handler threw. */
    errorMessage: z.string().optional(),
    /** Set with `errorMessage` when the workflow has no handler for the query type. */
    notRegistered: z.boolean().optional(),
    /** An update validation task: the validator's rejection (absent: accepted). */
    failure: Failure.optional(),
  })
  .meta({ id: 'RespondQueryTaskRequest' });

// ---- Activity tasks -------------------------------------------------------------

export const ActivityTask = z
  .object({
    taskToken: z.string(),
    workflowNamespace: z.string(),
    workflowType: z.string(),
    workflowExecution: WorkflowExecution,
    activityId: z.string(),
    activityType: z.string(),
    taskQueue: z.string(),
    input: Payloads,
    header: z.record(z.string(), Payload).optional(),
    scheduledTime: Time,
    currentAttemptScheduledTime: Time,
    startedTime: Time,
    attempt: z.number().int(),
    scheduleToCloseTimeoutMs: Ms.optional(),
    startToCloseTimeoutMs: Ms.optional(),
    heartbeatTimeoutMs: Ms.optional(),
    /** Details of the last heartbeat of an earlier attempt. */
    heartbeatDetails: Payloads.optional(),
    retryPolicy: RetryPolicy,
    /**
     * Protocol 5: the group of the service's workflows this task's run is kept in (opaque). Exchanges
     * about tasks of one group may go together in one `/tasks/batch` request, written in one commit;
     * absent from a service without it (or without shards), where each goes alone.
     */
    shardKey: z.string().optional(),
  })
  .meta({ id: 'ActivityTask' });
export type ActivityTask = z.infer<typeof ActivityTask>;
export const PollActivityTaskResponse = z
  .object({
    task: ActivityTask.optional(),
    workflowShards: z.number().int().positive().optional().describe('Protocol 10, to a poll with `acknowledgesHandOff`: as the workflow-task poll answer\'s, the shards a worker keeps a channel to (for their wakes).'),
    wakes: Wakes,
  })
  .meta({ id: 'PollActivityTaskResponse' });
/** Activities the completion's commands asked to run eagerly, already started for the caller. */
export const CompleteWorkflowTaskResponse = z
  .object({ activityTasks: z.array(ActivityTask).optional(), historyEnd: HistoryEnd.optional().describe('Protocol 4, asked with `speculates`: where the run\'s history ends now') })
  .meta({ id: 'CompleteWorkflowTaskResponse' });

export const HeartbeatActivityTaskRequest = z
  .object({ taskToken: z.string(), details: Payloads.optional(), identity: Identity })
  .meta({ id: 'HeartbeatActivityTaskRequest' });
export const HeartbeatActivityTaskResponse = z.object({ cancelRequested: z.boolean() }).meta({ id: 'HeartbeatActivityTaskResponse' });

export const CompleteActivityTaskRequest = z
  .object({
    taskToken: z.string(),
    result: Payload.optional(),
    identity: Identity,
    requestId: RequestId,
    /**
     * The caller's sticky queue, sent while it holds the activity's run in its cache and has a free
     * workflow slot: the workflow task this completion causes is started for it at once and comes
     * back in the answer, instead of going through that queue.
     */
    stickyTaskQueue: Name.optional(),
    /** Protocol 2: the caller acknowledges the answer's `workflowTask` and `activityTasks` (see `AcknowledgesAnswer`). */
    acknowledgesHandOff: AcknowledgesAnswer,
    /**
     * Protocol 4, with `stickyTaskQueue`: the completion of the workflow task this completion causes,
     * which the worker ran ahead on its cached run (a speculative workflow task). The service writes
     * that task, started at `time` and completed with these commands, in the completion's own
     * transaction, if the run is exactly where the worker predicted; else it applies the activity's
     * completion alone and answers as without it (`speculation.accepted` false).
     */
    workflowTaskCompletion: z
      .object({
        commands: z.array(Command),
        stickyAttributes: StickyAttributes.optional(),
        /** The id the first event of this change gets (the activity's ActivityTaskStarted): the run's next event id as the worker knows it. */
        nextEventId: z.number().int().positive(),
        /** The predicted WorkflowTaskStarted's id: `nextEventId` + 3 (started, completed, task scheduled). */
        startedEventId: z.number().int().positive(),
        /** The history's size the task saw (its WorkflowTaskStarted's `historySizeBytes`), and whether continuing as new was suggested. */
        historySizeBytes: z.number().int().nonnegative(),
        suggestContinueAsNew: z.boolean().optional(),
        /** The workflow's time in the task (epoch ms): the task's events are written with it; not before the activity started, nor after the service's now. */
        time: z.number().int().nonnegative(),
      })
      .optional(),
  })
  .meta({ id: 'CompleteActivityTaskRequest' });
/** The run's next workflow task, started for the caller (asked with `stickyTaskQueue`); with a speculative task, whether it was taken. */
export const CompleteActivityTaskResponse = z
  .object({
    workflowTask: WorkflowTask.optional(),
    /** Protocol 4: whether the `workflowTaskCompletion` was written; when not, why (the worker drops what it ran ahead). */
    speculation: z.object({ accepted: z.boolean(), reason: z.string().optional() }).optional(),
    /** Protocol 4, a speculative task taken: the activities its commands started eagerly for the caller, and where the history ends now. */
    activityTasks: z.array(ActivityTask).optional(),
    historyEnd: HistoryEnd.optional(),
  })
  .meta({ id: 'CompleteActivityTaskResponse' });

export const FailActivityTaskRequest = z
  .object({ taskToken: z.string(), failure: Failure, lastHeartbeatDetails: Payloads.optional(), identity: Identity, requestId: RequestId })
  .meta({ id: 'FailActivityTaskRequest' });

export const CancelActivityTaskRequest = z
  .object({ taskToken: z.string(), details: Payloads.optional(), identity: Identity, requestId: RequestId })
  .meta({ id: 'CancelActivityTaskRequest' });

// ---- Activities by workflow id + activity id (asynchronous completion) ------------
// The same acts as the task-token endpoints, for a caller that knows the activity by its ids
// (Temporal's *ById calls). The activity's current attempt is the one acted on.

export const HeartbeatActivityByIdRequest = RunSelector.extend({ details: Payloads.optional(), identity: Identity }).meta({ id: 'HeartbeatActivityByIdRequest' });
export const CompleteActivityByIdRequest = RunSelector.extend({ result: Payload.optional(), identity: Identity, requestId: RequestId }).meta({ id: 'CompleteActivityByIdRequest' });
export const FailActivityByIdRequest = RunSelector.extend({ failure: Failure, lastHeartbeatDetails: Payloads.optional(), identity: Identity, requestId: RequestId }).meta({ id: 'FailActivityByIdRequest' });
export const CancelActivityByIdRequest = RunSelector.extend({ details: Payloads.optional(), identity: Identity, requestId: RequestId }).meta({ id: 'CancelActivityByIdRequest' });

// ---- Batched exchanges (protocol 5) ------------------------------------------------

/** The exchanges a `/tasks/batch` request may carry: each item is what its own endpoint takes, and is answered as that endpoint answers. */
export const BATCHED_ENDPOINTS = ['completeWorkflowTask', 'failWorkflowTask', 'completeActivityTask', 'failActivityTask'] as const;
export type BatchedEndpoint = (typeof BATCHED_ENDPOINTS)[number];

/** An item that did not match its endpoint's schema: refused alone (INVALID_ARGUMENT), the others go on. */
export interface InvalidBatchItem {
  kind: 'invalid';
  issues: Array<{ path: PropertyKey[]; message: string }>;
}

const BatchItem = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('completeWorkflowTask'), request: CompleteWorkflowTaskRequest }),
    z.object({ kind: z.literal('failWorkflowTask'), request: FailWorkflowTaskRequest }),
    z.object({ kind: z.literal('completeActivityTask'), request: CompleteActivityTaskRequest }),
    z.object({ kind: z.literal('failActivityTask'), request: FailActivityTaskRequest }),
  ])
  // Validated item by item: one that does not match its schema is answered INVALID_ARGUMENT alone.
  .catch((ctx) => ({ kind: 'invalid', issues: ctx.error.issues.map((i) => ({ path: i.path, message: i.message })) }) as InvalidBatchItem as never)
  .meta({ id: 'BatchItem' });

export const BatchTasksRequest = z
  .object({
    items: z
      .array(BatchItem)
      .min(1)
      .max(Limits.maxTasksPerBatch)
      .describe('Exchanges about tasks of one `shardKey`, in the order they are applied; each `request` is what the endpoint named by `kind` takes.'),
  })
  .meta({ id: 'BatchTasksRequest' });
export type BatchItemOf<E extends BatchedEndpoint> = { kind: E; request: ParsedRequestOf<E> };

export const BatchTasksResponse = z
  .object({
    results: z
      .array(
        z.object({
          response: z.union([CompleteWorkflowTaskResponse, CompleteActivityTaskResponse, Empty]).optional().describe("The item's answer, as its endpoint answers"),
          error: z
            .object({ code: z.enum(Object.keys(ErrorStatus) as [keyof typeof ErrorStatus, ...Array<keyof typeof ErrorStatus>]), message: z.string(), details: z.record(z.string(), z.unknown()).optional() })
            .optional()
            .describe('The error its endpoint would have answered with, instead of `response`'),
        }),
      )
      .describe('One per item, in the order of `items`.'),
  })
  .meta({ id: 'BatchTasksResponse' });

// ---- Task queues ----------------------------------------------------------------

export const DescribeTaskQueueRequest = z.object({ kind: z.enum(['workflow', 'activity']).default('workflow') });
export const DescribeTaskQueueResponse = z
  .object({
    pollers: z.array(z.object({ identity: z.string(), lastAccessTime: Time })),
    backlogCount: z.number().int(),
    /** Tasks handed to polls since the queue's object started, and how long they waited in the queue (kept in memory: reset when the object restarts). */
    scheduleToStart: z.object({ count: z.number().int(), averageMs: z.number(), since: Time }).optional(),
  })
  .meta({ id: 'DescribeTaskQueueResponse' });

// ---- Visibility: list and count --------------------------------------------------

const ListFilterQuery = z
  .string()
  .max(Limits.maxListFilterLength)
  .optional()
  .describe("A list filter in Temporal's syntax, e.g. `WorkflowType = 'order' AND ExecutionStatus = 'Running'`; empty matches every execution.");

export const ListWorkflowsRequest = z
  .object({
    query: ListFilterQuery,
    /** Default 100. */
    pageSize: QueryPageSize(Limits.maxListPageSize).optional(),
    /** Opaque; from the previous page's `nextPageToken`, with the same `query`. */
    nextPageToken: z.string().max(4096).optional(),
  })
  .meta({ id: 'ListWorkflowsRequest' });


export const ListWorkflowsResponse = z
  .object({
    executions: z.array(WorkflowExecutionInfo),
    /** Present when more executions may follow; pass it back with the same `query`. */
    nextPageToken: z.string().optional(),
  })
  .meta({ id: 'ListWorkflowsResponse' });

export const CountWorkflowsRequest = z
  .object({
    query: ListFilterQuery,
    /** Count per status, as `GROUP BY ExecutionStatus` at the end of `query` does. */
    groupBy: z.enum(['ExecutionStatus']).optional(),
  })
  .meta({ id: 'CountWorkflowsRequest' });

export const CountWorkflowsResponse = z
  .object({
    count: z.number().int(),
    /** With grouping: one entry per status that has executions, e.g. `{ groupValues: ['Running'], count: 3 }`. */
    groups: z.array(z.object({ groupValues: z.array(z.string()), count: z.number().int() })).optional(),
  })
  .meta({ id: 'CountWorkflowsResponse' });

// ---- Deleting a run ------------------------------------------------------------------

/**
 * Temporal's DeleteWorkflowExecution: deletes one run (the latest unless `runId` names another) —
 * its history, state and visibility row — terminating it first when it is running. Closed runs are
 * also deleted by themselves once their namespace's retention has passed.
 */
export const DeleteWorkflowRequest = RunSelector.extend({
  reason: z.string().max(10_000).optional().describe('Recorded in the termination event when the run was still running.'),
  identity: Identity,
}).meta({ id: 'DeleteWorkflowRequest' });

// ---- Namespaces ---------------------------------------------------------------------

/** Temporal's default retention of closed executions: 72 hours. */
export const DEFAULT_RETENTION_MS = 72 * 60 * 60 * 1000;
/** The shortest retention a namespace may have (tests use short ones; Temporal Cloud's minimum is a day). */
export const MIN_RETENTION_MS = 1000;

/** A namespace's lifecycle state, as Temporal's `NamespaceState` (Keel registers and never deprecates or deletes yet). */
export const NamespaceState = { REGISTERED: 'REGISTERED' } as const;

/** What a namespace name may be: letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most 256. */
export const NAMESPACE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/;
const NamespaceName = z.string().regex(NAMESPACE_NAME_PATTERN, 'a namespace name is 1 to 256 letters, digits, ".", "_" and "-", starting with a letter or digit');
const RetentionMs = z.number().int().min(MIN_RETENTION_MS).max(MAX_DURATION_MS).describe('How long a closed execution is kept before it is deleted, in ms.');
const NamespaceData = z.record(z.string().max(256), z.string().max(4096)).refine((d) => Object.keys(d).length <= 64, 'at most 64 entries');

/** One namespace as the registry holds it (Temporal's NamespaceInfo and the config's retention, flattened). */
export const NamespaceInfo = z
  .object({
    name: z.string(),
    state: z.enum(enumValues(NamespaceState)),
    description: z.string(),
    ownerEmail: z.string(),
    /** Free-form key/value pairs (Temporal's namespace `data`). */
    data: z.record(z.string(), z.string()),
    retentionMs: z.number().int(),
    createTime: Time,
    updateTime: Time,
  })
  .meta({ id: 'NamespaceInfo' });
export type NamespaceInfo = z.infer<typeof NamespaceInfo>;

export const RegisterNamespaceRequest = z
  .object({
    name: NamespaceName,
    description: z.string().max(10_000).optional(),
    ownerEmail: z.string().max(320).optional(),
    /** Default 72 hours, as Temporal. */
    retentionMs: RetentionMs.optional(),
    data: NamespaceData.optional(),
  })
  .meta({ id: 'RegisterNamespaceRequest' });

/** Only the fields given change; `data` entries are merged in (an empty string value removes its key), as Temporal's `--data`. */
export const UpdateNamespaceRequest = RegisterNamespaceRequest.omit({ name: true }).meta({ id: 'UpdateNamespaceRequest' });

export const ListNamespacesRequest = z
  .object({
    /** Default 100. */
    pageSize: QueryPageSize(1000).optional(),
    /** Opaque; from the previous page's `nextPageToken`. */
    nextPageToken: z.string().max(1000).optional(),
  })
  .meta({ id: 'ListNamespacesRequest' });
export const ListNamespacesResponse = z
  .object({ namespaces: z.array(NamespaceInfo), nextPageToken: z.string().optional() })
  .meta({ id: 'ListNamespacesResponse' });

// ---- Local test services only -------------------------------------------------------

export const AdvanceWorkflowTimeRequest = z
  .object({ byMs: PositiveDurationMs.describe('How far to move the workflow\'s clock forward.') })
  .meta({ id: 'AdvanceWorkflowTimeRequest' });
export const AdvanceWorkflowTimeResponse = z.object({ now: Time.describe("The workflow's time after the move.") }).meta({ id: 'AdvanceWorkflowTimeResponse' });

// ---- The endpoint table ---------------------------------------------------------

export interface Endpoint<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  method: 'GET' | 'POST';
  /**
   * Relative to `/api/v1/namespaces/{namespace}` (to `/api/v1` for a `service` endpoint); `{param}`
   * segments are path parameters.
   */
  path: string;
  /**
   * `service`: not inside a namespace (listing and registering namespaces). `namespace-admin`:
   * inside one, but about the namespace itself, so an unknown one is NAMESPACE_NOT_FOUND even where
   * namespaces are created on first use. Absent: an ordinary call in its namespace.
   */
  scope?: 'service' | 'namespace-admin';
  summary: string;
  /** The JSON body of a POST, or the query string of a GET. */
  request: Req;
  response: Res;
}

function endpoint<Req extends z.ZodType, Res extends z.ZodType>(e: Endpoint<Req, Res>): Endpoint<Req, Res> {
  return e;
}

export const Api = {
  startWorkflow: endpoint({ method: 'POST', path: '/workflows', summary: 'Start a workflow execution', request: StartWorkflowRequest, response: StartWorkflowResponse }),
  describeWorkflow: endpoint({ method: 'GET', path: '/workflows/{workflowId}', summary: 'Describe a run: status, times, pending activities', request: RunSelector, response: DescribeWorkflowResponse }),
  signalWorkflow: endpoint({ method: 'POST', path: '/workflows/{workflowId}/signal', summary: 'Signal a running workflow', request: SignalWorkflowRequest, response: Empty }),
  signalWithStartWorkflow: endpoint({ method: 'POST', path: '/workflows/{workflowId}/signal-with-start', summary: 'Signal the running workflow, or start it and signal it, in one step', request: SignalWithStartWorkflowRequest, response: StartWorkflowResponse }),
  requestCancelWorkflow: endpoint({ method: 'POST', path: '/workflows/{workflowId}/cancel', summary: 'Request cancellation of a running workflow', request: CancelWorkflowRequest, response: Empty }),
  terminateWorkflow: endpoint({ method: 'POST', path: '/workflows/{workflowId}/terminate', summary: 'Terminate a running workflow at once', request: TerminateWorkflowRequest, response: Empty }),
  resetWorkflow: endpoint({ method: 'POST', path: '/workflows/{workflowId}/reset', summary: 'Reset a run to a workflow task: a new run with its history up to there, signals after it re-applied; the current run is terminated', request: ResetWorkflowRequest, response: ResetWorkflowResponse }),
  getWorkflowHistory: endpoint({ method: 'GET', path: '/workflows/{workflowId}/history', summary: 'Read a run\'s history, paged; long-poll for new events or the close event', request: GetHistoryRequest, response: GetHistoryResponse }),
  queryWorkflow: endpoint({ method: 'POST', path: '/workflows/{workflowId}/query', summary: 'Query a workflow through a worker; nothing is written to history', request: QueryWorkflowRequest, response: QueryWorkflowResponse }),
  updateWorkflow: endpoint({ method: 'POST', path: '/workflows/{workflowId}/updates', summary: 'Send an update: validated by a worker, then accepted into history and handled; waits for the stage asked', request: UpdateWorkflowRequest, response: UpdateWorkflowResponse }),
  updateWithStartWorkflow: endpoint({ method: 'POST', path: '/workflows/{workflowId}/update-with-start', summary: 'Start the workflow (or take its running run, per the conflict policy), then send it an update; waits for the stage asked', request: UpdateWithStartWorkflowRequest, response: UpdateWithStartWorkflowResponse }),
  pollWorkflowUpdate: endpoint({ method: 'POST', path: '/workflows/{workflowId}/updates/{updateId}/poll', summary: "Long-poll an accepted update until it reaches the stage asked; the answer has its outcome once completed", request: PollWorkflowUpdateRequest, response: UpdateWorkflowResponse }),
  pollWorkflowTask: endpoint({ method: 'POST', path: '/task-queues/{taskQueue}/workflow-tasks/poll', summary: 'Long-poll a task queue for a workflow task', request: PollTaskRequest, response: PollWorkflowTaskResponse }),
  pollShardWorkflowTask: endpoint({ method: 'POST', path: '/shards/{shard}/workflow-tasks/poll', summary: "Protocol 6: long-poll a normal workflow task queue at one workflow shard, where new runs' first tasks go first (acknowledged as offered tasks)", request: PollShardWorkflowTaskRequest, response: PollWorkflowTaskResponse }),
  completeWorkflowTask: endpoint({ method: 'POST', path: '/workflow-tasks/complete', summary: 'Complete a workflow task with commands; the answer carries the activities started eagerly for the caller', request: CompleteWorkflowTaskRequest, response: CompleteWorkflowTaskResponse }),
  failWorkflowTask: endpoint({ method: 'POST', path: '/workflow-tasks/fail', summary: 'Fail a workflow task; it is scheduled again', request: FailWorkflowTaskRequest, response: Empty }),
  respondQueryTask: endpoint({ method: 'POST', path: '/query-tasks/respond', summary: 'Answer a query task', request: RespondQueryTaskRequest, response: Empty }),
  acknowledgeTask: endpoint({ method: 'POST', path: '/tasks/acknowledge', summary: "Protocol 2: confirm that a polled task (workflow or activity) reached the worker; one not confirmed within handOffAckMs goes back to its queue. TASK_NOT_FOUND: it already went back, drop it", request: AcknowledgeTaskRequest, response: Empty }),
  pollActivityTask: endpoint({ method: 'POST', path: '/task-queues/{taskQueue}/activity-tasks/poll', summary: 'Long-poll a task queue for an activity task', request: PollTaskRequest, response: PollActivityTaskResponse }),
  heartbeatActivityTask: endpoint({ method: 'POST', path: '/activity-tasks/heartbeat', summary: 'Record an activity heartbeat; the answer says whether cancellation was requested', request: HeartbeatActivityTaskRequest, response: HeartbeatActivityTaskResponse }),
  completeActivityTask: endpoint({ method: 'POST', path: '/activity-tasks/complete', summary: "Complete an activity task with its result; the answer may carry the run's next workflow task for the caller's sticky queue", request: CompleteActivityTaskRequest, response: CompleteActivityTaskResponse }),
  failActivityTask: endpoint({ method: 'POST', path: '/activity-tasks/fail', summary: 'Fail an activity task; it is retried by its retry policy', request: FailActivityTaskRequest, response: Empty }),
  batchTasks: endpoint({ method: 'POST', path: '/tasks/batch', summary: "Protocol 5: several workers' exchanges (workflow and activity task completions and failures) about tasks of one shardKey in one request, written in one commit; each item answered as its endpoint answers, or with its own error", request: BatchTasksRequest, response: BatchTasksResponse }),
  cancelActivityTask: endpoint({ method: 'POST', path: '/activity-tasks/canceled', summary: 'Report that an activity stopped because its cancellation was requested', request: CancelActivityTaskRequest, response: Empty }),
  heartbeatActivityById: endpoint({ method: 'POST', path: '/workflows/{workflowId}/activities/{activityId}/heartbeat', summary: 'Record a heartbeat of an activity known by its ids; the answer says whether cancellation was requested', request: HeartbeatActivityByIdRequest, response: HeartbeatActivityTaskResponse }),
  completeActivityById: endpoint({ method: 'POST', path: '/workflows/{workflowId}/activities/{activityId}/complete', summary: 'Complete an activity known by its ids (asynchronous completion)', request: CompleteActivityByIdRequest, response: Empty }),
  failActivityById: endpoint({ method: 'POST', path: '/workflows/{workflowId}/activities/{activityId}/fail', summary: 'Fail an activity known by its ids; it is retried by its retry policy', request: FailActivityByIdRequest, response: Empty }),
  cancelActivityById: endpoint({ method: 'POST', path: '/workflows/{workflowId}/activities/{activityId}/canceled', summary: 'Report that an activity known by its ids stopped because its cancellation was requested', request: CancelActivityByIdRequest, response: Empty }),
  cancelPolls: endpoint({ method: 'POST', path: '/task-queues/{taskQueue}/polls/cancel', summary: "End a stopping worker's waiting polls with no task, so no task is handed to a poll nobody will read", request: CancelPollsRequest, response: CancelPollsResponse }),
  shutdownWorker: endpoint({ method: 'POST', path: '/workers/shutdown', summary: "A stopping worker's sticky queue closes (workflow tasks waiting there, and any sent there later, go to their workflow's normal queue at once) and its shard polls end (protocol 6)", request: ShutdownWorkerRequest, response: Empty }),
  describeTaskQueue: endpoint({ method: 'GET', path: '/task-queues/{taskQueue}', summary: 'Recent pollers and backlog of a task queue', request: DescribeTaskQueueRequest, response: DescribeTaskQueueResponse }),
  listWorkflows: endpoint({ method: 'GET', path: '/workflows', summary: 'List executions matching a list filter, paged, newest start first unless the filter has ORDER BY', request: ListWorkflowsRequest, response: ListWorkflowsResponse }),
  describeNamespaceCost: endpoint({ method: 'GET', path: '/cost', summary: "What the namespace's runs cost in a month so far at Cloudflare's list prices (from their visibility summaries)", request: DescribeNamespaceCostRequest, response: DescribeNamespaceCostResponse }),
  countWorkflows: endpoint({ method: 'GET', path: '/workflow-count', summary: 'Count executions matching a list filter, optionally grouped by ExecutionStatus', request: CountWorkflowsRequest, response: CountWorkflowsResponse }),
  createSchedule: endpoint({ method: 'POST', path: '/schedules', summary: 'Create a schedule (its own object, with an alarm at the next action); SCHEDULE_ALREADY_RUNNING if the id is taken', request: CreateScheduleRequest, response: CreateScheduleResponse }),
  describeSchedule: endpoint({ method: 'GET', path: '/schedules/{scheduleId}', summary: 'Describe a schedule: its spec, action, policies, state, recent and upcoming actions', request: Empty, response: DescribeScheduleResponse }),
  updateSchedule: endpoint({ method: 'POST', path: '/schedules/{scheduleId}/update', summary: 'Replace a schedule\'s spec, action, policies and state; with conflictToken, only if unchanged since it was read', request: UpdateScheduleRequest, response: CreateScheduleResponse }),
  patchSchedule: endpoint({ method: 'POST', path: '/schedules/{scheduleId}/patch', summary: 'Pause, unpause, trigger an action now, or backfill a time range', request: PatchScheduleRequest, response: Empty }),
  deleteSchedule: endpoint({ method: 'POST', path: '/schedules/{scheduleId}/delete', summary: 'Delete a schedule; the workflows it started go on', request: DeleteScheduleRequest, response: Empty }),
  listSchedules: endpoint({ method: 'GET', path: '/schedules', summary: 'List schedules, paged, by schedule id', request: ListSchedulesRequest, response: ListSchedulesResponse }),
  deleteWorkflow: endpoint({ method: 'POST', path: '/workflows/{workflowId}/delete', summary: "Delete a run (the latest unless runId is given): its history, state and visibility row; a running one is terminated first", request: DeleteWorkflowRequest, response: Empty }),
  registerNamespace: endpoint({ method: 'POST', path: '/namespaces', scope: 'service', summary: 'Register a namespace: name, description, owner email, retention of closed executions (default 72 h)', request: RegisterNamespaceRequest, response: NamespaceInfo }),
  listNamespaces: endpoint({ method: 'GET', path: '/namespaces', scope: 'service', summary: 'List the registered namespaces, by name, paged', request: ListNamespacesRequest, response: ListNamespacesResponse }),
  describeNamespace: endpoint({ method: 'GET', path: '', scope: 'namespace-admin', summary: "Describe a namespace: its description, owner, retention and state", request: z.object({}), response: NamespaceInfo }),
  updateNamespace: endpoint({ method: 'POST', path: '/update', scope: 'namespace-admin', summary: "Change a namespace's description, owner email, data or retention (a new retention applies to runs that close afterwards)", request: UpdateNamespaceRequest, response: NamespaceInfo }),
  advanceWorkflowTime: endpoint({ method: 'POST', path: '/workflows/{workflowId}/time/advance', summary: "Local test services only (KEEL_TIME_SKIPPING): move one workflow's clock forward and fire what came due; FEATURE_DISABLED elsewhere", request: AdvanceWorkflowTimeRequest, response: AdvanceWorkflowTimeResponse }),
} as const;
export type Api = typeof Api;
export type EndpointName = keyof Api;
/** What a caller sends to an endpoint (before defaults are applied). */
export type RequestOf<E extends EndpointName> = z.input<Api[E]['request']>;
/** What the service receives after validation (defaults applied). */
export type ParsedRequestOf<E extends EndpointName> = z.output<Api[E]['request']>;
export type ResponseOf<E extends EndpointName> = z.output<Api[E]['response']>;

export const API_PREFIX = '/api/v1';
export const namespacePath = (namespace: string) => `${API_PREFIX}/namespaces/${encodeURIComponent(namespace)}`;

/** The full path of an endpoint with its `{param}` segments still in it (OpenAPI's form). */
export const endpointPathTemplate = (e: Pick<Endpoint, 'path' | 'scope'>) => (e.scope === 'service' ? `${API_PREFIX}${e.path}` : `${API_PREFIX}/namespaces/{namespace}${e.path}`);
