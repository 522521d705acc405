import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../protocol/index.js';
import { describeCommand, describeEvent } from './command-matching.js';
import { localActivityMarkersAfter, replaySource } from './local-activity-rounds.js';
import { DeterminismViolationError } from './errors.js';
import { LOCAL_ACTIVITY_MARKER_NAME, localActivityMarkerCommand, localActivityOfMarker, type LocalActivityResolution } from '../workflow/local-activity-marker.js';

const data = { seq: 1, attempt: 2, activityId: '1', activityType: 'greet', completeTime: '2026-01-01T00:00:01.000Z', originalScheduleTime: '2026-01-01T00:00:00.000Z' };
const result = { metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'Imhpdz8i' };
const failure = { message: 'no luck', applicationFailureInfo: { type: 'Unlucky' } };

const roundTrip = (r: LocalActivityResolution) => {
  const cmd = localActivityMarkerCommand(r);
  return localActivityOfMarker(cmd.markerName, cmd.details, cmd.failure);
};

const markerEvent = (eventId: number, r: LocalActivityResolution): HistoryEvent => {
  const cmd = localActivityMarkerCommand(r);
  return { eventId, eventTime: '', eventType: 'MarkerRecorded', attributes: { markerName: cmd.markerName, details: cmd.details, workflowTaskCompletedEventId: 4, ...(cmd.failure ? { failure: cmd.failure } : {}) } };
};

describe('core_local_activity markers', () => {
  it('record a result, a final failure and a back-off, and read back the same', () => {
    const completed: LocalActivityResolution = { data, outcome: { completed: { result } } };
    expect(localActivityMarkerCommand(completed)).toMatchObject({ type: 'RecordMarker', markerName: LOCAL_ACTIVITY_MARKER_NAME, details: { result: [result] } });
    expect(roundTrip(completed)).toEqual(completed);
    const failed: LocalActivityResolution = { data, outcome: { failed: { failure } } };
    expect(roundTrip(failed)).toEqual(failed);
    const backoff: LocalActivityResolution = { data: { ...data, backoffMs: 120_000 }, outcome: { backoff: { failure, backoffMs: 120_000 } } };
    expect(roundTrip(backoff)).toEqual(backoff);
  });

  it('are told apart from other markers, and ones whose data cannot be read', () => {
    expect(localActivityOfMarker('core_patch', { data: [result] }, undefined)).toBeUndefined();
    expect(localActivityOfMarker(LOCAL_ACTIVITY_MARKER_NAME, { data: [{ metadata: {}, data: '!!' }] }, undefined)).toBeUndefined();
    expect(localActivityOfMarker(LOCAL_ACTIVITY_MARKER_NAME, {}, undefined)).toBeUndefined();
  });

  it("are found by seq among a task's command events, and replay refuses a missing or retyped one", () => {
    const events: HistoryEvent[] = [
      { eventId: 4, eventTime: '', eventType: 'WorkflowTaskCompleted', attributes: { scheduledEventId: 2, startedEventId: 3 } },
      markerEvent(5, { data, outcome: { completed: { result } } }),
      markerEvent(6, { data: { ...data, seq: 2 }, outcome: { failed: { failure } } }),
      { eventId: 7, eventTime: '', eventType: 'WorkflowTaskScheduled', attributes: { taskQueue: 'q', startToCloseTimeoutMs: 10_000, attempt: 1 } },
      markerEvent(8, { data: { ...data, seq: 3 }, outcome: { completed: {} } }),
    ];
    const found = localActivityMarkersAfter(events, 0);
    expect([...found.keys()]).toEqual([1, 2]);
    const source = replaySource(found, 4);
    const request = { seq: 1, activityId: '1', activityType: 'greet', input: [], attempt: 1, originalScheduleTime: 0, localRetryThresholdMs: 60_000 };
    expect(source(request)).toEqual({ data, outcome: { completed: { result } } });
    expect(() => source({ ...request, seq: 3 })).toThrow(DeterminismViolationError);
    expect(() => source({ ...request, seq: 3 })).toThrow(/ran local activity greet \(seq 3\) but history has no core_local_activity marker/);
    expect(() => source({ ...request, activityType: 'shout' })).toThrow(/history recorded local activity greet \(seq 1, core_local_activity marker\) but the workflow ran shout/);
  });

  it('are named with their activity type and seq in determinism errors', () => {
    const r: LocalActivityResolution = { data, outcome: { completed: {} } };
    expect(describeCommand(localActivityMarkerCommand(r))).toBe('RecordMarker(markerName=core_local_activity, activityType=greet, seq=1)');
    expect(describeEvent(markerEvent(5, r), () => undefined)).toBe('MarkerRecorded(markerName=core_local_activity, activityType=greet, seq=1)');
  });
});
