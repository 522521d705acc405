import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../protocol/events.js';
import { buildTimeline, layoutBars, layoutMarks } from './timeline-model.js';

let id = 0;
const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
const ev = (ms: number, eventType: string, attributes: Record<string, unknown> = {}) => ({ eventId: ++id, eventTime: at(ms), eventType, attributes }) as unknown as HistoryEvent;

describe('timeline model', () => {
  it('draws activities, timers, children and signals from the history, each closed by its own event', () => {
    id = 0;
    const events = [
      ev(0, 'WorkflowExecutionStarted', { workflowType: 'order' }),
      ev(0, 'WorkflowTaskScheduled'),
      ev(5, 'WorkflowTaskStarted', { scheduledEventId: 2 }),
      ev(10, 'WorkflowTaskCompleted', { scheduledEventId: 2 }),
      ev(10, 'ActivityTaskScheduled', { activityId: '1', activityType: 'charge' }), // 5
      ev(10, 'TimerStarted', { timerId: '2', startToFireTimeoutMs: 1000 }), // 6
      ev(10, 'StartChildWorkflowExecutionInitiated', { workflowId: 'kid', workflowType: 'ship' }), // 7
      ev(20, 'ActivityTaskStarted', { scheduledEventId: 5, attempt: 3 }),
      ev(30, 'ChildWorkflowExecutionStarted', { initiatedEventId: 7 }),
      ev(40, 'ActivityTaskFailed', { scheduledEventId: 5 }),
      ev(50, 'WorkflowExecutionSignaled', { signalName: 'go' }),
      ev(60, 'ChildWorkflowExecutionCompleted', { initiatedEventId: 7 }),
      ev(70, 'MarkerRecorded', { markerName: 'patch' }),
      ev(1010, 'TimerFired', { timerId: '2' }),
      ev(1100, 'SomeFutureEvent'),
      ev(1200, 'WorkflowExecutionCompleted'),
    ];
    const m = buildTimeline(events);
    const start = Date.parse(at(0));
    expect(m.start).toBe(start);
    expect(m.end).toBe(start + 1200);
    expect(m.rows.map((r) => `${r.kind}:${r.label}`)).toEqual([
      'workflow:Workflow',
      'tasks:Workflow tasks',
      'activity:charge · activity 1',
      'timer:Timer 2 (1s)',
      'child:ship · child kid',
      'signals:Signals',
      'markers:Markers',
    ]);
    const [wf, tasks, act, timer, child, signals, markers] = m.rows;
    expect(wf!.bars[0]).toMatchObject({ outcome: 'completed', to: start + 1200 });
    expect(tasks!.bars[0]).toMatchObject({ from: start, began: start + 5, to: start + 10, outcome: 'completed' });
    expect(act!.bars[0]).toMatchObject({ from: start + 10, began: start + 20, to: start + 40, outcome: 'failed', eventId: 5 });
    expect(act!.bars[0]!.title).toBe('charge · activity 1: failed');
    expect(timer!.bars[0]).toMatchObject({ to: start + 1010, outcome: 'fired' });
    expect(child!.bars[0]).toMatchObject({ began: start + 30, to: start + 60, outcome: 'completed' });
    expect(signals!.marks).toEqual([{ at: start + 50, eventId: 11, title: 'Signal go' }]);
    expect(markers!.eventId).toBe(13);
  });

  it('leaves bars open while the run is open, and closes them at the close of the run', () => {
    id = 0;
    const open = buildTimeline([ev(0, 'WorkflowExecutionStarted'), ev(5, 'ActivityTaskScheduled', { activityId: 'a', activityType: 't' })]);
    expect(open.end).toBeUndefined();
    expect(open.rows[1]!.bars[0]!.to).toBeUndefined();
    id = 0;
    const closed = buildTimeline([ev(0, 'WorkflowExecutionStarted'), ev(5, 'ActivityTaskScheduled', { activityId: 'a', activityType: 't' }), ev(9, 'WorkflowExecutionTerminated')]);
    expect(closed.rows[1]!.bars[0]).toMatchObject({ to: Date.parse(at(9)), outcome: 'running' });
    expect(closed.rows[0]!.bars[0]!.outcome).toBe('terminated');
  });

  it('builds a 10,000-event model in well under a frame budget per thousand events', () => {
    id = 0;
    const events = [ev(0, 'WorkflowExecutionStarted')];
    for (let i = 0; i < 3333; i++) {
      const s = events.length + 1;
      events.push(ev(i, 'ActivityTaskScheduled', { activityId: String(i), activityType: 'x' }), ev(i, 'ActivityTaskStarted', { scheduledEventId: s }), ev(i + 1, 'ActivityTaskCompleted', { scheduledEventId: s }));
    }
    const t0 = performance.now();
    const m = buildTimeline(events);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(m.rows).toHaveLength(3334);
  });

  it('merges bars and marks closer than a pixel, so a dense row draws at most one shape per pixel', () => {
    const bars = Array.from({ length: 1000 }, (_, i) => ({ from: i, to: i + 1, outcome: 'completed' as const, eventId: i + 1, title: '' }));
    bars[500] = { ...bars[500]!, outcome: 'completed' };
    const x = (t: number) => t / 10; // 100 px for 1000 ms
    const laid = layoutBars(bars, x, 0);
    expect(laid.length).toBeLessThanOrEqual(100);
    expect(laid.reduce((n, b) => n + b.count, 0)).toBe(1000);
    const marks = layoutMarks(Array.from({ length: 1000 }, (_, i) => ({ at: i, eventId: i, title: '' })), x);
    expect(marks.length).toBeLessThanOrEqual(40);
    expect(marks.reduce((n, m) => n + m.count, 0)).toBe(1000);
  });
});
