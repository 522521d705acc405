// Owns turning the events that answer child workflow starts and external signals/cancels into
// activation jobs. The workflow's sequence number of each call rides in its command's `control`,
// which the Initiated event keeps; the answering events name the Initiated event.
import type { Failure, HistoryEvent } from '../../protocol/index.js';
import { IllegalStateError } from '../common/errors.js';
import { FAILURE_SOURCE } from '../common/failure.js';
import type { ActivationJob } from '../workflow/activation.js';

/** The initiated events whose sequence numbers a run's machine remembers. */
export const INITIATED_EVENT_TYPES: ReadonlySet<string> = new Set([
  'StartChildWorkflowExecutionInitiated',
  'SignalExternalWorkflowExecutionInitiated',
  'RequestCancelExternalWorkflowExecutionInitiated',
]);

/** The sequence number an Initiated event carries (its `control`). */
export function seqOfInitiated(event: HistoryEvent): number | undefined {
  const control = (event.attributes as { control?: string }).control;
  const seq = control === undefined ? NaN : Number(control);
  return Number.isInteger(seq) ? seq : undefined;
}

/** The ChildWorkflowFailure a child's close stands for, with `cause` as its cause. */
function childFailure(a: { namespace: string; workflowExecution: { workflowId: string; runId: string }; workflowType: { name: string }; initiatedEventId: number; startedEventId: number }, retryState: NonNullable<Failure['childWorkflowExecutionFailureInfo']>['retryState'], cause: Failure): Failure {
  return {
    message: 'Child Workflow execution failed',
    source: FAILURE_SOURCE,
    childWorkflowExecutionFailureInfo: {
      namespace: a.namespace,
      workflowExecution: a.workflowExecution,
      workflowType: a.workflowType.name,
      initiatedEventId: a.initiatedEventId,
      startedEventId: a.startedEventId,
      retryState,
    },
    cause,
  };
}

/**
 * The activation job of a child or external-call answer event, or undefined for other events.
 * @throws {IllegalStateError} when the event names an initiated event this run has not seen.
 */
export function jobForChildOrExternalEvent(event: HistoryEvent, seqOf: (initiatedEventId: number) => number | undefined): ActivationJob | undefined {
  const seq = (initiatedEventId: number): number => {
    const found = seqOf(initiatedEventId);
    if (found === undefined) {
      throw new IllegalStateError(`Malformed history: ${event.eventType} at event ${event.eventId} refers to initiated event ${initiatedEventId}, which this run has not seen (or it has no sequence number in its control)`);
    }
    return found;
  };
  switch (event.eventType) {
    case 'ChildWorkflowExecutionStarted':
      return { type: 'resolveChildWorkflowExecutionStart', seq: seq(event.attributes.initiatedEventId), started: { runId: event.attributes.workflowExecution.runId } };
    case 'StartChildWorkflowExecutionFailed':
      return {
        type: 'resolveChildWorkflowExecutionStart',
        seq: seq(event.attributes.initiatedEventId),
        failed: { workflowId: event.attributes.workflowId, workflowType: event.attributes.workflowType.name, cause: event.attributes.cause },
      };
    case 'ChildWorkflowExecutionCompleted':
      return { type: 'resolveChildWorkflowExecution', seq: seq(event.attributes.initiatedEventId), result: { completed: event.attributes.result !== undefined ? { result: event.attributes.result } : {} } };
    case 'ChildWorkflowExecutionFailed':
      return { type: 'resolveChildWorkflowExecution', seq: seq(event.attributes.initiatedEventId), result: { failed: { failure: childFailure(event.attributes, event.attributes.retryState, event.attributes.failure) } } };
    case 'ChildWorkflowExecutionCanceled': {
      const { details } = event.attributes;
      const cause: Failure = { message: 'Workflow execution cancelled', source: FAILURE_SOURCE, canceledFailureInfo: details !== undefined ? { details } : {} };
      return { type: 'resolveChildWorkflowExecution', seq: seq(event.attributes.initiatedEventId), result: { failed: { failure: childFailure(event.attributes, 'CANCEL_REQUESTED', cause) } } };
    }
    case 'ChildWorkflowExecutionTimedOut': {
      const cause: Failure = { message: 'Workflow execution timed out', source: FAILURE_SOURCE, timeoutFailureInfo: { timeoutType: 'START_TO_CLOSE' } };
      return { type: 'resolveChildWorkflowExecution', seq: seq(event.attributes.initiatedEventId), result: { failed: { failure: childFailure(event.attributes, event.attributes.retryState, cause) } } };
    }
    case 'ChildWorkflowExecutionTerminated': {
      const cause: Failure = { message: 'Workflow execution terminated', source: FAILURE_SOURCE, terminatedFailureInfo: {} };
      return { type: 'resolveChildWorkflowExecution', seq: seq(event.attributes.initiatedEventId), result: { failed: { failure: childFailure(event.attributes, 'NON_RETRYABLE_FAILURE', cause) } } };
    }
    case 'ExternalWorkflowExecutionSignaled':
      return { type: 'resolveSignalExternalWorkflow', seq: seq(event.attributes.initiatedEventId) };
    case 'SignalExternalWorkflowExecutionFailed':
      return {
        type: 'resolveSignalExternalWorkflow',
        seq: seq(event.attributes.initiatedEventId),
        failure: notFoundFailure('Unable to signal external workflow because it was not found', 'SignalExternalWorkflowExecutionFailed'),
      };
    case 'ExternalWorkflowExecutionCancelRequested':
      return { type: 'resolveRequestCancelExternalWorkflow', seq: seq(event.attributes.initiatedEventId) };
    case 'RequestCancelExternalWorkflowExecutionFailed':
      return {
        type: 'resolveRequestCancelExternalWorkflow',
        seq: seq(event.attributes.initiatedEventId),
        failure: notFoundFailure('Unable to cancel external workflow because it was not found', 'RequestCancelExternalWorkflowExecutionFailed'),
      };
    default:
      return undefined;
  }
}

/** The failure of a signal or cancellation whose target does not exist (Temporal's core makes the same). */
function notFoundFailure(message: string, type: string): Failure {
  return { message, source: FAILURE_SOURCE, applicationFailureInfo: { type, nonRetryable: true } };
}
