// Owns what each `keel schedule …` command does once its flags are parsed: the SDK's
// client.schedule call and what it prints. Loaded only when such a command runs.
import { ScheduleOverlapPolicy, type CalendarSpec, type ScheduleDescription, type ScheduleOptions, type ScheduleSummary } from '../sdk/client/index.js';
import { connect } from './connect.js';
import { UsageError } from './errors.js';
import type { ClientFlags } from './flags.js';
import { formatJson, formatJsonLine, formatKeyValues, formatTable, formatTime, type Io } from './output.js';
import { parseDuration, parseInputs, parseJson, parseKeyValues, parsePolicy } from './values.js';

export interface ScheduleIdFlags extends ClientFlags {
  scheduleId: string;
}

export interface ScheduleFlags extends ScheduleIdFlags {
  interval?: string[];
  calendar?: string[];
  cron?: string[];
  startTime?: string;
  endTime?: string;
  jitter?: string;
  timeZone?: string;
  catchupWindow?: string;
  pauseOnFailure?: boolean;
  paused?: boolean;
  notes?: string;
  remainingActions?: string;
  overlapPolicy?: string;
  workflowId?: string;
  type: string;
  taskQueue: string;
  input?: string[];
  inputFile?: string[];
  executionTimeout?: string;
  runTimeout?: string;
  taskTimeout?: string;
  memo?: string[];
  searchAttribute?: string[];
  scheduleMemo?: string[];
  scheduleSearchAttribute?: string[];
}

const OVERLAP = Object.fromEntries(Object.entries(ScheduleOverlapPolicy).filter(([, v]) => v !== undefined)) as Record<string, NonNullable<ScheduleOverlapPolicy>>;
const overlapOf = (text: string | undefined) => (text === undefined ? undefined : parsePolicy(text, OVERLAP, '--overlap-policy'));

function parseTime(text: string, flag: string): Date {
  const t = new Date(text);
  if (Number.isNaN(t.getTime())) throw new UsageError(`${flag} '${text}' is not a time; use ISO 8601, e.g. 2026-01-01T09:00:00Z`);
  return t;
}

/** `--interval 45m` or `--interval 1d/6h` (every/offset; `d` for days as Temporal's CLI). */
function parseInterval(text: string) {
  const [every, offset, extra] = text.split('/');
  if (!every || extra !== undefined) throw new UsageError(`--interval '${text}' must be EVERY or EVERY/OFFSET, e.g. 45m or 1d/6h`);
  const ms = (t: string) => (/^\d+d$/.test(t) ? Number(t.slice(0, -1)) * 86_400_000 : parseDuration(t, '--interval'));
  return { every: ms(every), ...(offset ? { offset: ms(offset) } : {}) };
}

const FIELD_ORDER = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek', 'year'] as const;

/**
 * `--calendar` JSON. Temporal CLI's form, whose fields are cron-field strings
 * (`{"dayOfWeek":"Fri","hour":"3","minute":"11"}`), becomes one 7-field cron expression; the SDK's
 * CalendarSpec form (numbers, ranges, month and day names) is passed as it is.
 */
function parseCalendar(text: string): { cron: string } | { calendar: CalendarSpec } {
  const value = parseJson(text, '--calendar');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`--calendar must be a JSON object, e.g. '{"hour":"9","dayOfWeek":"Mon-Fri"}'`);
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !(FIELD_ORDER as readonly string[]).includes(k) && k !== 'comment');
  if (unknown.length > 0) throw new UsageError(`--calendar has unknown field(s) ${unknown.join(', ')}; the fields are ${FIELD_ORDER.join(', ')} and comment`);
  if (Object.entries(fields).every(([k, v]) => k === 'comment' || typeof v === 'string' || typeof v === 'number')) {
    const field = (k: (typeof FIELD_ORDER)[number], dflt: string) => String(fields[k] ?? dflt).replace(/\s+/g, '');
    return { cron: FIELD_ORDER.map((k) => field(k, ['second', 'minute', 'hour'].includes(k) ? '0' : '*')).join(' ') };
  }
  return { calendar: fields as CalendarSpec };
}

function optionsOf(flags: ScheduleFlags): ScheduleOptions {
  const calendars = (flags.calendar ?? []).map(parseCalendar);
  const cronExpressions = [...(flags.cron ?? []), ...calendars.flatMap((c) => ('cron' in c ? [c.cron] : []))];
  const remaining = flags.remainingActions === undefined ? undefined : Number(flags.remainingActions);
  if (remaining !== undefined && !(Number.isInteger(remaining) && remaining >= 0)) throw new UsageError('--remaining-actions must be a whole number, 0 or more');
  if (!flags.interval?.length && !cronExpressions.length && !calendars.length) throw new UsageError('Give the schedule its times: --interval, --calendar or --cron');
  const memo = parseKeyValues(flags.memo, '--memo');
  const searchAttributes = parseKeyValues(flags.searchAttribute, '--search-attribute');
  const scheduleMemo = parseKeyValues(flags.scheduleMemo, '--schedule-memo');
  const scheduleSearchAttributes = parseKeyValues(flags.scheduleSearchAttribute, '--schedule-search-attribute');
  const overlap = overlapOf(flags.overlapPolicy);
  return {
    scheduleId: flags.scheduleId,
    spec: {
      ...(flags.interval?.length ? { intervals: flags.interval.map(parseInterval) } : {}),
      ...(cronExpressions.length ? { cronExpressions } : {}),
      ...(calendars.some((c) => 'calendar' in c) ? { calendars: calendars.flatMap((c) => ('calendar' in c ? [c.calendar] : [])) } : {}),
      ...(flags.startTime ? { startAt: parseTime(flags.startTime, '--start-time') } : {}),
      ...(flags.endTime ? { endAt: parseTime(flags.endTime, '--end-time') } : {}),
      ...(flags.jitter ? { jitter: parseDuration(flags.jitter, '--jitter') } : {}),
      ...(flags.timeZone ? { timezone: flags.timeZone } : {}),
    },
    action: {
      type: 'startWorkflow',
      workflowType: flags.type,
      taskQueue: flags.taskQueue,
      args: parseInputs(flags.input, flags.inputFile),
      ...(flags.workflowId ? { workflowId: flags.workflowId } : {}),
      ...(memo ? { memo } : {}),
      ...(searchAttributes ? { searchAttributes } : {}),
      ...(flags.executionTimeout ? { workflowExecutionTimeout: parseDuration(flags.executionTimeout, '--execution-timeout') } : {}),
      ...(flags.runTimeout ? { workflowRunTimeout: parseDuration(flags.runTimeout, '--run-timeout') } : {}),
      ...(flags.taskTimeout ? { workflowTaskTimeout: parseDuration(flags.taskTimeout, '--task-timeout') } : {}),
    },
    policies: {
      ...(overlap ? { overlap } : {}),
      ...(flags.catchupWindow ? { catchupWindow: parseDuration(flags.catchupWindow, '--catchup-window') } : {}),
      ...(flags.pauseOnFailure ? { pauseOnFailure: true } : {}),
    },
    ...(scheduleMemo ? { memo: scheduleMemo } : {}),
    ...(scheduleSearchAttributes ? { searchAttributes: scheduleSearchAttributes } : {}),
    state: { ...(flags.paused ? { paused: true } : {}), ...(flags.notes ? { note: flags.notes } : {}), ...(remaining !== undefined ? { remainingActions: remaining } : {}) },
  };
}

function printDone(flags: ClientFlags, io: Io, text: string, doc: Record<string, unknown>): void {
  if (flags.output === 'text') io.out(`${text}\n`);
  else io.out(flags.output === 'json' ? formatJson(doc) : formatJsonLine(doc) + '\n');
}

/** `keel schedule create`. */
export async function create(flags: ScheduleFlags, io: Io): Promise<void> {
  const { client, withTimeout } = connect(flags);
  await withTimeout(() => client.schedule.create(optionsOf(flags)));
  printDone(flags, io, `Schedule '${flags.scheduleId}' created.`, { scheduleId: flags.scheduleId });
}

/** `keel schedule update`: the schedule's new spec, action and policies, as create takes them. */
export async function update(flags: ScheduleFlags, io: Io): Promise<void> {
  const { client, withTimeout } = connect(flags);
  const { scheduleId: _id, memo: _memo, ...options } = optionsOf(flags);
  await withTimeout(() => client.schedule.getHandle(flags.scheduleId).update(() => ({ ...options, state: options.state ?? {} })));
  printDone(flags, io, `Schedule '${flags.scheduleId}' updated.`, { scheduleId: flags.scheduleId });
}

const specText = (d: Pick<ScheduleDescription, 'spec'>) =>
  [
    ...(d.spec.intervals ?? []).map((i) => `every ${i.every / 1000}s${i.offset ? ` +${i.offset / 1000}s` : ''}`),
    ...(d.spec.cronExpressions ?? []),
    ...(d.spec.calendars ?? []).map((c) => c.comment ?? 'calendar'),
  ].join(', ') + (d.spec.timezone ? ` (${d.spec.timezone})` : '');

/** `keel schedule describe`. */
export async function describe(flags: ScheduleIdFlags, io: Io): Promise<void> {
  const { client, withTimeout } = connect(flags);
  const d = await withTimeout(() => client.schedule.getHandle(flags.scheduleId).describe());
  if (flags.output !== 'text') {
    const { raw: _raw, ...doc } = d;
    io.out(flags.output === 'json' ? formatJson(doc) : formatJsonLine(doc) + '\n');
    return;
  }
  io.out(
    `Schedule:\n${formatKeyValues([
      ['ScheduleId', d.scheduleId],
      ['Spec', specText(d)],
      ['WorkflowType', d.action.workflowType as string],
      ['TaskQueue', d.action.taskQueue],
      ['OverlapPolicy', d.policies.overlap],
      ['Paused', String(d.state.paused)],
      ['Notes', d.state.note],
      ['RemainingActions', d.state.remainingActions === undefined ? undefined : String(d.state.remainingActions)],
      ['ActionsTaken', String(d.info.numActionsTaken)],
      ['SkippedOverlap', String(d.info.numActionsSkippedOverlap)],
      ['MissedCatchupWindow', String(d.info.numActionsMissedCatchupWindow)],
      ['Created', formatTime(d.info.createdAt)],
      ['Updated', d.info.lastUpdatedAt ? formatTime(d.info.lastUpdatedAt) : undefined],
    ])}`,
  );
  io.out(`\nRecent actions:\n`);
  io.out(
    d.info.recentActions.length === 0
      ? '  none\n'
      : formatTable(d.info.recentActions, [
          { header: 'SCHEDULED', value: (a) => formatTime(a.scheduledAt) },
          { header: 'TAKEN', value: (a) => formatTime(a.takenAt) },
          { header: 'WORKFLOW ID', value: (a) => a.action.workflow.workflowId },
          { header: 'RUN ID', value: (a) => a.action.workflow.firstExecutionRunId },
        ]),
  );
  io.out(`\nUpcoming actions:\n${d.info.nextActionTimes.length === 0 ? '  none\n' : d.info.nextActionTimes.map((t) => `  ${formatTime(t)}\n`).join('')}`);
}

/** `keel schedule list`. */
export async function list(flags: ClientFlags, io: Io): Promise<void> {
  const { client, withTimeout } = connect(flags);
  const all = await withTimeout(async () => {
    const out: ScheduleSummary[] = [];
    for await (const s of client.schedule.list()) out.push(s);
    return out;
  });
  if (flags.output === 'json') return io.out(formatJson(all));
  if (flags.output === 'jsonl') return io.out(all.map((s) => formatJsonLine(s) + '\n').join(''));
  if (all.length === 0) return io.out('No schedules.\n');
  io.out(
    formatTable(all, [
      { header: 'SCHEDULE ID', value: (s) => s.scheduleId },
      { header: 'WORKFLOW TYPE', value: (s) => s.action?.workflowType ?? '' },
      { header: 'PAUSED', value: (s) => String(s.state.paused) },
      { header: 'NOTES', value: (s) => s.state.note ?? '' },
      { header: 'NEXT ACTION', value: (s) => (s.info.nextActionTimes[0] ? formatTime(s.info.nextActionTimes[0]) : '') },
    ]),
  );
}

/** `keel schedule toggle --pause|--unpause`. */
export async function toggle(flags: ScheduleIdFlags & { pause?: boolean; unpause?: boolean; reason?: string }, io: Io): Promise<void> {
  if (!!flags.pause === !!flags.unpause) throw new UsageError('Give exactly one of --pause and --unpause');
  const { client, withTimeout } = connect(flags);
  const handle = client.schedule.getHandle(flags.scheduleId);
  await withTimeout(() => (flags.pause ? handle.pause(flags.reason) : handle.unpause(flags.reason)));
  printDone(flags, io, `Schedule '${flags.scheduleId}' ${flags.pause ? 'paused' : 'unpaused'}.`, { scheduleId: flags.scheduleId, paused: !!flags.pause });
}

/** `keel schedule trigger`. */
export async function trigger(flags: ScheduleIdFlags & { overlapPolicy?: string }, io: Io): Promise<void> {
  const { client, withTimeout } = connect(flags);
  await withTimeout(() => client.schedule.getHandle(flags.scheduleId).trigger(overlapOf(flags.overlapPolicy)));
  printDone(flags, io, `Schedule '${flags.scheduleId}' triggered.`, { scheduleId: flags.scheduleId });
}

/** `keel schedule backfill`. */
export async function backfill(flags: ScheduleIdFlags & { overlapPolicy?: string; startTime: string; endTime: string }, io: Io): Promise<void> {
  const { client, withTimeout } = connect(flags);
  const overlap = overlapOf(flags.overlapPolicy);
  await withTimeout(() =>
    client.schedule.getHandle(flags.scheduleId).backfill({ start: parseTime(flags.startTime, '--start-time'), end: parseTime(flags.endTime, '--end-time'), ...(overlap ? { overlap } : {}) }),
  );
  printDone(flags, io, `Schedule '${flags.scheduleId}' backfilled.`, { scheduleId: flags.scheduleId });
}

/** `keel schedule delete`. */
export async function remove(flags: ScheduleIdFlags, io: Io): Promise<void> {
  const { client, withTimeout } = connect(flags);
  await withTimeout(() => client.schedule.getHandle(flags.scheduleId).delete());
  printDone(flags, io, `Schedule '${flags.scheduleId}' deleted.`, { scheduleId: flags.scheduleId });
}
