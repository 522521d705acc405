/**
 * The mutable state of one workflow run: everything the service waits for besides the
 * history itself. It is saved as one row per run, in the same transaction as the events
 * that changed it. Payloads stay in history (read back when needed) so the row is small.
 */
import type { AttributesOf, EventType, Failure, ParentClosePolicy, Payload, RetryPolicy, WorkflowExecutionStatus } from '../../protocol/index.js';
import { Limits } from '../../protocol/index.js';
import { continueAsNewSuggested as suggested } from '../../protocol/speculation.js';

/**
 * A task handed to the poll of a worker that promised to acknowledge it (protocol 2) and has not
 * yet: if `ackBy` passes first, the poll was dead and the task goes back to its queue (hand-off.ts).
 */
export interface HandOff {
  ackBy: number;
  /** The queue it was polled from. */
  taskQueue: string;
  /** The worker's poller id: its other polls are ended once one of them is found dead. */
  pollerId?: string;
  /** The queue's poll count when the task was handed over (or last found alive): a later poll of the worker shows it alive. */
  pollSeq?: number;
  /** The worker's own sticky queue, as its poll named it: closed when the worker is found dead here. */
  stickyTaskQueue?: string;
  /** Handed back in an answer, not through a poll (`answerHandOff`). */
  inAnswer?: true;
  /**
   * Started in the transaction that scheduled it and offered to whichever acknowledging poll waits
   * on its queue right now (`offerHandOff`): who took it, if anyone, is not known here. A queue with
   * no such poll put its ref in the backlog instead, and the poll that takes it there starts it as
   * any polled task (`startWorkflowTask`).
   */
  offered?: true;
}

/**
 * The hand-off record of a task started for a caller that acknowledges the tasks in its answer. No
 * poll names its worker, so its liveness cannot be asked: one not acknowledged in time just goes back
 * to its queue, and no poll is ended or queue closed for it (the caller may be alive and slow).
 */
export function answerHandOff(now: number, taskQueue: string, ackMs: number = Limits.answerHandOffAckMs): HandOff {
  return { ackBy: now + ackMs, taskQueue, inAnswer: true };
}

/**
 * How long a queue with no poll waiting keeps an offered workflow task in memory for the next poll
 * (src/task-queue-object.ts `held`), from its start. The offer's window is this plus `handOffAckMs`, so
 * a worker that gets it has a polled task's whole window to acknowledge it, however long it was held.
 */
export const OFFER_HOLD_MS = Limits.handOffAckMs;

/**
 * The hand-off record of a workflow task offered to a poll waiting on its queue (src/engine/task-offer.ts).
 * As in an answer, no poll names its worker: one not acknowledged in time goes back to its queue.
 */
export function offerHandOff(now: number, taskQueue: string): HandOff {
  return { ...answerHandOff(now, taskQueue, OFFER_HOLD_MS + Limits.handOffAckMs), offered: true };
}

export interface WorkflowTaskState {
  /** 0 while a retried (transient) task has no events written yet. */
  scheduledEventId: number;
  startedEventId?: number;
  attempt: number;
  /** The queue it was dispatched to: the run's task queue, or a worker's sticky queue. */
  taskQueue: string;
  sticky: boolean;
  scheduledTime: number;
  /** Not dispatched before this time (retry back-off). */
  dueAt?: number;
  dispatched: boolean;
  startedTime?: number;
  identity?: string;
  /** Dispatch sequence: a task ref carrying another sequence is stale. */
  seq: number;
  /** Handed to a poll and not yet acknowledged; a first attempt's WorkflowTaskStarted is not written until it is. */
  handOff?: HandOff;
  /** The run's history size when the task started, as its WorkflowTaskStarted event records it. */
  historySizeBytes?: number;
}

export interface ActivityState {
  scheduledEventId: number;
  activityId: string;
  activityType: string;
  taskQueue: string;
  /** Normalised timeouts (ms); 0 means none. */
  scheduleToCloseTimeoutMs: number;
  scheduleToStartTimeoutMs: number;
  startToCloseTimeoutMs: number;
  heartbeatTimeoutMs: number;
  retryPolicy: Required<RetryPolicy>;
  scheduledTime: number;
  attempt: number;
  currentAttemptScheduledTime: number;
  /** Waiting out retry back-off until this time. */
  retryAt?: number;
  startedTime?: number;
  startedIdentity?: string;
  lastHeartbeatTime?: number;
  heartbeatDetails?: Payload[];
  lastFailure?: Failure;
  lastWorkerIdentity?: string;
  cancelRequestedEventId?: number;
  /** The started attempt was handed to a poll and not yet acknowledged. */
  handOff?: HandOff;
}

export interface TimerState {
  timerId: string;
  startedEventId: number;
  fireAt: number;
}

/** An input event that arrived while a workflow task was running; written when it ends. */
export interface BufferedEvent {
  eventType: EventType;
  attributes: AttributesOf<EventType>;
  time: number;
}

/** The run that started a child workflow's chain; every run of the chain keeps it. */
export interface ParentInfo {
  namespace: string;
  workflowId: string;
  runId: string;
  initiatedEventId: number;
  /** The first workflow of the tree of children (Temporal's root execution); the parent itself when it has no parent. */
  root?: { workflowId: string; runId: string };
}

/** A child workflow the run started and has not heard the close of (keyed by its initiated event id). */
export interface ChildState {
  initiatedEventId: number;
  workflowTaskCompletedEventId: number;
  workflowId: string;
  workflowType: string;
  parentClosePolicy: ParentClosePolicy;
  /** Set once the child has started. */
  runId?: string;
  /** 0 while its ChildWorkflowExecutionStarted is buffered. */
  startedEventId?: number;
}

/** A signal or cancellation request to another workflow, waiting for its answer (keyed by initiated event id). */
export interface ExternalCallState {
  kind: 'signal' | 'cancel';
  initiatedEventId: number;
  workflowTaskCompletedEventId: number;
  workflowId: string;
  runId?: string;
  control?: string;
}

export interface RunState {
  namespace: string;
  workflowId: string;
  runId: string;
  firstRunId: string;
  workflowType: string;
  taskQueue: string;
  status: WorkflowExecutionStatus;
  startTime: number;
  /** When the first workflow task is due (start plus start delay). */
  executionTime: number;
  closeTime?: number;
  closeEventId?: number;
  workflowTaskTimeoutMs: number;
  workflowRunTimeoutMs?: number;
  workflowExecutionTimeoutMs?: number;
  runDeadline?: number;
  executionDeadline?: number;
  memo?: Record<string, Payload>;
  searchAttributes?: Record<string, unknown>;
  retryPolicy?: RetryPolicy;
  /** Temporal's cron schedule: when the run closes, the chain's next run starts on it. */
  cronSchedule?: string;
  attempt: number;
  nextEventId: number;
  /** Bytes of the run's stored history (its events' JSON); absent on rows written before it was counted. */
  historySizeBytes?: number;
  /** The latest time of an event in the run's history (epoch ms); absent on rows written before it was kept. A speculative task's time is not before it. */
  lastEventTime?: number;
  /** Set while the first workflow task waits out the start delay. */
  firstWorkflowTaskAt?: number;
  workflowTask?: WorkflowTaskState;
  buffered: BufferedEvent[];
  activities: Record<string, ActivityState>;
  timers: Record<string, TimerState>;
  cancelRequested: boolean;
  /**
   * The worker holding the run in its cache, by its sticky queue. `handOver`: it acknowledges
   * hand-offs (protocol 2), so a workflow task the alarm schedules for it is started in the alarm's
   * transaction and handed to its queue (src/engine/sticky-hand-over.ts); `identity` is its identity.
   */
  sticky?: { taskQueue: string; scheduleToStartTimeoutMs: number; handOver?: { identity?: string } };
  /** Started event id of the last completed workflow task (a sticky worker holds the run up to it). */
  lastCompletedStartedEventId: number;
  taskSeq: number;
  /** Set on the runs of a child workflow's chain. */
  parent?: ParentInfo;
  children?: Record<string, ChildState>;
  externalCalls?: Record<string, ExternalCallState>;
  /** Set on a run that was reset (reset.ts): the run that replaced it. */
  resetRunId?: string;
  /** Set on a run a reset made: the run it was reset from. */
  resetFromRunId?: string;
  /** Accepted updates by id (absent on rows written before updates existed); see updates.ts. */
  updates?: Record<string, UpdateState>;
}

/** What the run remembers of an accepted update (payloads stay in history). */
export interface UpdateState {
  /** 0 while the accepted event waits in the buffer behind a running workflow task. */
  acceptedEventId: number;
  completedEventId?: number;
}

export const isRunning = (run: RunState) => run.status === 'RUNNING';

/**
 * Whether the run's history is long or big enough that it should continue as new (Temporal's
 * `suggestContinueAsNew`): 80% of the event limit, or the 10 MB size warning.
 */
export function continueAsNewSuggested(run: Pick<RunState, 'nextEventId' | 'historySizeBytes'>): boolean {
  return suggested(run.nextEventId, run.historySizeBytes ?? 0);
}
