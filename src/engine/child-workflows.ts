/**
 * Child workflows, as Temporal's: the StartChildWorkflowExecution command, the answers the parent
 * records (ChildWorkflowExecutionStarted or StartChildWorkflowExecutionFailed, then the child's
 * close as ChildWorkflowExecutionCompleted/Failed/Canceled/TimedOut/Terminated), and what a run's
 * close does for the workflows it is related to: a child's chain tells its parent, and a parent
 * applies each running child's parent close policy. Every such call leaves through the call outbox
 * (see external-calls.ts) in the transaction of the event that causes it.
 */
import type { AttributesOf, CommandOf, EventType } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';
import { checkSearchAttributes } from '../visibility/search-attributes.js';
import { callRequestId } from './external-calls.js';
import type { CallResult, ChildClose, WorkflowCall } from './workflow-call.js';
import { isRunning, type ChildState, type RunState } from './run-state.js';
import type { Txn } from './transaction.js';
import { addInputEvent, workflowTaskStarted } from './workflow-tasks.js';

/** Checks a StartChildWorkflowExecution command before any command applies. */
export function validateStartChild(run: RunState, cmd: CommandOf<'StartChildWorkflowExecution'>, where: string): void {
  if (cmd.namespace !== undefined && cmd.namespace !== run.namespace) {
    throw new ServiceError('BAD_COMMAND', `${where}: namespace '${cmd.namespace}' is not the workflow's own ('${run.namespace}'); Keel starts children in the parent's namespace only.`);
  }
  try {
    checkSearchAttributes(cmd.searchAttributes);
  } catch (err) {
    if (err instanceof ServiceError) throw new ServiceError(err.code, `${where}: ${err.message}`, err.details);
    throw err;
  }
}

export function startChild(tx: Txn, run: RunState, cmd: CommandOf<'StartChildWorkflowExecution'>, completedEventId: number): void {
  const taskQueue = cmd.taskQueue ?? run.taskQueue;
  const parentClosePolicy = cmd.parentClosePolicy ?? 'TERMINATE';
  const initiatedEventId = tx.addEvent(run, 'StartChildWorkflowExecutionInitiated', {
    namespace: run.namespace,
    workflowId: cmd.workflowId,
    workflowType: { name: cmd.workflowType },
    taskQueue,
    input: cmd.input,
    ...(cmd.workflowExecutionTimeoutMs ? { workflowExecutionTimeoutMs: cmd.workflowExecutionTimeoutMs } : {}),
    ...(cmd.workflowRunTimeoutMs ? { workflowRunTimeoutMs: cmd.workflowRunTimeoutMs } : {}),
    ...(cmd.workflowTaskTimeoutMs ? { workflowTaskTimeoutMs: cmd.workflowTaskTimeoutMs } : {}),
    parentClosePolicy,
    ...(cmd.workflowIdReusePolicy ? { workflowIdReusePolicy: cmd.workflowIdReusePolicy } : {}),
    ...(cmd.retryPolicy ? { retryPolicy: cmd.retryPolicy } : {}),
    ...(cmd.memo ? { memo: cmd.memo } : {}),
    ...(cmd.searchAttributes ? { searchAttributes: cmd.searchAttributes } : {}),
    ...(cmd.header ? { header: cmd.header } : {}),
    ...(cmd.control !== undefined ? { control: cmd.control } : {}),
    workflowTaskCompletedEventId: completedEventId,
  });
  (run.children ??= {})[initiatedEventId] = {
    initiatedEventId,
    workflowTaskCompletedEventId: completedEventId,
    workflowId: cmd.workflowId,
    workflowType: cmd.workflowType,
    parentClosePolicy,
  };
  const call = { kind: 'startChild' as const, senderRunId: run.runId, initiatedEventId };
  tx.call({
    ...call,
    namespace: run.namespace,
    workflowId: cmd.workflowId,
    request: {
      workflowId: cmd.workflowId,
      workflowType: cmd.workflowType,
      taskQueue,
      input: cmd.input,
      // A child never takes the place of a running workflow: a conflict fails the start (Temporal's).
      workflowIdConflictPolicy: 'FAIL',
      ...(cmd.workflowIdReusePolicy ? { workflowIdReusePolicy: cmd.workflowIdReusePolicy } : {}),
      ...(cmd.workflowExecutionTimeoutMs ? { workflowExecutionTimeoutMs: cmd.workflowExecutionTimeoutMs } : {}),
      ...(cmd.workflowRunTimeoutMs ? { workflowRunTimeoutMs: cmd.workflowRunTimeoutMs } : {}),
      ...(cmd.workflowTaskTimeoutMs ? { workflowTaskTimeoutMs: cmd.workflowTaskTimeoutMs } : {}),
      ...(cmd.retryPolicy ? { retryPolicy: cmd.retryPolicy } : {}),
      ...(cmd.memo ? { memo: cmd.memo } : {}),
      ...(cmd.searchAttributes ? { searchAttributes: cmd.searchAttributes } : {}),
      ...(cmd.header ? { header: cmd.header } : {}),
      requestId: callRequestId(call),
      parent: {
        namespace: run.namespace,
        workflowId: run.workflowId,
        runId: run.runId,
        initiatedEventId,
        root: run.parent ? (run.parent.root ?? { workflowId: run.parent.workflowId, runId: run.parent.runId }) : { workflowId: run.workflowId, runId: run.runId },
      },
    },
  });
}

/** Writes ChildWorkflowExecutionStarted for `child` (keeping its event id, unless the event is buffered). */
function recordStarted(tx: Txn, run: RunState, child: ChildState, runId: string): void {
  child.runId = runId;
  const buffered = workflowTaskStarted(tx, run);
  const eventId = run.nextEventId;
  addInputEvent(tx, run, 'ChildWorkflowExecutionStarted', {
    namespace: run.namespace,
    initiatedEventId: child.initiatedEventId,
    workflowExecution: { workflowId: child.workflowId, runId },
    workflowType: { name: child.workflowType },
  });
  // A buffered event gets its id when it is written (flushBuffered fills it in).
  child.startedEventId = buffered ? 0 : eventId;
  tx.touch(run);
}

/**
 * Records the answer to a child's start. A repeated answer, one for a child whose close already
 * arrived, or one for a parent run that has closed since (its close applied the policy) changes nothing.
 */
export function recordChildStartResult(tx: Txn, call: { senderRunId: string; initiatedEventId: number }, result: CallResult): void {
  const run = tx.loadRun(call.senderRunId);
  const child = run?.children?.[call.initiatedEventId];
  if (!run || !isRunning(run) || !child || child.runId !== undefined) return;
  if (result.ok) {
    recordStarted(tx, run, child, result.runId!);
    return;
  }
  delete run.children![call.initiatedEventId];
  addInputEvent(tx, run, 'StartChildWorkflowExecutionFailed', {
    namespace: run.namespace,
    workflowId: child.workflowId,
    workflowType: { name: child.workflowType },
    cause: 'WORKFLOW_ALREADY_EXISTS',
    initiatedEventId: child.initiatedEventId,
    workflowTaskCompletedEventId: child.workflowTaskCompletedEventId,
  });
}

/**
 * The parent's side of a child's close: writes the matching ChildWorkflowExecution* event. The
 * close may overtake the start's answer (both are in flight at once); then the started event is
 * written first. A repeated close finds no pending child and changes nothing.
 */
export function recordChildClosed(tx: Txn, call: Extract<WorkflowCall, { kind: 'childClosed' }>): void {
  const run = tx.loadRun(call.parent.runId);
  const child = run?.children?.[call.parent.initiatedEventId];
  if (!run || !isRunning(run) || !child) return;
  if (child.runId === undefined) recordStarted(tx, run, child, call.child.runId);
  delete run.children![child.initiatedEventId];
  tx.touch(run);
  const common = {
    namespace: run.namespace,
    workflowExecution: { workflowId: child.workflowId, runId: child.runId! },
    workflowType: { name: child.workflowType },
    initiatedEventId: child.initiatedEventId,
    startedEventId: child.startedEventId ?? 0,
  };
  const a = call.close.attributes;
  switch (call.close.eventType) {
    case 'ChildWorkflowExecutionCompleted':
      return addInputEvent(tx, run, 'ChildWorkflowExecutionCompleted', { ...(a.result ? { result: a.result } : {}), ...common });
    case 'ChildWorkflowExecutionFailed':
      return addInputEvent(tx, run, 'ChildWorkflowExecutionFailed', { failure: a.failure as AttributesOf<'ChildWorkflowExecutionFailed'>['failure'], ...common, retryState: (a.retryState ?? 'RETRY_POLICY_NOT_SET') as never });
    case 'ChildWorkflowExecutionCanceled':
      return addInputEvent(tx, run, 'ChildWorkflowExecutionCanceled', { ...(a.details ? { details: a.details } : {}), ...common });
    case 'ChildWorkflowExecutionTimedOut':
      return addInputEvent(tx, run, 'ChildWorkflowExecutionTimedOut', { ...common, retryState: (a.retryState ?? 'TIMEOUT') as never });
    case 'ChildWorkflowExecutionTerminated':
      return addInputEvent(tx, run, 'ChildWorkflowExecutionTerminated', common);
  }
}

/** The parent's event for a child run's close event, or undefined when the chain goes on (continue-as-new, a retry). */
function childCloseOf(eventType: EventType, attributes: Record<string, unknown>): ChildClose | undefined {
  if (attributes.newExecutionRunId !== undefined) return undefined;
  switch (eventType) {
    case 'WorkflowExecutionCompleted':
      return { eventType: 'ChildWorkflowExecutionCompleted', attributes: attributes.result !== undefined ? { result: attributes.result as never } : {} };
    case 'WorkflowExecutionFailed':
      return { eventType: 'ChildWorkflowExecutionFailed', attributes: { failure: attributes.failure, retryState: attributes.retryState as string } };
    case 'WorkflowExecutionCanceled':
      return { eventType: 'ChildWorkflowExecutionCanceled', attributes: attributes.details !== undefined ? { details: attributes.details as never } : {} };
    case 'WorkflowExecutionTimedOut':
      return { eventType: 'ChildWorkflowExecutionTimedOut', attributes: { retryState: attributes.retryState as string } };
    case 'WorkflowExecutionTerminated':
      return { eventType: 'ChildWorkflowExecutionTerminated', attributes: {} };
    default:
      return undefined;
  }
}

/**
 * What a run's close does for related workflows (called by closeRun, in its transaction): a child
 * whose chain ends tells its parent; a parent applies its children's parent close policy (as
 * Temporal does for every close, continue-as-new included), and drops its pending external calls.
 */
export function afterRunClosed(tx: Txn, run: RunState, eventType: EventType, attributes: Record<string, unknown>): void {
  const close = run.parent ? childCloseOf(eventType, attributes) : undefined;
  if (run.parent && close) {
    tx.call({
      kind: 'childClosed',
      namespace: run.parent.namespace,
      workflowId: run.parent.workflowId,
      parent: run.parent,
      child: { workflowId: run.workflowId, runId: run.runId, workflowType: run.workflowType },
      close,
    });
  }
  for (const child of Object.values(run.children ?? {})) {
    if (child.parentClosePolicy === 'ABANDON') continue;
    tx.call({
      kind: 'parentClosePolicy',
      namespace: run.namespace,
      workflowId: child.workflowId,
      senderRunId: run.runId,
      initiatedEventId: child.initiatedEventId,
      policy: child.parentClosePolicy,
    });
  }
  run.children = undefined;
  run.externalCalls = undefined;
}

