// Owns turning a run's history into what the timeline draws: one row per activity, timer and
// child workflow (a bar from scheduled to closed), plus rows of marks (signals, markers,
// updates) and the workflow's own bar. Pure and one pass over the events, so a 10,000-event
// history costs milliseconds. Event types are read as strings, so types the protocol adds later
// (children, updates) are drawn as soon as they appear, and unknown ones are skipped.
import type { HistoryEvent } from '../../protocol/events.js';

export type Outcome = 'running' | 'completed' | 'failed' | 'timed-out' | 'canceled' | 'terminated' | 'fired' | 'continued';
export type RowKind = 'workflow' | 'tasks' | 'activity' | 'timer' | 'child' | 'signals' | 'markers' | 'updates';

export interface Bar {
  /** When it was scheduled / initiated / started (ms since epoch). */
  from: number;
  /** When work on it began (an activity's start), if it differs from `from`. */
  began?: number;
  /** When it closed; absent while it is still open. */
  to?: number;
  outcome: Outcome;
  /** The event to select when the bar is chosen. */
  eventId: number;
  /** What a tooltip says. */
  title: string;
}

export interface Mark {
  at: number;
  eventId: number;
  title: string;
}

export interface TimelineRow {
  key: string;
  kind: RowKind;
  label: string;
  bars: Bar[];
  marks: Mark[];
  /** The event the row's label selects. */
  eventId: number;
}

export interface TimelineModel {
  /** The run's start (ms since epoch). */
  start: number;
  /** The run's close, or absent while it runs (the view draws to "now"). */
  end?: number;
  rows: TimelineRow[];
}

type Attrs = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '' : String(v));
const num = (v: unknown) => (typeof v === 'number' ? v : Number(v));

const CLOSE: Record<string, Outcome> = {
  WorkflowExecutionCompleted: 'completed',
  WorkflowExecutionFailed: 'failed',
  WorkflowExecutionTimedOut: 'timed-out',
  WorkflowExecutionCanceled: 'canceled',
  WorkflowExecutionTerminated: 'terminated',
  WorkflowExecutionContinuedAsNew: 'continued',
};

const ACTIVITY_CLOSE: Record<string, Outcome> = {
  ActivityTaskCompleted: 'completed',
  ActivityTaskFailed: 'failed',
  ActivityTaskTimedOut: 'timed-out',
  ActivityTaskCanceled: 'canceled',
};

const CHILD_CLOSE: Record<string, Outcome> = {
  ChildWorkflowExecutionCompleted: 'completed',
  ChildWorkflowExecutionFailed: 'failed',
  ChildWorkflowExecutionTimedOut: 'timed-out',
  ChildWorkflowExecutionCanceled: 'canceled',
  ChildWorkflowExecutionTerminated: 'terminated',
  StartChildWorkflowExecutionFailed: 'failed',
};

export function buildTimeline(events: readonly HistoryEvent[]): TimelineModel {
  const first = events[0];
  const start = first ? Date.parse(first.eventTime) : Date.now();
  const rows: TimelineRow[] = [];
  const workflow: TimelineRow = { key: 'workflow', kind: 'workflow', label: 'Workflow', bars: [], marks: [], eventId: first?.eventId ?? 1 };
  const tasks: TimelineRow = { key: 'tasks', kind: 'tasks', label: 'Workflow tasks', bars: [], marks: [], eventId: 0 };
  const signals: TimelineRow = { key: 'signals', kind: 'signals', label: 'Signals', bars: [], marks: [], eventId: 0 };
  const markers: TimelineRow = { key: 'markers', kind: 'markers', label: 'Markers', bars: [], marks: [], eventId: 0 };
  const updates: TimelineRow = { key: 'updates', kind: 'updates', label: 'Updates', bars: [], marks: [], eventId: 0 };
  const wfBar: Bar = { from: start, outcome: 'running', eventId: workflow.eventId, title: 'Workflow: running' };
  workflow.bars.push(wfBar);
  rows.push(workflow, tasks);

  /** Open bars by the id later events refer to them with. */
  const activities = new Map<number, { row: TimelineRow; bar: Bar }>();
  const timers = new Map<string, { row: TimelineRow; bar: Bar }>();
  const children = new Map<number, { row: TimelineRow; bar: Bar }>();
  const wfTasks = new Map<number, Bar>();
  let end: number | undefined;

  for (const e of events) {
    const t = Date.parse(e.eventTime);
    const a = e.attributes as Attrs;
    const type = e.eventType as string;
    switch (type) {
      case 'WorkflowTaskScheduled': {
        const bar: Bar = { from: t, outcome: 'running', eventId: e.eventId, title: `Workflow task (event ${e.eventId})` };
        wfTasks.set(e.eventId, bar);
        tasks.bars.push(bar);
        if (!tasks.eventId) tasks.eventId = e.eventId;
        break;
      }
      case 'WorkflowTaskStarted': {
        const bar = wfTasks.get(num(a['scheduledEventId']));
        if (bar) bar.began = t;
        break;
      }
      case 'WorkflowTaskCompleted':
      case 'WorkflowTaskFailed':
      case 'WorkflowTaskTimedOut': {
        const bar = wfTasks.get(num(a['scheduledEventId']));
        if (bar) {
          bar.to = t;
          bar.outcome = type === 'WorkflowTaskCompleted' ? 'completed' : type === 'WorkflowTaskFailed' ? 'failed' : 'timed-out';
          bar.title = `Workflow task: ${bar.outcome}`;
          wfTasks.delete(num(a['scheduledEventId']));
        }
        break;
      }
      case 'ActivityTaskScheduled': {
        const label = `${str(a['activityType'])} · activity ${str(a['activityId'])}`;
        const bar: Bar = { from: t, outcome: 'running', eventId: e.eventId, title: `${label}: scheduled` };
        const row: TimelineRow = { key: `activity-${e.eventId}`, kind: 'activity', label, bars: [bar], marks: [], eventId: e.eventId };
        activities.set(e.eventId, { row, bar });
        rows.push(row);
        break;
      }
      case 'ActivityTaskStarted': {
        const it = activities.get(num(a['scheduledEventId']));
        if (it) {
          it.bar.began = t;
          const attempt = num(a['attempt']);
          it.bar.title = `${it.row.label}: started${attempt > 1 ? ` (attempt ${attempt})` : ''}`;
        }
        break;
      }
      case 'ActivityTaskCancelRequested': {
        const it = activities.get(num(a['scheduledEventId']));
        if (it) it.row.marks.push({ at: t, eventId: e.eventId, title: 'Cancellation requested' });
        break;
      }
      case 'TimerStarted': {
        const ms = num(a['startToFireTimeoutMs']);
        const label = `Timer ${str(a['timerId'])}${Number.isFinite(ms) ? ` (${fmtMs(ms)})` : ''}`;
        const bar: Bar = { from: t, outcome: 'running', eventId: e.eventId, title: `${label}: waiting` };
        const row: TimelineRow = { key: `timer-${e.eventId}`, kind: 'timer', label, bars: [bar], marks: [], eventId: e.eventId };
        timers.set(str(a['timerId']), { row, bar });
        rows.push(row);
        break;
      }
      case 'TimerFired':
      case 'TimerCanceled': {
        const it = timers.get(str(a['timerId']));
        if (it) {
          it.bar.to = t;
          it.bar.outcome = type === 'TimerFired' ? 'fired' : 'canceled';
          it.bar.title = `${it.row.label}: ${type === 'TimerFired' ? 'fired' : 'canceled'}`;
          timers.delete(str(a['timerId']));
        }
        break;
      }
      case 'StartChildWorkflowExecutionInitiated': {
        // Temporal's (and Keel's) event carries the type as { name }.
        const childType = (a['workflowType'] as Attrs | undefined)?.['name'] ?? a['workflowType'];
        const label = `${str(childType ?? '')} · child ${str(a['workflowId'])}`;
        const bar: Bar = { from: t, outcome: 'running', eventId: e.eventId, title: `${label}: initiated` };
        const row: TimelineRow = { key: `child-${e.eventId}`, kind: 'child', label, bars: [bar], marks: [], eventId: e.eventId };
        children.set(e.eventId, { row, bar });
        rows.push(row);
        break;
      }
      case 'ChildWorkflowExecutionStarted': {
        const it = children.get(num(a['initiatedEventId']));
        if (it) {
          it.bar.began = t;
          it.bar.title = `${it.row.label}: running`;
        }
        break;
      }
      case 'SignalExternalWorkflowExecutionInitiated':
        signals.marks.push({ at: t, eventId: e.eventId, title: `Sent signal ${str(a['signalName'])} to ${str((a['workflowExecution'] as Attrs | undefined)?.['workflowId'])}` });
        break;
      case 'WorkflowExecutionSignaled':
        signals.marks.push({ at: t, eventId: e.eventId, title: `Signal ${str(a['signalName'])}` });
        break;
      case 'MarkerRecorded':
        markers.marks.push({ at: t, eventId: e.eventId, title: `Marker ${str(a['markerName'])}` });
        break;
      case 'WorkflowExecutionUpdateAccepted':
      case 'WorkflowExecutionUpdateCompleted':
      case 'WorkflowExecutionUpdateAdmitted':
        updates.marks.push({ at: t, eventId: e.eventId, title: `Update ${type.replace('WorkflowExecutionUpdate', '').toLowerCase()}` });
        break;
      case 'WorkflowExecutionCancelRequested':
        workflow.marks.push({ at: t, eventId: e.eventId, title: 'Cancellation requested' });
        break;
      default: {
        const act = ACTIVITY_CLOSE[type];
        if (act) {
          const it = activities.get(num(a['scheduledEventId']));
          if (it) {
            it.bar.to = t;
            it.bar.outcome = act;
            it.bar.title = `${it.row.label}: ${act}`;
            activities.delete(num(a['scheduledEventId']));
          }
          break;
        }
        const child = CHILD_CLOSE[type];
        if (child) {
          const it = children.get(num(a['initiatedEventId']));
          if (it) {
            it.bar.to = t;
            it.bar.outcome = child;
            it.bar.title = `${it.row.label}: ${type === 'StartChildWorkflowExecutionFailed' ? 'failed to start' : child}`;
            children.delete(num(a['initiatedEventId']));
          }
          break;
        }
        const close = CLOSE[type];
        if (close) {
          end = t;
          wfBar.to = t;
          wfBar.outcome = close;
          wfBar.title = `Workflow: ${close}`;
        }
      }
    }
  }
  // Whatever is still open when the run closed stays open no longer than the run.
  if (end !== undefined) for (const r of rows) for (const b of r.bars) if (b.to === undefined) b.to = end;
  for (const extra of [signals, updates, markers]) {
    if (extra.marks.length > 0) {
      extra.eventId = extra.marks[0]!.eventId;
      rows.push(extra);
    }
  }
  if (tasks.bars.length === 0) rows.splice(rows.indexOf(tasks), 1);
  return end === undefined ? { start, rows } : { start, end, rows };
}

function fmtMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)}m`;
  return `${+(ms / 3_600_000).toFixed(1)}h`;
}

/**
 * The rectangles a row draws at a given scale: bars closer than a pixel merge into one (with a
 * count), so a row of thousands of workflow tasks or signals draws as at most one rectangle per
 * pixel column.
 */
export function layoutBars(bars: readonly Bar[], x: (t: number) => number, now: number): Array<{ x1: number; x2: number; bar: Bar; count: number }> {
  const out: Array<{ x1: number; x2: number; bar: Bar; count: number }> = [];
  for (const bar of bars) {
    const x1 = x(bar.from);
    const x2 = Math.max(x(bar.to ?? now), x1 + 2);
    const last = out[out.length - 1];
    if (last && x1 <= last.x2 + 1 && bars.length > 50) {
      last.x2 = Math.max(last.x2, x2);
      last.count++;
      if (bar.outcome !== 'completed' && bar.outcome !== 'fired') last.bar = bar; // a failure shows through
    } else out.push({ x1, x2, bar, count: 1 });
  }
  return out;
}

/** Marks at a scale, at most one per pixel column (the first mark there, with a count). */
export function layoutMarks(marks: readonly Mark[], x: (t: number) => number): Array<{ x: number; mark: Mark; count: number }> {
  const out: Array<{ x: number; mark: Mark; count: number }> = [];
  for (const mark of marks) {
    const px = Math.round(x(mark.at));
    const last = out[out.length - 1];
    if (last && Math.abs(px - last.x) < 3) last.count++;
    else out.push({ x: px, mark, count: 1 });
  }
  return out;
}
