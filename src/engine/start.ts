/**
 * Starting a run: Temporal's id reuse and conflict policies against the current run, the run's
 * state and its WorkflowExecutionStarted, then its first workflow task (or its start delay).
 */
import type { Failure, ParsedRequestOf, Payload } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';
import { checkSearchAttributes } from '../visibility/search-attributes.js';
import { checkCronSchedule, firstCronBackoffMs } from './cron.js';
import { terminateRun } from './run-control.js';
import { isRunning, type ParentInfo, type RunState } from './run-state.js';
import type { Txn } from './transaction.js';
import { DEFAULT_WORKFLOW_TASK_TIMEOUT_MS, scheduleWorkflowTask } from './workflow-tasks.js';

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
