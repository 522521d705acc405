// Owns the local-activity rounds of one workflow task: while an activation asks for local
// activities, get their outcomes (run them live, or read their markers on replay) and activate the
// workflow again with them, gathering every round's commands into the task's one completion.
import { CLOSE_COMMANDS, type Command, type EventOf, type HistoryEvent } from '../../protocol/index.js';
import type { ActivationJob, ActivationResult, LocalActivityRequest } from '../workflow/activation.js';
import { LOCAL_ACTIVITY_MARKER_NAME, localActivityOfMarker, type LocalActivityResolution } from '../workflow/local-activity-marker.js';
import { DeterminismViolationError } from './errors.js';

/** Where outcomes come from: undefined leaves the local activity unresolved (a replay's open last task). */
export type LocalActivitySource = (request: LocalActivityRequest) => Promise<LocalActivityResolution | undefined> | LocalActivityResolution | undefined;

export async function runLocalActivityRounds(first: ActivationResult, activate: (jobs: ActivationJob[]) => Promise<ActivationResult>, source: LocalActivitySource): Promise<ActivationResult> {
  if (!('commands' in first) || !first.localActivities?.length) return first;
  const commands = [...first.commands];
  const closed = (cs: Command[]) => cs.some((c) => CLOSE_COMMANDS.has(c.type));
  let requests = first.localActivities;
  // Once the workflow has closed, local activities it left behind never run (live or on replay alike).
  while (requests.length > 0 && !closed(commands)) {
    // Requests of one round run together, and are resolved together in request order.
    const resolutions = await Promise.all(requests.map((r) => source(r)));
    const jobs: ActivationJob[] = [];
    resolutions.forEach((resolution, i) => {
      if (resolution) jobs.push({ type: 'resolveLocalActivity', seq: requests[i]!.seq, resolution });
    });
    if (jobs.length === 0) break;
    const next = await activate(jobs);
    if (!('commands' in next)) return next;
    commands.push(...next.commands);
    requests = next.localActivities ?? [];
  }
  return { commands };
}

/**
 * The local-activity markers a completed task recorded (the command events after its
 * WorkflowTaskCompleted at `events[completedIndex]`), by seq: replay resolves from these.
 */
export function localActivityMarkersAfter(events: readonly HistoryEvent[], completedIndex: number): Map<number, LocalActivityResolution> {
  const found = new Map<number, LocalActivityResolution>();
  for (let j = completedIndex + 1; j < events.length; j++) {
    const e = events[j]!;
    if (e.eventType === 'WorkflowTaskScheduled' || e.eventType === 'WorkflowTaskStarted') break;
    if (e.eventType !== 'MarkerRecorded') continue;
    const resolution = localActivityOfEvent(e);
    if (resolution) found.set(resolution.data.seq, resolution);
  }
  return found;
}

export function localActivityOfEvent(event: EventOf<'MarkerRecorded'>): LocalActivityResolution | undefined {
  return localActivityOfMarker(event.attributes.markerName, event.attributes.details, event.attributes.failure);
}

/**
 * A replay source that reads the task's markers and refuses a local activity history does not have,
 * or has under another type: the code changed in a way replay cannot follow.
 */
export function replaySource(markers: Map<number, LocalActivityResolution>, completedEventId: number): LocalActivitySource {
  return (request) => {
    const recorded = markers.get(request.seq);
    if (!recorded) {
      throw new DeterminismViolationError(
        `Nondeterminism in the workflow task completed at event ${completedEventId}: the workflow ran local activity ${request.activityType} (seq ${request.seq}) but history has no ${LOCAL_ACTIVITY_MARKER_NAME} marker for it`,
      );
    }
    if (recorded.data.activityType !== request.activityType) {
      throw new DeterminismViolationError(
        `Nondeterminism in the workflow task completed at event ${completedEventId}: history recorded local activity ${recorded.data.activityType} (seq ${request.seq}, ${LOCAL_ACTIVITY_MARKER_NAME} marker) but the workflow ran ${request.activityType}`,
      );
    }
    return recorded;
  };
}
