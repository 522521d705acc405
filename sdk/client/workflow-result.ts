// Owns what a run's close event means to the caller of `result()`: the decoded value, the next
// run to follow, or the `WorkflowFailedError` (with Temporal's cause and message) to throw.
import type { HistoryEvent } from '../../protocol/index.js';
import { RetryState, TimeoutType } from '../../protocol/index.js';
import {
  CancelledFailure,
  IllegalStateError,
  TerminatedFailure,
  TimeoutFailure,
  decodeArrayFromPayloads,
  decodeOptionalFailureToOptionalError,
  decodeOptionalSinglePayload,
  type LoadedDataConverter,
} from '../common/index.js';
import { WorkflowContinuedAsNewError, WorkflowFailedError } from './errors.js';

/** What to do after reading a close event. */
export type CloseOutcome = { type: 'result'; value: unknown } | { type: 'follow'; runId: string };

/**
 * Interprets a close event.
 *
 * A close event with a new run's id means another run carries the workflow on: continue-as-new
 * (WorkflowExecutionContinuedAsNew), a retry after a failure or timeout, or the next run of a cron
 * schedule. With `followRuns` the caller reads that run next; without, a continue-as-new throws
 * {@link WorkflowContinuedAsNewError}, a completed cron run returns its result and a retried
 * failure or timeout throws as if final, as Temporal does.
 *
 * @throws {WorkflowFailedError} when the run failed, was cancelled, terminated or timed out.
 */
export async function interpretCloseEvent(event: HistoryEvent, dataConverter: LoadedDataConverter, followRuns: boolean): Promise<CloseOutcome> {
  switch (event.eventType) {
    case 'WorkflowExecutionCompleted': {
      const { newExecutionRunId, result } = event.attributes;
      // A completed run with a next run is a cron run: followed, or its own result (Temporal's client).
      if (newExecutionRunId && followRuns) return { type: 'follow', runId: newExecutionRunId };
      return { type: 'result', value: await decodeOptionalSinglePayload(dataConverter, result) };
    }
    case 'WorkflowExecutionContinuedAsNew': {
      const { newExecutionRunId } = event.attributes;
      if (followRuns) return { type: 'follow', runId: newExecutionRunId };
      throw new WorkflowContinuedAsNewError('Workflow execution continued as new', newExecutionRunId);
    }
    case 'WorkflowExecutionFailed': {
      const { newExecutionRunId, failure, retryState } = event.attributes;
      if (followRuns && newExecutionRunId) return { type: 'follow', runId: newExecutionRunId };
      throw new WorkflowFailedError('Workflow execution failed', await decodeOptionalFailureToOptionalError(dataConverter, failure), retryState);
    }
    case 'WorkflowExecutionCanceled': {
      const failure = new CancelledFailure('Workflow canceled', await decodeArrayFromPayloads(dataConverter, event.attributes.details));
      // The failure was made here, not thrown by the workflow: a client stack would only mislead.
      failure.stack = '';
      throw new WorkflowFailedError('Workflow execution cancelled', failure, RetryState.NON_RETRYABLE_FAILURE);
    }
    case 'WorkflowExecutionTerminated': {
      const message = event.attributes.reason || 'Workflow execution terminated';
      const failure = new TerminatedFailure(message);
      failure.stack = '';
      throw new WorkflowFailedError(message, failure, RetryState.NON_RETRYABLE_FAILURE);
    }
    case 'WorkflowExecutionTimedOut': {
      const { newExecutionRunId, retryState } = event.attributes;
      if (followRuns && newExecutionRunId) return { type: 'follow', runId: newExecutionRunId };
      const failure = new TimeoutFailure('Workflow execution timed out', undefined, TimeoutType.START_TO_CLOSE);
      failure.stack = '';
      throw new WorkflowFailedError('Workflow execution timed out', failure, retryState);
    }
    default:
      throw new IllegalStateError(`Expected a close event, got ${event.eventType} (event ${event.eventId})`);
  }
}
