/**
 * Speculative workflow tasks (protocol 4): what the worker that predicts a run's next events and the
 * service that checks the prediction must compute alike. The worker runs the workflow task an
 * activity's completion causes ahead, on its cached run, and sends its completion with the activity's;
 * the service writes both in one transaction if the run is where the worker predicted.
 */
import { Limits } from './api.js';

/**
 * The events the service writes before the speculative task's completion, from the run's next event
 * id: the activity's ActivityTaskStarted and ActivityTaskCompleted, then WorkflowTaskScheduled and
 * WorkflowTaskStarted. The started event is the last of them.
 */
export const SPECULATIVE_EVENTS = 4;

/**
 * Whether a WorkflowTaskStarted with this id, written when the history holds `historySizeBytes`,
 * suggests continuing as new (Temporal's `suggestContinueAsNew`): 80% of the event limit, or the
 * 10 MB size warning.
 */
export function continueAsNewSuggested(startedEventId: number, historySizeBytes: number): boolean {
  return startedEventId - 1 >= Limits.historySuggestContinueAsNewEvents || historySizeBytes >= Limits.historySizeWarnBytes;
}
