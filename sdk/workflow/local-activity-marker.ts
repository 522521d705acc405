// Owns the `core_local_activity` marker (Temporal's name): how a local activity's outcome is
// recorded in history by a RecordMarker command, and read back on replay. Sandbox-safe: the
// workflow writes the marker, the worker reads it.
import type { CommandOf } from '../../protocol/commands.js';
import type { Failure, Payload } from '../../protocol/payload.js';
import { base64ToUtf8, utf8ToBase64 } from '../common/encoding.js';

export const LOCAL_ACTIVITY_MARKER_NAME = 'core_local_activity';
/** The marker's detail keys: `data` (plain JSON, whatever the payload converter) and `result`. */
export const LOCAL_ACTIVITY_MARKER_DATA_KEY = 'data';
export const LOCAL_ACTIVITY_MARKER_RESULT_KEY = 'result';

/** What the marker's `data` says (Temporal core's LocalActivityMarkerData, in camelCase). */
export interface LocalActivityMarkerData {
  /** The local activity's sequence number in the run: what matches a replayed call to its marker. */
  seq: number;
  attempt: number;
  activityId: string;
  activityType: string;
  /** ISO-8601. */
  completeTime: string;
  /** Set when the outcome is "retry after this back-off, as a workflow timer". */
  backoffMs?: number;
  /** ISO-8601: when the first attempt was scheduled. */
  originalScheduleTime: string;
}

/** How one execution of a local activity ended, as the worker reports it and the marker records it. */
export type LocalActivityOutcome =
  | { completed: { result?: Payload } }
  | { failed: { failure: Failure } }
  /** Failed, and the next attempt waits longer than the local retry threshold: a timer, then attempt + 1. */
  | { backoff: { failure: Failure; backoffMs: number } };

export interface LocalActivityResolution {
  data: LocalActivityMarkerData;
  outcome: LocalActivityOutcome;
}

/** The RecordMarker command that records `resolution`. */
export function localActivityMarkerCommand(resolution: LocalActivityResolution): CommandOf<'RecordMarker'> {
  const { data, outcome } = resolution;
  const json: Payload = { metadata: { encoding: utf8ToBase64('json/plain') }, data: utf8ToBase64(JSON.stringify(data)) };
  const details: Record<string, Payload[]> = { [LOCAL_ACTIVITY_MARKER_DATA_KEY]: [json] };
  if ('completed' in outcome && outcome.completed.result) details[LOCAL_ACTIVITY_MARKER_RESULT_KEY] = [outcome.completed.result];
  const failure = 'failed' in outcome ? outcome.failed.failure : 'backoff' in outcome ? outcome.backoff.failure : undefined;
  return { type: 'RecordMarker', markerName: LOCAL_ACTIVITY_MARKER_NAME, details, ...(failure ? { failure } : {}) };
}

/**
 * The resolution a `core_local_activity` marker records, from its name, details and failure; undefined
 * for any other marker, or one whose data cannot be read.
 */
export function localActivityOfMarker(markerName: string, details: Record<string, Payload[]> | undefined, failure: Failure | undefined): LocalActivityResolution | undefined {
  if (markerName !== LOCAL_ACTIVITY_MARKER_NAME) return undefined;
  const payload = details?.[LOCAL_ACTIVITY_MARKER_DATA_KEY]?.[0];
  if (!payload) return undefined;
  let data: LocalActivityMarkerData;
  try {
    data = JSON.parse(base64ToUtf8(payload.data)) as LocalActivityMarkerData;
  } catch {
    return undefined;
  }
  if (typeof data.seq !== 'number' || typeof data.activityType !== 'string') return undefined;
  if (data.backoffMs !== undefined && failure) return { data, outcome: { backoff: { failure, backoffMs: data.backoffMs } } };
  if (failure) return { data, outcome: { failed: { failure } } };
  const result = details?.[LOCAL_ACTIVITY_MARKER_RESULT_KEY]?.[0];
  return { data, outcome: { completed: result ? { result } : {} } };
}
