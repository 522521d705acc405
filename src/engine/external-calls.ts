/**
 * Calls from one workflow to another (Temporal's signal and cancel of an external workflow, and
 * the calls child workflows need): what is sent, and what the sender records when the answer
 * comes. A call is written to the sender's call outbox in the same transaction as the event that
 * causes it and delivered at least once (src/workflow-calls.ts); each carries a request id made of
 * the sender's run id and initiated event id, so a repeat has no second effect at the receiver.
 */
import type { CommandOf, ParsedRequestOf, Payload } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';
import { isRunning, type ParentInfo, type RunState } from './run-state.js';
import type { Txn } from './transaction.js';
import type { CallResult, WorkflowCall } from './workflow-call.js';
import { addInputEvent } from './workflow-tasks.js';

/** The request id of a call: the same for every delivery of it, different for every call. */
export function callRequestId(call: { senderRunId: string; initiatedEventId: number; kind: string }): string {
  return `keel-${call.kind}:${call.senderRunId}:${call.initiatedEventId}`;
}

/** Checks a signal/cancel-external command before any command applies. */
export function validateExternalCommand(run: RunState, cmd: CommandOf<'SignalExternalWorkflowExecution'> | CommandOf<'RequestCancelExternalWorkflowExecution'>, where: string): void {
  if (cmd.namespace !== undefined && cmd.namespace !== run.namespace) {
    throw new ServiceError('BAD_COMMAND', `${where}: namespace '${cmd.namespace}' is not the workflow's own ('${run.namespace}'); Keel calls workflows in the same namespace only.`);
  }
}

/** Remembers a call in flight until its answer is recorded. */
function trackExternalCall(run: RunState, kind: 'signal' | 'cancel', initiatedEventId: number, completedEventId: number, execution: { workflowId: string; runId?: string }, control: string | undefined): void {
  (run.externalCalls ??= {})[initiatedEventId] = {
    kind,
    initiatedEventId,
    workflowTaskCompletedEventId: completedEventId,
    ...execution,
    ...(control !== undefined ? { control } : {}),
  };
}

export function signalExternal(tx: Txn, run: RunState, cmd: CommandOf<'SignalExternalWorkflowExecution'>, completedEventId: number): void {
  const execution = { workflowId: cmd.execution.workflowId, ...(cmd.execution.runId ? { runId: cmd.execution.runId } : {}) };
  const initiatedEventId = tx.addEvent(run, 'SignalExternalWorkflowExecutionInitiated', {
    namespace: run.namespace,
    workflowExecution: execution,
    signalName: cmd.signalName,
    input: cmd.input,
    childWorkflowOnly: cmd.childWorkflowOnly ?? false,
    ...(cmd.header ? { header: cmd.header } : {}),
    ...(cmd.control !== undefined ? { control: cmd.control } : {}),
    workflowTaskCompletedEventId: completedEventId,
  });
  trackExternalCall(run, 'signal', initiatedEventId, completedEventId, execution, cmd.control);
  if (cmd.childWorkflowOnly && !isChild(run, execution.workflowId)) return notAChild(tx, run, initiatedEventId);
  tx.call({
    kind: 'signal',
    namespace: run.namespace,
    ...execution,
    senderRunId: run.runId,
    initiatedEventId,
    signalName: cmd.signalName,
    input: cmd.input,
    ...(cmd.header ? { header: cmd.header } : {}),
  });
}

export function requestCancelExternal(tx: Txn, run: RunState, cmd: CommandOf<'RequestCancelExternalWorkflowExecution'>, completedEventId: number): void {
  const execution = { workflowId: cmd.workflowId, ...(cmd.runId ? { runId: cmd.runId } : {}) };
  const initiatedEventId = tx.addEvent(run, 'RequestCancelExternalWorkflowExecutionInitiated', {
    namespace: run.namespace,
    workflowExecution: execution,
    childWorkflowOnly: cmd.childWorkflowOnly ?? false,
    ...(cmd.reason !== undefined ? { reason: cmd.reason } : {}),
    ...(cmd.control !== undefined ? { control: cmd.control } : {}),
    workflowTaskCompletedEventId: completedEventId,
  });
  trackExternalCall(run, 'cancel', initiatedEventId, completedEventId, execution, cmd.control);
  if (cmd.childWorkflowOnly && !isChild(run, execution.workflowId)) return notAChild(tx, run, initiatedEventId);
  tx.call({ kind: 'cancel', namespace: run.namespace, ...execution, senderRunId: run.runId, initiatedEventId, ...(cmd.reason !== undefined ? { reason: cmd.reason } : {}) });
}

/** Whether the workflow id names one of the run's children it has not heard the close of. */
const isChild = (run: RunState, workflowId: string) => Object.values(run.children ?? {}).some((c) => c.workflowId === workflowId);

/**
 * `childWorkflowOnly` and the target is no child of this run (any more): the call is not sent and
 * fails as Temporal's does when the target's parent is another workflow — not found.
 */
function notAChild(tx: Txn, run: RunState, initiatedEventId: number): void {
  recordExternalResult(tx, { senderRunId: run.runId, initiatedEventId }, { ok: false, cause: 'EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND' });
}

/**
 * Records the answer to a signal or cancellation request. A repeated answer, or one for a run that
 * has closed since, finds no pending call and changes nothing.
 */
export function recordExternalResult(tx: Txn, call: { senderRunId: string; initiatedEventId: number }, result: CallResult): void {
  const run = tx.loadRun(call.senderRunId);
  const pending = run?.externalCalls?.[call.initiatedEventId];
  if (!run || !isRunning(run) || !pending) return;
  delete run.externalCalls![call.initiatedEventId];
  tx.touch(run);
  const workflowExecution = { workflowId: pending.workflowId, ...(pending.runId ? { runId: pending.runId } : {}) };
  const control = pending.control !== undefined ? { control: pending.control } : {};
  const done = { initiatedEventId: pending.initiatedEventId, namespace: run.namespace, workflowExecution };
  // The target was not there: the same attributes for a signal and a cancellation request.
  const notFound = { ...done, cause: 'EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND' as const, ...control, workflowTaskCompletedEventId: pending.workflowTaskCompletedEventId };
  if (pending.kind === 'signal') {
    if (result.ok) addInputEvent(tx, run, 'ExternalWorkflowExecutionSignaled', { ...done, ...control });
    else addInputEvent(tx, run, 'SignalExternalWorkflowExecutionFailed', notFound);
  } else if (result.ok) addInputEvent(tx, run, 'ExternalWorkflowExecutionCancelRequested', done);
  else addInputEvent(tx, run, 'RequestCancelExternalWorkflowExecutionFailed', notFound);
}
