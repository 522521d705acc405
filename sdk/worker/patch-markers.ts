// Owns reading patch markers (`core_patch`, recorded by `patched` / `deprecatePatch`) from history
// and from commands: which patch a marker is for, and whether it is deprecated.
import type { Command, HistoryEvent } from '../../protocol/index.js';
import { base64ToUtf8 } from '../common/index.js';
import { PATCH_MARKER_DETAILS_KEY, PATCH_MARKER_NAME } from '../workflow/activation.js';

/** What a patch marker says. */
export interface PatchMarker {
  patchId: string;
  deprecated: boolean;
}

function parseDetails(details: Record<string, { data: string }[]> | undefined): PatchMarker | undefined {
  const payload = details?.[PATCH_MARKER_DETAILS_KEY]?.[0];
  if (!payload) return undefined;
  try {
    const value = JSON.parse(base64ToUtf8(payload.data)) as { id?: unknown; deprecated?: unknown };
    if (typeof value.id !== 'string') return undefined;
    return { patchId: value.id, deprecated: value.deprecated === true };
  } catch {
    return undefined;
  }
}

/** The patch a MarkerRecorded event records, or undefined for any other event. */
export function patchOfEvent(event: HistoryEvent): PatchMarker | undefined {
  if (event.eventType !== 'MarkerRecorded' || event.attributes.markerName !== PATCH_MARKER_NAME) return undefined;
  return parseDetails(event.attributes.details);
}

/** The patch a RecordMarker command records, or undefined for any other command. */
export function patchOfCommand(command: Command): PatchMarker | undefined {
  if (command.type !== 'RecordMarker' || command.markerName !== PATCH_MARKER_NAME) return undefined;
  return parseDetails(command.details);
}

/**
 * The patch ids recorded by the command events of the completed task whose WorkflowTaskCompleted
 * is `events[completedIndex]`: the events after it, up to the next workflow task.
 */
export function patchesRecordedAfter(events: readonly HistoryEvent[], completedIndex: number): string[] {
  const ids: string[] = [];
  for (let j = completedIndex + 1; j < events.length; j++) {
    const e = events[j]!;
    if (e.eventType === 'WorkflowTaskScheduled' || e.eventType === 'WorkflowTaskStarted') break;
    const patch = patchOfEvent(e);
    if (patch) ids.push(patch.patchId);
  }
  return ids;
}
