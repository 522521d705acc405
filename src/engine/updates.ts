/**
 * Updates (Temporal's workflow updates) on the service side: accepting an update that a worker's
 * validator passed, completing it from the worker's command, and reading where an update stands.
 *
 * Only accepted updates touch history. The validator runs in a query-like task against the
 * workflow's replayed state (src/query-broker.ts), so a rejected update leaves no event at all —
 * not even workflow task events, which Temporal avoids with its speculative workflow task. Once
 * accepted, WorkflowExecutionUpdateAccepted is an input event (written at once, or buffered while a
 * workflow task runs) and the handler runs in the next workflow task; a worker that dies before the
 * handler ends replays the accepted event and runs the handler again.
 */
import type { AttributesOf, CommandOf, HistoryEvent, ParsedRequestOf, ResponseOf } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';
import { isRunning, type RunState, type UpdateState } from './run-state.js';
import type { ExecutionStore, Txn } from './transaction.js';
import { addInputEvent, workflowTaskStarted } from './workflow-tasks.js';

export type UpdateAnswer = ResponseOf<'updateWorkflow'>;

/** The accepted update `updateId` of the run, if any. */
export function findUpdate(run: RunState, updateId: string): UpdateState | undefined {
  return run.updates?.[updateId];
}

/**
 * Writes WorkflowExecutionUpdateAccepted for an update its validator passed, in the caller's
 * transaction. Accepting the same update id twice is harmless: the second does nothing.
 */
export function acceptUpdate(tx: Txn, run: RunState, req: ParsedRequestOf<'updateWorkflow'>): void {
  if (findUpdate(run, req.updateId)) return;
  if (!isRunning(run)) throw closedBeforeAccepted(run, req.updateId);
  const updates = (run.updates ??= {});
  const state: UpdateState = { acceptedEventId: 0 };
  updates[req.updateId] = state;
  const buffered = workflowTaskStarted(tx, run);
  const nextId = run.nextEventId;
  addInputEvent(tx, run, 'WorkflowExecutionUpdateAccepted', {
    protocolInstanceId: req.updateId,
    acceptedRequestMessageId: `${req.updateId}/request`,
    acceptedRequestSequencingEventId: run.nextEventId - 1,
    acceptedRequest: {
      meta: { updateId: req.updateId, identity: req.identity },
      input: { name: req.name, args: req.args, ...(req.header ? { header: req.header } : {}) },
    },
  });
  // Written at once: addInputEvent gave it the id before the WorkflowTaskScheduled it caused.
  if (!buffered) state.acceptedEventId = nextId;
  tx.touch(run);
}

/** Checks a CompleteWorkflowUpdate command against the run's accepted updates. */
export function validateCompleteUpdate(run: RunState, cmd: CommandOf<'CompleteWorkflowUpdate'>, where: string, index: number): void {
  const state = findUpdate(run, cmd.updateId);
  if (!state || state.acceptedEventId === 0) {
    throw new ServiceError('BAD_COMMAND', `${where}: no accepted update has id '${cmd.updateId}'; complete only updates the workflow saw accepted.`, { index, updateId: cmd.updateId });
  }
  if (state.completedEventId !== undefined) {
    throw new ServiceError('BAD_COMMAND', `${where}: update '${cmd.updateId}' was already completed (event ${state.completedEventId}).`, { index, updateId: cmd.updateId });
  }
}

/** → WorkflowExecutionUpdateCompleted. */
export function completeUpdate(tx: Txn, run: RunState, cmd: CommandOf<'CompleteWorkflowUpdate'>): void {
  const state = findUpdate(run, cmd.updateId)!;
  state.completedEventId = tx.addEvent(run, 'WorkflowExecutionUpdateCompleted', { meta: { updateId: cmd.updateId }, acceptedEventId: state.acceptedEventId, outcome: cmd.outcome });
}

/**
 * Where the update stands, or undefined when it has not reached `stage` yet and may still.
 * @throws {ServiceError} WORKFLOW_NOT_RUNNING when the run closed before the update completed.
 */
export function updateAnswer(store: ExecutionStore, run: RunState, updateId: string, stage: 'ACCEPTED' | 'COMPLETED'): UpdateAnswer | undefined {
  const state = findUpdate(run, updateId);
  if (!state) throw new ServiceError('UPDATE_NOT_FOUND', `Workflow '${run.workflowId}' run ${run.runId} has accepted no update with id '${updateId}'; check the update id, and pass the run id of the run that took it.`, { workflowId: run.workflowId, runId: run.runId, updateId });
  if (state.completedEventId !== undefined) {
    const event = store.readEvents(run.runId, state.completedEventId, state.completedEventId)[0] as HistoryEvent | undefined;
    const outcome = event?.eventType === 'WorkflowExecutionUpdateCompleted' ? event.attributes.outcome : {};
    return { updateId, runId: run.runId, stage: 'COMPLETED', outcome };
  }
  if (!isRunning(run)) {
    // Temporal fails the waiters of an update whose run closed first: it can never complete.
    throw new ServiceError('WORKFLOW_NOT_RUNNING', `Workflow '${run.workflowId}' run ${run.runId} closed (${run.status}) before update '${updateId}' completed; wait for all handlers to finish (condition(allHandlersFinished)) before the workflow returns.`, { workflowId: run.workflowId, runId: run.runId, status: run.status, updateId });
  }
  return stage === 'ACCEPTED' ? { updateId, runId: run.runId, stage: 'ACCEPTED' } : undefined;
}

function closedBeforeAccepted(run: RunState, updateId: string): ServiceError {
  return new ServiceError('WORKFLOW_NOT_RUNNING', `Workflow '${run.workflowId}' run ${run.runId} has already closed (${run.status}); update '${updateId}' was not accepted — only a running workflow takes updates.`, { workflowId: run.workflowId, runId: run.runId, status: run.status });
}

/** The check a new update makes before its validator runs: the run must be running. */
export function requireRunningForUpdate(run: RunState, updateId: string): void {
  if (!isRunning(run)) throw closedBeforeAccepted(run, updateId);
}
