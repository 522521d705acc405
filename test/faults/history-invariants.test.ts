import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../protocol/index.js';
import { checkHistories, violationCount, type CheckedWorkflow } from './history-invariants.js';

const T0 = Date.parse('2026-12-05T12:00:00.000Z');
const json = (v: unknown) => ({ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(JSON.stringify(v)).toString('base64') });

/** Builds a history from [type, attributes, ms after T0] triples, ids 1.. in order. */
function history(...events: Array<[string, Record<string, unknown>?, number?]>): HistoryEvent[] {
  return events.map(([eventType, attributes = {}, ms = 0], i) => ({ eventId: i + 1, eventTime: new Date(T0 + ms).toISOString(), eventType, attributes }) as HistoryEvent);
}

/** A sound one-activity workflow whose tasks were started by `identity` at 0..5 ms. */
function sound(identity = 'w1', result: unknown = 'ok'): HistoryEvent[] {
  return history(
    ['WorkflowExecutionStarted'],
    ['WorkflowTaskScheduled'],
    ['WorkflowTaskStarted', { identity }, 1],
    ['WorkflowTaskCompleted'],
    ['ActivityTaskScheduled'],
    ['ActivityTaskStarted', { scheduledEventId: 5, identity }, 2],
    ['ActivityTaskCompleted', { scheduledEventId: 5 }],
    ['WorkflowTaskScheduled'],
    ['WorkflowTaskStarted', { identity }, 5],
    ['WorkflowTaskCompleted'],
    ['WorkflowExecutionCompleted', { result: json(result) }],
  );
}

const wf = (runs: HistoryEvent[][], expected: unknown = 'ok'): CheckedWorkflow => ({ workflowId: 'wf-1', runs, expected });

describe('history invariants', () => {
  it('a sound history has no violation, and a kill after its last start counts for nothing', () => {
    const v = checkHistories([wf([sound()])], [{ identity: 'w1', at: T0 + 5 }]);
    expect(violationCount(v)).toBe(0);
  });

  it('a workflow that did not complete, or completed with another result, is lost', () => {
    const open = sound().slice(0, 8);
    expect(checkHistories([wf([open])], []).lost).toEqual(['wf-1']);
    expect(checkHistories([wf([sound('w1', 'other')])], []).lost).toEqual(['wf-1']);
  });

  it('two completions are a completion twice', () => {
    expect(checkHistories([wf([sound(), sound()])], []).completedTwice).toEqual(['wf-1']);
  });

  it('a gap or a repeat in event ids, or events after the close, breaks density', () => {
    const gap = sound();
    gap[4] = { ...gap[4]!, eventId: 6 };
    expect(checkHistories([wf([gap])], []).nonDense).toEqual(['wf-1: event at position 5 has id 6']);
    const after = [...sound(), { eventId: 12, eventTime: new Date(T0).toISOString(), eventType: 'WorkflowTaskScheduled', attributes: {} } as HistoryEvent];
    expect(checkHistories([wf([after])], []).nonDense).toHaveLength(1);
  });

  it('an activity closed twice, or never while its run went on, is reported', () => {
    const twice = history(...sound().slice(0, 7).map((e) => [e.eventType, e.attributes as Record<string, unknown>] as [string, Record<string, unknown>]), ['ActivityTaskCompleted', { scheduledEventId: 5 }], ['WorkflowExecutionCompleted', { result: json('ok') }]);
    expect(checkHistories([wf([twice])], []).activityNotClosedOnce).toEqual(['wf-1: activity scheduled at 5 closed 2 times']);
    const neverClosed = sound().slice(0, 5);
    expect(checkHistories([wf([neverClosed])], []).activityNotClosedOnce).toEqual(['wf-1: activity scheduled at 5 closed 0 times']);
  });

  it('a workflow or activity task started by a worker after it was killed is reported, with how long after', () => {
    const v = checkHistories([wf([sound()])], [{ identity: 'w1', at: T0 + 1 }]);
    expect(v.workflowTasksStartedAfterDeath).toEqual(['wf-1: event 9 (WorkflowTaskStarted) by w1, 4 ms after it was killed']);
    expect(v.activityTasksStartedAfterDeath).toEqual(['wf-1: event 6 (ActivityTaskStarted) by w1, 1 ms after it was killed']);
    // Another worker's kill says nothing about w1.
    expect(violationCount(checkHistories([wf([sound()])], [{ identity: 'w2', at: T0 }]))).toBe(0);
  });
});
