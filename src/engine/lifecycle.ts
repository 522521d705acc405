/**
 * A run's life from the outside: start (with Temporal's id reuse and conflict
 * policies), signal, cancellation request, termination, close, and the timeouts that
 * fire from the object's alarm.
 */
import { CLOSE_COMMANDS, type AttributesOf, type EventType, type Failure, type ParsedRequestOf, type Payload, type WorkflowExecutionStatus } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';
import { checkSearchAttributes } from '../visibility/search-attributes.js';
import { activityDeadlines, dispatchRetryIfDue, timeOutActivity } from './activities.js';
import { applyCommands, validateCommands } from './commands.js';
import { checkCronSchedule, firstCronBackoffMs } from './cron.js';
import { timeOutRun } from './workflow-retry.js';
import { activityHandOffLost, workflowTaskHandOffLost, type WorkerHeardFrom } from './hand-off.js';
import { isRunning, type ParentInfo, type RunState } from './run-state.js';
import { afterRunClosed } from './child-workflows.js';
import type { Txn } from './transaction.js';
import {
  DEFAULT_WORKFLOW_TASK_TIMEOUT_MS,
  addInputEvent,
  dispatchWorkflowTaskIfDue,
  endWorkflowTaskUnsuccessfully,
  flushBuffered,
  requireStartedWorkflowTask,
  scheduleWorkflowTask,
  writeTransientEvents,
} from './workflow-tasks.js';
import { DEFAULT_STICKY_SCHEDULE_TO_START_MS } from './workflow-tasks.js';
import type { TaskTokenData } from '../task-token.js';

type StartRequest = ParsedRequestOf<'startWorkflow'>;

/** What a run continuing an earlier one (continue-as-new, retry) keeps of its chain. */
export interface RunChain {
  firstRunId: string;
  continuedRunId: string;
  /** The chain's execution deadline (ms), kept from its first run. */
  executionDeadline?: number;
  attempt: number;
  /** Why the run continues the chain (Temporal's ContinueAsNewInitiator). */
  initiator?: 'WORKFLOW' | 'RETRY' | 'CRON_SCHEDULE';
  lastCompletionResult?: Payload[];
  continuedFailure?: Failure;
}

/**
 * Starts a run. `beforeFirstTask` writes events that belong between WorkflowExecutionStarted and
 * the first WorkflowTaskScheduled (signal-with-start's signal).
 */
export function startWorkflow(
  tx: Txn,
  namespace: string,
  req: StartRequest,
  newRunId: string,
  beforeFirstTask?: (run: RunState) => void,
  chain?: RunChain,
  parent?: ParentInfo,
): { runId: string; started: boolean } {
  checkSearchAttributes(req.searchAttributes);
  if (!chain) checkCronSchedule(req, tx.now);
  const currentId = tx.currentRunId();
  const current = currentId ? tx.loadRun(currentId) : undefined;
  if (current && isRunning(current)) {
    const conflict = req.workflowIdConflictPolicy ?? (req.workflowIdReusePolicy === 'TERMINATE_IF_RUNNING' ? 'TERMINATE_EXISTING' : 'FAIL');
    if (conflict === 'USE_EXISTING') return { runId: current.runId, started: false };
    if (conflict === 'FAIL') {
      throw new ServiceError('WORKFLOW_ALREADY_STARTED', `Workflow '${req.workflowId}' is already running (run ${current.runId}); pass workflowIdConflictPolicy USE_EXISTING or TERMINATE_EXISTING to change that.`, {
        workflowId: req.workflowId,
        runId: current.runId,
        workflowType: current.workflowType,
      });
    }
    terminateRun(tx, current, 'terminated by a new start (workflow id conflict policy)', undefined, req.identity);
  } else if (current) {
    const reuse = req.workflowIdReusePolicy ?? 'ALLOW_DUPLICATE';
    const refused =
      reuse === 'REJECT_DUPLICATE' || (reuse === 'ALLOW_DUPLICATE_FAILED_ONLY' && current.status === 'COMPLETED');
    if (refused) {
      throw new ServiceError('WORKFLOW_ALREADY_STARTED', `Workflow '${req.workflowId}' already ran (run ${current.runId}, ${current.status}) and the reuse policy ${reuse} forbids another run.`, {
        workflowId: req.workflowId,
        runId: current.runId,
        workflowType: current.workflowType,
      });
    }
  }

  const now = tx.now;
  // A chained run (retry, cron, continue-as-new) is given its back-off; a new cron waits for its first firing.
  const delay = req.cronSchedule && !chain ? firstCronBackoffMs(req, now) : (req.startDelayMs ?? 0);
  // Every run of a child's chain (continue-as-new, retries) keeps its parent.
  const parentInfo = parent ?? (chain ? tx.loadRun(chain.continuedRunId)?.parent : undefined);
  const run: RunState = {
    namespace,
    workflowId: req.workflowId,
    runId: newRunId,
    firstRunId: chain?.firstRunId ?? newRunId,
    workflowType: req.workflowType,
    taskQueue: req.taskQueue,
    status: 'RUNNING',
    startTime: now,
    executionTime: now + delay,
    workflowTaskTimeoutMs: req.workflowTaskTimeoutMs ?? DEFAULT_WORKFLOW_TASK_TIMEOUT_MS,
    // As Temporal's: the run timeout counts from the first workflow task's due time, not the start.
    ...(req.workflowRunTimeoutMs ? { workflowRunTimeoutMs: req.workflowRunTimeoutMs, runDeadline: now + delay + req.workflowRunTimeoutMs } : {}),
    ...(req.workflowExecutionTimeoutMs
      ? { workflowExecutionTimeoutMs: req.workflowExecutionTimeoutMs, executionDeadline: chain?.executionDeadline ?? now + req.workflowExecutionTimeoutMs }
      : {}),
    ...(req.memo ? { memo: req.memo } : {}),
    ...(req.searchAttributes ? { searchAttributes: req.searchAttributes } : {}),
    ...(req.retryPolicy ? { retryPolicy: req.retryPolicy } : {}),
    ...(req.cronSchedule ? { cronSchedule: req.cronSchedule } : {}),
    attempt: chain?.attempt ?? 1,
    nextEventId: 1,
    ...(delay > 0 ? { firstWorkflowTaskAt: now + delay } : {}),
    buffered: [],
    activities: {},
    timers: {},
    cancelRequested: false,
    lastCompletedStartedEventId: 0,
    taskSeq: 0,
    ...(parentInfo ? { parent: parentInfo } : {}),
  };
  tx.addEvent(run, 'WorkflowExecutionStarted', {
    workflowType: req.workflowType,
    taskQueue: req.taskQueue,
    input: req.input,
    ...(run.workflowExecutionTimeoutMs ? { workflowExecutionTimeoutMs: run.workflowExecutionTimeoutMs, workflowExecutionExpirationTime: new Date(run.executionDeadline!).toISOString() } : {}),
    ...(run.workflowRunTimeoutMs ? { workflowRunTimeoutMs: run.workflowRunTimeoutMs } : {}),
    workflowTaskTimeoutMs: run.workflowTaskTimeoutMs,
    identity: req.identity,
    attempt: run.attempt,
    originalExecutionRunId: newRunId,
    firstExecutionRunId: run.firstRunId,
    ...(chain ? { continuedExecutionRunId: chain.continuedRunId } : {}),
    ...(req.retryPolicy ? { retryPolicy: req.retryPolicy } : {}),
    ...(req.memo ? { memo: req.memo } : {}),
    ...(req.searchAttributes ? { searchAttributes: req.searchAttributes } : {}),
    ...(delay > 0 ? { firstWorkflowTaskBackoffMs: delay } : {}),
    ...(req.header ? { header: req.header } : {}),
    ...(req.cronSchedule ? { cronSchedule: req.cronSchedule } : {}),
    ...(chain?.initiator ? { initiator: chain.initiator } : {}),
    ...(chain?.lastCompletionResult ? { lastCompletionResult: chain.lastCompletionResult } : {}),
    ...(chain?.continuedFailure ? { continuedFailure: chain.continuedFailure } : {}),
    ...(parentInfo
      ? { parentWorkflowNamespace: parentInfo.namespace, parentWorkflowExecution: { workflowId: parentInfo.workflowId, runId: parentInfo.runId }, parentInitiatedEventId: parentInfo.initiatedEventId, ...(parentInfo.root ? { rootWorkflowExecution: parentInfo.root } : {}) }
      : {}),
  });
  tx.newCurrentRunId = newRunId;
  tx.markVisibility(run);
  beforeFirstTask?.(run);
  scheduleWorkflowTask(tx, run);
  return { runId: newRunId, started: true };
}

/** The run a request names (its run id, else the latest), or WORKFLOW_NOT_FOUND. */
export function resolveRun(tx: Txn, workflowId: string, runId: string | undefined): RunState {
  const id = runId || tx.currentRunId();
  const run = id ? tx.loadRun(id) : undefined;
  if (!run) {
    throw new ServiceError('WORKFLOW_NOT_FOUND', runId ? `Workflow '${workflowId}' has no run '${runId}'.` : `Workflow '${workflowId}' not found.`, { workflowId, ...(runId ? { runId } : {}) });
  }
  return run;
}

export function requireRunning(run: RunState): RunState {
  if (!isRunning(run)) {
    throw new ServiceError('WORKFLOW_NOT_RUNNING', `Workflow '${run.workflowId}' run ${run.runId} has already closed (${run.status}); only a running run takes signals, cancellation and termination — start a new run to go on.`, { workflowId: run.workflowId, runId: run.runId, status: run.status });
  }
  return run;
}

export function signalWorkflow(tx: Txn, run: RunState, signalName: string, input: Payload[], identity?: string, header?: Record<string, Payload>): void {
  addInputEvent(tx, requireRunning(run), 'WorkflowExecutionSignaled', { signalName, input, identity, ...(header ? { header } : {}) });
}

export function requestCancelWorkflow(tx: Txn, run: RunState, reason?: string, identity?: string): void {
  requireRunning(run);
  if (run.cancelRequested) return; // Asking twice is harmless, as in Temporal.
  run.cancelRequested = true;
  addInputEvent(tx, run, 'WorkflowExecutionCancelRequested', { ...(reason ? { cause: reason } : {}), identity });
}

export function terminateRun(tx: Txn, run: RunState, reason?: string, details?: Payload[], identity?: string): void {
  requireRunning(run);
  flushBuffered(tx, run);
  closeRun(tx, run, 'TERMINATED', 'WorkflowExecutionTerminated', { ...(reason ? { reason } : {}), ...(details ? { details } : {}), identity });
}

/** Writes the close event and drops everything the run waited for. */
export function closeRun<T extends EventType>(tx: Txn, run: RunState, status: WorkflowExecutionStatus, eventType: T, attributes: AttributesOf<T>): void {
  run.closeEventId = tx.addEvent(run, eventType, attributes);
  run.status = status;
  run.closeTime = tx.now;
  run.workflowTask = undefined;
  run.buffered = [];
  run.activities = {};
  run.timers = {};
  run.sticky = undefined;
  run.firstWorkflowTaskAt = undefined;
  afterRunClosed(tx, run, eventType, attributes as Record<string, unknown>);
  tx.touch(run);
  tx.markVisibility(run);
}

export function completeWorkflowTask(tx: Txn, run: RunState | undefined, token: TaskTokenData, req: ParsedRequestOf<'completeWorkflowTask'>): void {
  const wt = requireStartedWorkflowTask(run, token);
  const r = run!;
  validateCommands(r, req.commands);
  const closes = req.commands.some((c) => CLOSE_COMMANDS.has(c.type));
  if (closes && r.buffered.length > 0) {
    // New events arrived while the workflow decided to close: it must see them first.
    endWorkflowTaskUnsuccessfully(tx, r, { failed: { cause: 'UNHANDLED_COMMAND', identity: req.identity } }, 1);
    return;
  }
  writeTransientEvents(tx, r, wt);
  const completedEventId = tx.addEvent(r, 'WorkflowTaskCompleted', { scheduledEventId: wt.scheduledEventId, startedEventId: wt.startedEventId!, identity: req.identity });
  r.lastCompletedStartedEventId = wt.startedEventId!;
  // The task stays "running" while its commands apply, so input events they cause are
  // buffered and written after the command events.
  applyCommands(tx, r, req.commands, completedEventId, req.identity);
  r.workflowTask = undefined;
  if (!isRunning(r)) return;
  r.sticky = req.stickyAttributes
    ? { taskQueue: req.stickyAttributes.workerTaskQueue, scheduleToStartTimeoutMs: req.stickyAttributes.scheduleToStartTimeoutMs ?? DEFAULT_STICKY_SCHEDULE_TO_START_MS }
    : undefined;
  if (flushBuffered(tx, r)) scheduleWorkflowTask(tx, r);
  tx.touch(r);
}

export function failWorkflowTask(tx: Txn, run: RunState | undefined, token: TaskTokenData, req: ParsedRequestOf<'failWorkflowTask'>): void {
  requireStartedWorkflowTask(run, token);
  endWorkflowTaskUnsuccessfully(tx, run!, { failed: { cause: req.cause, failure: req.failure, identity: req.identity } });
}

type Due = { at: number; fire: () => void };

/** Everything the run waits for, each with its moment and what firing it does. */
function dueItems(tx: Txn, run: RunState, heardFrom?: WorkerHeardFrom): Due[] {
  if (!isRunning(run)) return [];
  const items: Due[] = [];
  const timeoutRun = (at: number) =>
    items.push({
      at,
      fire: () => {
        flushBuffered(tx, run);
        timeOutRun(tx, run);
      },
    });
  if (run.runDeadline !== undefined) timeoutRun(run.runDeadline);
  if (run.executionDeadline !== undefined) timeoutRun(run.executionDeadline);
  if (run.firstWorkflowTaskAt !== undefined) items.push({ at: run.firstWorkflowTaskAt, fire: () => scheduleWorkflowTask(tx, run) });
  const wt = run.workflowTask;
  if (wt) {
    if (!wt.dispatched && wt.dueAt !== undefined) items.push({ at: wt.dueAt, fire: () => dispatchWorkflowTaskIfDue(tx, run) });
    if (wt.startedTime !== undefined && wt.handOff) items.push({ at: wt.handOff.ackBy, fire: () => workflowTaskHandOffLost(tx, run, heardFrom) });
    if (wt.startedTime !== undefined) {
      items.push({ at: wt.startedTime + run.workflowTaskTimeoutMs, fire: () => endWorkflowTaskUnsuccessfully(tx, run, { timedOut: 'START_TO_CLOSE' }) });
    } else if (wt.sticky && wt.dispatched && run.sticky) {
      items.push({ at: wt.scheduledTime + run.sticky.scheduleToStartTimeoutMs, fire: () => endWorkflowTaskUnsuccessfully(tx, run, { timedOut: 'SCHEDULE_TO_START' }) });
    }
  }
  for (const timer of Object.values(run.timers)) {
    items.push({
      at: timer.fireAt,
      fire: () => {
        delete run.timers[timer.timerId];
        addInputEvent(tx, run, 'TimerFired', { timerId: timer.timerId, startedEventId: timer.startedEventId });
      },
    });
  }
  for (const act of Object.values(run.activities)) {
    for (const d of activityDeadlines(act)) {
      const what = d.what;
      items.push({ at: d.at, fire: () => (what === 'RETRY' ? dispatchRetryIfDue(tx, run, act) : what === 'HAND_OFF_LOST' ? activityHandOffLost(tx, run, act, heardFrom) : timeOutActivity(tx, run, act, what)) });
    }
  }
  return items;
}

/** The earliest moment the run waits for, or undefined when it waits for nothing. */
export function nextWakeup(tx: Txn, run: RunState): number | undefined {
  let min: number | undefined;
  for (const item of dueItems(tx, run)) if (min === undefined || item.at < min) min = item.at;
  return min;
}

/**
 * Fires everything due by `tx.now`, earliest first. Each firing can change what else
 * is pending (a run timeout drops every timer), so the list is recomputed after each.
 */
export function fireDue(tx: Txn, run: RunState, heardFrom?: WorkerHeardFrom): void {
  for (let guard = 0; guard < 10_000; guard++) {
    const due = dueItems(tx, run, heardFrom)
      .filter((i) => i.at <= tx.now)
      .sort((a, b) => a.at - b.at)[0];
    if (!due) return;
    due.fire();
  }
}

