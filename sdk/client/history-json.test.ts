// Temporal's history JSON form ⇄ Keel's events: fetchHistory() answers the one, the wire and the
// worker use the other, and a history exported from a Temporal cluster replays.
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../protocol/index.js';
import { HistoryBuilder } from '../worker/test-fixtures/history-builder.js';
import { durationStringToMs, fromTemporalHistory, isTemporalHistory, msToDurationString, toTemporalHistory } from './history-json.js';

const at = '2026-01-01T00:00:00.000Z';
const json = { metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'Im8tMSI=' };

describe("Temporal's history JSON form", () => {
  it('writes durations as Temporal does and reads them back', () => {
    expect([0, 1000, 1500, 250, 60_000, 100_001].map(msToDurationString)).toEqual(['0s', '1s', '1.5s', '0.25s', '60s', '100.001s']);
    expect(['10s', '1.5s', '0.000250s', '0.25s'].map(durationStringToMs)).toEqual([10_000, 1500, 0, 250]);
    expect(() => durationStringToMs('10 seconds')).toThrow(/Temporal's JSON form/);
  });

  it("gives events Temporal's names, wrappers, int64 strings and enum prefixes", () => {
    const events: HistoryEvent[] = [
      { eventId: 5, eventTime: at, eventType: 'ActivityTaskScheduled', attributes: { activityId: '1', activityType: 'charge', taskQueue: 'orders', input: [json], startToCloseTimeoutMs: 60_000, workflowTaskCompletedEventId: 4, retryPolicy: { initialIntervalMs: 1000, backoffCoefficient: 2 }, header: { t: json } } },
      { eventId: 9, eventTime: at, eventType: 'ActivityTaskFailed', attributes: { scheduledEventId: 5, startedEventId: 6, retryState: 'MAXIMUM_ATTEMPTS_REACHED', failure: { message: 'no', applicationFailureInfo: { type: 'E', details: [json], nextRetryDelayMs: 2000 } } } },
      { eventId: 12, eventTime: at, eventType: 'WorkflowTaskFailed', attributes: { scheduledEventId: 10, startedEventId: 11, cause: 'NON_DETERMINISTIC_ERROR' } },
    ];
    const [scheduled, failed, taskFailed] = toTemporalHistory(events).events;
    expect(scheduled).toEqual({
      eventId: '5',
      eventTime: at,
      eventType: 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
      activityTaskScheduledEventAttributes: {
        activityId: '1',
        activityType: { name: 'charge' },
        taskQueue: { name: 'orders', kind: 'TASK_QUEUE_KIND_NORMAL' },
        input: { payloads: [json] },
        startToCloseTimeout: '60s',
        workflowTaskCompletedEventId: '4',
        retryPolicy: { initialInterval: '1s', backoffCoefficient: 2 },
        header: { fields: { t: json } },
      },
    });
    expect(failed!['activityTaskFailedEventAttributes']).toMatchObject({
      retryState: 'RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED',
      failure: { applicationFailureInfo: { details: { payloads: [json] }, nextRetryDelay: '2s' } },
    });
    expect(taskFailed!['workflowTaskFailedEventAttributes']).toMatchObject({ cause: 'WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR' });
    expect(fromTemporalHistory(toTemporalHistory(events).events)).toEqual(events);
  });

  it('translates whole histories both ways without loss', () => {
    const h = new HistoryBuilder().started('order', ['o-1']).workflowTask();
    h.activityCompleted(h.activityScheduled('1', 'charge', ['o-1']), 'charged o-1');
    h.timerFired(h.timerStarted('1', 1500));
    h.signaled('approve', [true]).workflowTask().completed('done');
    const temporal = toTemporalHistory(h.events);
    expect(isTemporalHistory(temporal.events)).toBe(true);
    expect(isTemporalHistory(h.events)).toBe(false);
    expect(fromTemporalHistory(JSON.parse(JSON.stringify(temporal.events)) as unknown[])).toEqual(h.events);
  });

  it("leaves Keel's own timer anchor out of Temporal's form, which has no field for it", () => {
    const started: HistoryEvent = { eventId: 5, eventTime: at, eventType: 'TimerStarted', attributes: { timerId: '1', startToFireTimeoutMs: 1000, workflowTaskCompletedEventId: 4, anchorTime: '2025-12-31T23:59:59.950Z' } };
    const [temporal] = toTemporalHistory([started]).events;
    expect(temporal).toEqual({ eventId: '5', eventTime: at, eventType: 'EVENT_TYPE_TIMER_STARTED', timerStartedEventAttributes: { timerId: '1', startToFireTimeout: '1s', workflowTaskCompletedEventId: '4' } });
    // What replay reads is all there: the timer's id.
    const { anchorTime: _, ...temporalFields } = started.attributes;
    expect(fromTemporalHistory([temporal!])).toEqual([{ ...started, attributes: temporalFields }]);
  });

  it("fills what proto3 JSON leaves out and drops what Keel has no use for", () => {
    const [signaled] = fromTemporalHistory([
      { eventId: '15', eventTime: at, eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED', taskId: '1081245', workflowExecutionSignaledEventAttributes: { signalName: 'go', input: {} } },
    ]);
    expect(signaled).toEqual({ eventId: 15, eventTime: at, eventType: 'WorkflowExecutionSignaled', attributes: { signalName: 'go', input: [] } });
    expect(() => fromTemporalHistory([{ eventId: '3', eventTime: at, eventType: 'EVENT_TYPE_NEXUS_OPERATION_SCHEDULED', nexusOperationScheduledEventAttributes: {} }])).not.toThrow();
    expect(() => fromTemporalHistory([{ eventId: '3', eventTime: at, eventType: 'EVENT_TYPE_SOMETHING_NEW' }])).toThrow(/does not know this event type/);
  });
});
