/**
 * A schedule's stored state and the pure steps of its object: which action times came due (with
 * pause, remaining actions and the catch-up window), a workflow id per action, and the describe
 * and list answers. The object (src/schedule-object.ts) does the I/O around these.
 */
import type { DescribeScheduleWire, ScheduleListEntryWire, ScheduleWire } from '../../protocol/index.js';
import { isoTime } from '../engine/iso-time.js';
import type { BufferedStart, ScheduleOverlapPolicy } from './overlap.js';
import { compileSpec, upcoming, type CompiledSpec, type ScheduleSpecInput } from './spec.js';

/** Temporal's default catch-up window: one year. */
export const DEFAULT_CATCHUP_WINDOW_MS = 365 * 86_400_000;
/** Describe shows this many recent and upcoming actions, as Temporal. */
export const RECENT_ACTIONS = 10;
export const FUTURE_ACTIONS = 10;

export interface ActionResult {
  scheduleTime: number;
  actualTime: number;
  workflowId: string;
  runId: string;
  status?: string;
}

export interface StoredSchedule {
  namespace: string;
  scheduleId: string;
  schedule: ScheduleWire;
  memo?: Record<string, unknown> | undefined;
  searchAttributes?: Record<string, unknown> | undefined;
  createTime: number;
  updateTime?: number | undefined;
  /** Bumped by every change of the schedule itself (create, update, pause, unpause). */
  conflictToken: number;
  /** Nominal times up to this one have been taken, skipped or missed. */
  processedUntil: number;
  buffer: BufferedStart[];
  /** Workflows the schedule started that were running when last looked at. */
  running: Array<{ workflowId: string; runId: string; cancelRequested?: boolean }>;
  recent: ActionResult[];
  counts: { actions: number; missedCatchupWindow: number; overlapSkipped: number; bufferDropped: number };
  /** The create request's id, so that a retried create answers as the first did. */
  createRequestId?: string | undefined;
}

/** The spec's times from its wire form. */
export function specOf(s: Pick<StoredSchedule, 'schedule' | 'scheduleId'>): CompiledSpec {
  const w = s.schedule.spec;
  const input: ScheduleSpecInput = {
    calendars: w.calendars,
    intervals: w.intervals,
    cronStrings: w.cronStrings,
    skip: w.skip,
    startTime: w.startTime ? Date.parse(w.startTime) : undefined,
    endTime: w.endTime ? Date.parse(w.endTime) : undefined,
    jitterMs: w.jitterMs,
    timezone: w.timezone,
  };
  return compileSpec(input, s.scheduleId);
}

export const overlapOf = (s: StoredSchedule): ScheduleOverlapPolicy => s.schedule.policies?.overlapPolicy ?? 'SKIP';

/** Whether the schedule may take a scheduled (not manual) action now. */
export function takesScheduledActions(s: StoredSchedule): boolean {
  const st = s.schedule.state;
  return !st?.paused && !(st?.limitedActions && (st.remainingActions ?? 0) <= 0);
}

/** At most this many due times are looked at in one go; the object comes back at once for more. */
const MAX_DUE_PER_PASS = 1000;

/**
 * Moves `processedUntil` to `now`, buffering each due action the schedule may take. Returns
 * whether more due times remain (a pass stops after MAX_DUE_PER_PASS). Times that pass while paused
 * are dropped, as Temporal's; times older than the catch-up window are counted as missed.
 */
export function collectDue(s: StoredSchedule, spec: CompiledSpec, now: number): boolean {
  const window = s.schedule.policies?.catchupWindowMs ?? DEFAULT_CATCHUP_WINDOW_MS;
  let missed = 0;
  for (let n = 0; n < MAX_DUE_PER_PASS; n++) {
    const a = spec.next(s.processedUntil);
    if (!a || a.actual > now) return false;
    s.processedUntil = a.nominal;
    if (!takesScheduledActions(s)) continue;
    if (now - a.actual > window) {
      s.counts.missedCatchupWindow++;
      // A long outage of a frequent schedule misses millions of times: after a pass's worth, the
      // rest before the window is skipped without counting each.
      if (++missed >= MAX_DUE_PER_PASS / 2) s.processedUntil = Math.max(s.processedUntil, now - window - 1);
      continue;
    }
    const st = s.schedule.state;
    if (st?.limitedActions) st.remainingActions = (st.remainingActions ?? 0) - 1;
    s.buffer.push({ nominal: a.nominal, actual: a.actual, overlap: overlapOf(s) });
  }
  return true;
}

/** When the next scheduled action is due, if the schedule will take one. */
export function nextDue(s: StoredSchedule, spec: CompiledSpec): number | undefined {
  return takesScheduledActions(s) ? spec.next(s.processedUntil)?.actual : undefined;
}

/** The workflow id of one action: the action's id and the time in seconds, as Temporal's `id-2026-01-01T00:00:00Z`. */
export function actionWorkflowId(base: string, nominal: number): string {
  return `${base}-${new Date(Math.floor(nominal / 1000) * 1000).toISOString().replace('.000Z', 'Z')}`;
}

/** Keeps the last RECENT_ACTIONS results. */
export function recordAction(s: StoredSchedule, r: ActionResult): void {
  s.recent.push(r);
  if (s.recent.length > RECENT_ACTIONS) s.recent.splice(0, s.recent.length - RECENT_ACTIONS);
  s.counts.actions++;
}

const recentOf = (s: StoredSchedule) =>
  s.recent.map((r) => ({
    scheduleTime: isoTime(r.scheduleTime),
    actualTime: isoTime(r.actualTime),
    startWorkflowResult: { workflowId: r.workflowId, runId: r.runId },
    ...(r.status ? { startWorkflowStatus: r.status } : {}),
  }));

function futureOf(s: StoredSchedule, spec: CompiledSpec, now: number): string[] {
  if (!takesScheduledActions(s)) return [];
  const limit = s.schedule.state?.limitedActions ? Math.min(FUTURE_ACTIONS, s.schedule.state.remainingActions ?? 0) : FUTURE_ACTIONS;
  return upcoming(spec, Math.max(s.processedUntil, now - 1), limit).map((a) => isoTime(a.actual));
}

export function describeSchedule(s: StoredSchedule, now: number): DescribeScheduleWire {
  const spec = specOf(s);
  return {
    scheduleId: s.scheduleId,
    schedule: s.schedule,
    info: {
      actionCount: s.counts.actions,
      missedCatchupWindow: s.counts.missedCatchupWindow,
      overlapSkipped: s.counts.overlapSkipped,
      bufferDropped: s.counts.bufferDropped,
      bufferSize: s.buffer.length,
      runningWorkflows: s.running.map(({ workflowId, runId }) => ({ workflowId, runId })),
      recentActions: recentOf(s),
      futureActionTimes: futureOf(s, spec, now),
      createTime: isoTime(s.createTime),
      ...(s.updateTime ? { updateTime: isoTime(s.updateTime) } : {}),
    },
    ...(s.memo ? { memo: s.memo as DescribeScheduleWire['memo'] } : {}),
    ...(s.searchAttributes ? { searchAttributes: s.searchAttributes } : {}),
    conflictToken: String(s.conflictToken),
  };
}

/** What the visibility store keeps for list (Temporal's ScheduleListEntry). */
export function listEntryOf(s: StoredSchedule, now: number): ScheduleListEntryWire {
  const spec = specOf(s);
  return {
    scheduleId: s.scheduleId,
    ...(s.memo ? { memo: s.memo as ScheduleListEntryWire['memo'] } : {}),
    ...(s.searchAttributes ? { searchAttributes: s.searchAttributes } : {}),
    info: {
      spec: s.schedule.spec,
      workflowType: s.schedule.action.startWorkflow.workflowType,
      ...(s.schedule.state?.note ? { note: s.schedule.state.note } : {}),
      paused: s.schedule.state?.paused ?? false,
      recentActions: recentOf(s),
      futureActionTimes: futureOf(s, spec, now),
    },
  };
}
