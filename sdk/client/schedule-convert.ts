// Owns the conversions between Temporal's schedule shapes (schedule-types.ts) and the wire's
// (protocol/schedules.ts): calendars with month and day names ⇄ numbered ranges, durations ⇄ ms,
// Dates ⇄ ISO times, the action's arguments and memo ⇄ payloads.
import type { DescribeScheduleWire, ScheduleListEntryWire, ScheduleSpecWire, ScheduleWire } from '../../protocol/index.js';
import {
  compileRetryPolicy,
  decodeArrayFromPayloads,
  decodeMapFromPayloads,
  decompileRetryPolicy,
  encodeMapToPayloads,
  encodeToPayloads,
  msOptionalToNumber,
  msToNumber,
  typedSearchAttributesFromWire,
  typedSearchAttributesToWire,
  untypedSearchAttributesFromWire,
  ValueError,
  type LoadedDataConverter,
} from '../common/index.js';
import { workflowTypeName } from './workflow-client.js';
import { dropUndefined } from './workflow-options.js';
import {
  DAYS_OF_WEEK,
  MONTHS,
  type CalendarSpec,
  type CalendarSpecDescription,
  type LooseRange,
  type Range,
  type ScheduleDescription,
  type ScheduleExecutionResult,
  type ScheduleOptions,
  type ScheduleSpec,
  type ScheduleSpecDescription,
  type ScheduleSummary,
  type ScheduleUpdateOptions,
} from './schedule-types.js';

type WireRange = { start: number; end?: number; step?: number };
type WireCalendar = NonNullable<ScheduleSpecWire['calendars']>[number];
type Names = readonly string[];

const FIELDS = [
  { name: 'second', min: 0, max: 59, zeroDefault: true },
  { name: 'minute', min: 0, max: 59, zeroDefault: true },
  { name: 'hour', min: 0, max: 23, zeroDefault: true },
  { name: 'dayOfMonth', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS as Names, offset: 1 },
  { name: 'year', min: 1970, max: 9999 },
  { name: 'dayOfWeek', min: 0, max: 6, names: DAYS_OF_WEEK as Names, offset: 0 },
] as const;

function unitToNumber(value: unknown, field: (typeof FIELDS)[number]): number {
  if (typeof value === 'number') return value;
  const names = 'names' in field ? field.names : undefined;
  const i = names?.indexOf(String(value).toUpperCase()) ?? -1;
  if (i < 0) throw new ValueError(`CalendarSpec.${field.name}: '${String(value)}' is not ${names ? `one of ${names.join(', ')}` : 'a number'}`);
  return i + ('offset' in field ? field.offset : 0);
}

function rangesToWire(value: LooseRange<unknown> | LooseRange<unknown>[] | '*' | undefined, field: (typeof FIELDS)[number]): WireRange[] | undefined {
  if (value === undefined) return undefined;
  // '*': every value. The wire reads an empty list as "any", except where the default is 0.
  if (value === '*') return 'zeroDefault' in field ? [{ start: field.min, end: field.max }] : [];
  return (Array.isArray(value) ? value : [value]).map((r) => {
    if (typeof r === 'object' && r !== null && 'start' in r) {
      const loose = r as { start: unknown; end?: unknown; step?: number };
      return dropUndefined({ start: unitToNumber(loose.start, field), end: loose.end === undefined ? undefined : unitToNumber(loose.end, field), step: loose.step });
    }
    return { start: unitToNumber(r, field) };
  });
}

function rangesFromWire(ranges: WireRange[] | undefined, field: (typeof FIELDS)[number]): Range<any>[] {
  const names = 'names' in field ? field.names : undefined;
  const unit = (n: number) => (names ? names[n - ('offset' in field ? field.offset : 0)] : n);
  const list = ranges && ranges.length > 0 ? ranges : 'zeroDefault' in field ? [{ start: 0 }] : [{ start: field.min, end: field.name === 'year' ? undefined : field.max }];
  if (field.name === 'year' && !(ranges && ranges.length > 0)) return [];
  return list.map((r) => ({ start: unit(r.start), end: unit(r.end ?? r.start), step: r.step ?? 1 }));
}

export function calendarToWire(c: CalendarSpec): WireCalendar {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const ranges = rangesToWire(c[f.name] as LooseRange<unknown> | LooseRange<unknown>[] | '*' | undefined, f);
    if (ranges !== undefined) out[f.name] = ranges;
  }
  if (c.comment !== undefined) out.comment = c.comment;
  return out as WireCalendar;
}

export function calendarFromWire(c: WireCalendar): CalendarSpecDescription {
  const out = Object.fromEntries(FIELDS.map((f) => [f.name, rangesFromWire(c[f.name] as WireRange[] | undefined, f)])) as unknown as CalendarSpecDescription;
  if (c.comment !== undefined) out.comment = c.comment;
  return out;
}

export function specToWire(spec: ScheduleSpec | ScheduleSpecDescription): ScheduleSpecWire {
  return dropUndefined({
    calendars: spec.calendars?.map((c) => calendarToWire(c as CalendarSpec)),
    intervals: spec.intervals?.map((i) => dropUndefined({ everyMs: Math.round(msToNumber(i.every)), offsetMs: i.offset === undefined ? undefined : Math.round(msToNumber(i.offset)) })),
    cronStrings: spec.cronExpressions,
    skip: spec.skip?.map((c) => calendarToWire(c as CalendarSpec)),
    startTime: spec.startAt?.toISOString(),
    endTime: spec.endAt?.toISOString(),
    jitterMs: spec.jitter === undefined ? undefined : Math.round(msToNumber(spec.jitter)),
    timezone: spec.timezone,
  });
}

export function specFromWire(w: ScheduleSpecWire): ScheduleSpecDescription {
  return dropUndefined({
    calendars: w.calendars?.map(calendarFromWire),
    intervals: w.intervals?.map((i) => ({ every: i.everyMs, offset: i.offsetMs ?? 0 })),
    cronExpressions: w.cronStrings,
    skip: w.skip?.map(calendarFromWire),
    startAt: w.startTime ? new Date(w.startTime) : undefined,
    endAt: w.endTime ? new Date(w.endTime) : undefined,
    jitter: w.jitterMs,
    timezone: w.timezone,
  });
}

/** The schedule part of create and update: spec, action (arguments and memo encoded), policies, state. */
export async function scheduleToWire(
  scheduleId: string,
  options: Pick<ScheduleOptions, 'spec' | 'action' | 'policies'> & { state?: ScheduleUpdateOptions['state'] | undefined },
  dataConverter: LoadedDataConverter,
): Promise<ScheduleWire> {
  const a = options.action;
  if (a.type !== 'startWorkflow') throw new ValueError(`Unsupported schedule action type '${String((a as { type?: unknown }).type)}'; Keel schedules start workflows.`);
  const wholeMs = (d: Parameters<typeof msOptionalToNumber>[0]) => {
    const ms = msOptionalToNumber(d);
    return ms === undefined ? undefined : Math.ceil(ms);
  };
  const remaining = options.state?.remainingActions;
  return {
    spec: specToWire(options.spec),
    action: {
      startWorkflow: dropUndefined({
        workflowId: a.workflowId ?? `${scheduleId}-workflow`,
        workflowType: workflowTypeName(a.workflowType),
        taskQueue: a.taskQueue,
        input: await encodeToPayloads(dataConverter, ...((a.args ?? []) as unknown[])),
        memo: a.memo ? await encodeMapToPayloads(dataConverter, a.memo) : undefined,
        searchAttributes: a.typedSearchAttributes ? { ...(a.searchAttributes ?? {}), ...typedSearchAttributesToWire(a.typedSearchAttributes) } : a.searchAttributes,
        workflowExecutionTimeoutMs: wholeMs(a.workflowExecutionTimeout),
        workflowRunTimeoutMs: wholeMs(a.workflowRunTimeout),
        workflowTaskTimeoutMs: wholeMs(a.workflowTaskTimeout),
        retryPolicy: a.retry ? compileRetryPolicy(a.retry) : undefined,
      }),
    },
    policies: dropUndefined({
      overlapPolicy: options.policies?.overlap,
      catchupWindowMs: options.policies?.catchupWindow === undefined ? undefined : Math.round(msToNumber(options.policies.catchupWindow)),
      pauseOnFailure: options.policies?.pauseOnFailure,
    }),
    state: dropUndefined({
      paused: options.state?.paused,
      note: options.state?.note,
      limitedActions: remaining === undefined ? undefined : true,
      remainingActions: remaining,
    }),
  } as ScheduleWire;
}

function recentFromWire(recent: DescribeScheduleWire['info']['recentActions']): ScheduleExecutionResult[] {
  return recent.map((r) => ({
    scheduledAt: new Date(r.scheduleTime),
    takenAt: new Date(r.actualTime),
    action: { type: 'startWorkflow', workflow: { workflowId: r.startWorkflowResult.workflowId, firstExecutionRunId: r.startWorkflowResult.runId } },
  }));
}

export async function descriptionFromWire(w: DescribeScheduleWire, dataConverter: LoadedDataConverter): Promise<ScheduleDescription> {
  const a = w.schedule.action.startWorkflow;
  const s = w.schedule;
  return {
    scheduleId: w.scheduleId,
    spec: specFromWire(s.spec),
    action: dropUndefined({
      type: 'startWorkflow' as const,
      workflowType: a.workflowType,
      workflowId: a.workflowId,
      taskQueue: a.taskQueue,
      args: await decodeArrayFromPayloads(dataConverter, a.input),
      memo: a.memo ? await decodeMapFromPayloads(dataConverter, a.memo) : undefined,
      searchAttributes: a.searchAttributes ? untypedSearchAttributesFromWire(a.searchAttributes) : undefined,
      typedSearchAttributes: a.searchAttributes ? typedSearchAttributesFromWire(a.searchAttributes) : undefined,
      retry: decompileRetryPolicy(a.retryPolicy),
      workflowExecutionTimeout: a.workflowExecutionTimeoutMs,
      workflowRunTimeout: a.workflowRunTimeoutMs,
      workflowTaskTimeout: a.workflowTaskTimeoutMs,
    }) as ScheduleDescription['action'],
    policies: { overlap: s.policies?.overlapPolicy ?? 'SKIP', catchupWindow: s.policies?.catchupWindowMs ?? 365 * 86_400_000, pauseOnFailure: s.policies?.pauseOnFailure ?? false },
    ...(w.memo ? { memo: await decodeMapFromPayloads(dataConverter, w.memo) } : {}),
    searchAttributes: untypedSearchAttributesFromWire(w.searchAttributes),
    typedSearchAttributes: typedSearchAttributesFromWire(w.searchAttributes),
    state: dropUndefined({ paused: s.state?.paused ?? false, note: s.state?.note, remainingActions: s.state?.limitedActions ? (s.state.remainingActions ?? 0) : undefined }),
    info: {
      recentActions: recentFromWire(w.info.recentActions),
      nextActionTimes: w.info.futureActionTimes.map((t) => new Date(t)),
      numActionsTaken: w.info.actionCount,
      numActionsMissedCatchupWindow: w.info.missedCatchupWindow,
      numActionsSkippedOverlap: w.info.overlapSkipped,
      createdAt: new Date(w.info.createTime),
      lastUpdatedAt: w.info.updateTime ? new Date(w.info.updateTime) : undefined,
      runningActions: w.info.runningWorkflows.map((r) => ({ type: 'startWorkflow', workflow: { workflowId: r.workflowId, firstExecutionRunId: r.runId } })),
    },
    raw: w,
  };
}

export async function summaryFromWire(w: ScheduleListEntryWire, dataConverter: LoadedDataConverter): Promise<ScheduleSummary> {
  return {
    scheduleId: w.scheduleId,
    spec: specFromWire(w.info.spec),
    action: { type: 'startWorkflow', workflowType: w.info.workflowType },
    ...(w.memo ? { memo: await decodeMapFromPayloads(dataConverter, w.memo) } : {}),
    searchAttributes: untypedSearchAttributesFromWire(w.searchAttributes),
    typedSearchAttributes: typedSearchAttributesFromWire(w.searchAttributes),
    state: dropUndefined({ paused: w.info.paused, note: w.info.note }),
    info: { recentActions: recentFromWire(w.info.recentActions), nextActionTimes: w.info.futureActionTimes.map((t) => new Date(t)) },
  };
}
