/**
 * Schedules on the wire (Temporal's Schedule API): the spec, the start-workflow action, the
 * policies and state, and the requests and answers of the schedule endpoints in api.ts. Times are
 * ISO-8601 strings, durations integer ms in fields ending in `Ms`, as everywhere in the API.
 */
import { z } from 'zod';
import { DurationMs, QueryPageSize } from './bounds.js';
import { Memo, Payload, Payloads, RetryPolicy, SearchAttributes } from './payload.js';

const Name = z.string().min(1).max(1000);
const Time = z.string().refine((s) => Number.isFinite(Date.parse(s)), { message: 'must be an ISO-8601 time' }).describe('ISO-8601 time');
const RequestId = z.string().min(1).max(200).optional().describe('Makes a retry of this call harmless.');
const Identity = z.string().max(1000).optional();

/** How a schedule treats an action that comes due while its last workflow still runs (Temporal's policies). */
export const ScheduleOverlapPolicy = {
  /** Don't start while one runs (the default). */
  SKIP: 'SKIP',
  /** Start after the running one closes; keep at most one waiting. */
  BUFFER_ONE: 'BUFFER_ONE',
  /** Start after the running one closes, one after another, every one that came due. */
  BUFFER_ALL: 'BUFFER_ALL',
  /** Request cancellation of the running one and start after it closes. */
  CANCEL_OTHER: 'CANCEL_OTHER',
  /** Terminate the running one and start at once. */
  TERMINATE_OTHER: 'TERMINATE_OTHER',
  /** Start at once, however many run. */
  ALLOW_ALL: 'ALLOW_ALL',
} as const;
export type ScheduleOverlapPolicy = (typeof ScheduleOverlapPolicy)[keyof typeof ScheduleOverlapPolicy];
const OverlapPolicy = z.enum(Object.values(ScheduleOverlapPolicy) as [ScheduleOverlapPolicy, ...ScheduleOverlapPolicy[]]);

/** start..end (end defaults to start) every step (default 1). */
export const CalendarRange = z
  .object({ start: z.number().int(), end: z.number().int().optional(), step: z.number().int().positive().optional() })
  .meta({ id: 'CalendarRange' });
const Ranges = z.array(CalendarRange).max(100).optional();

/** Temporal's StructuredCalendarSpec: every field must match; second/minute/hour default to 0, the others to any. */
export const StructuredCalendar = z
  .object({
    second: Ranges,
    minute: Ranges,
    hour: Ranges,
    dayOfMonth: Ranges.describe('1–31'),
    month: Ranges.describe('1–12'),
    year: Ranges,
    dayOfWeek: Ranges.describe('0–6, Sunday 0'),
    comment: z.string().max(1000).optional(),
  })
  .meta({ id: 'StructuredCalendar' });

export const IntervalSpec = z
  .object({ everyMs: z.number().int().min(1000).max(100 * 366 * 86_400_000), offsetMs: DurationMs.optional() })
  .meta({ id: 'IntervalSpec', description: 'Times epoch + n × everyMs + offsetMs.' });

export const ScheduleSpec = z
  .object({
    calendars: z.array(StructuredCalendar).max(100).optional(),
    intervals: z.array(IntervalSpec).max(100).optional(),
    cronStrings: z.array(z.string().max(256)).max(100).optional().describe("Temporal's cron strings: 5–7 fields, @descriptors, @every, CRON_TZ=, # comment"),
    skip: z.array(StructuredCalendar).max(100).optional().describe('Times any of these match are left out.'),
    startTime: Time.optional(),
    endTime: Time.optional(),
    jitterMs: DurationMs.optional().describe('Each action is delayed by a random amount below this (the same for the same time).'),
    timezone: z.string().max(100).optional().describe('IANA time zone for calendars and cron strings; default UTC.'),
  })
  .meta({ id: 'ScheduleSpec' });

/** The start-workflow action: each action starts `workflowId-<time>`. */
export const ScheduleStartWorkflowAction = z
  .object({
    workflowId: Name.describe('Each run gets this id with the action\'s time appended, e.g. `report-2026-01-01T00:00:00Z`.'),
    workflowType: Name,
    taskQueue: Name,
    input: Payloads.default([]),
    memo: Memo.optional(),
    searchAttributes: SearchAttributes.optional(),
    header: z.record(z.string(), Payload).optional(),
    workflowExecutionTimeoutMs: DurationMs.optional(),
    workflowRunTimeoutMs: DurationMs.optional(),
    workflowTaskTimeoutMs: z.number().int().positive().max(120_000).optional(),
    retryPolicy: RetryPolicy.optional(),
  })
  .meta({ id: 'ScheduleStartWorkflowAction' });

export const SchedulePolicies = z
  .object({
    overlapPolicy: OverlapPolicy.optional().describe('Default SKIP.'),
    catchupWindowMs: z.number().int().min(10_000).max(100 * 366 * 86_400_000).optional().describe('Actions missed (the service was down) by more than this are skipped; default one year.'),
    pauseOnFailure: z.boolean().optional().describe('Pause the schedule when a workflow it started fails or times out.'),
  })
  .meta({ id: 'SchedulePolicies' });

export const ScheduleState = z
  .object({
    note: z.string().max(10_000).optional(),
    paused: z.boolean().optional(),
    limitedActions: z.boolean().optional().describe('Take at most remainingActions scheduled actions.'),
    remainingActions: z.number().int().nonnegative().optional(),
  })
  .meta({ id: 'ScheduleState' });

export const Schedule = z
  .object({ spec: ScheduleSpec, action: z.object({ startWorkflow: ScheduleStartWorkflowAction }), policies: SchedulePolicies.optional(), state: ScheduleState.optional() })
  .meta({ id: 'Schedule' });

export const BackfillRequest = z
  .object({ startTime: Time, endTime: Time, overlapPolicy: OverlapPolicy.optional().describe("Default: the schedule's.") })
  .meta({ id: 'BackfillRequest', description: 'Take every action the spec names in (startTime, endTime], now.' });

export const SchedulePatch = z
  .object({
    triggerImmediately: z.object({ overlapPolicy: OverlapPolicy.optional() }).optional().describe('Take one action now.'),
    backfill: z.array(BackfillRequest).max(100).optional(),
    pause: z.string().max(10_000).optional().describe('Pause, with this note.'),
    unpause: z.string().max(10_000).optional().describe('Unpause, with this note.'),
  })
  .meta({ id: 'SchedulePatch' });

export const CreateScheduleRequest = z
  .object({
    scheduleId: Name,
    schedule: Schedule,
    initialPatch: SchedulePatch.optional(),
    memo: Memo.optional(),
    searchAttributes: SearchAttributes.optional(),
    identity: Identity,
    requestId: RequestId,
  })
  .meta({ id: 'CreateScheduleRequest' });
export const CreateScheduleResponse = z.object({ conflictToken: z.string() }).meta({ id: 'CreateScheduleResponse' });

export const ScheduleActionResult = z
  .object({
    scheduleTime: Time.describe('The time the spec named (or the trigger/backfill time).'),
    actualTime: Time.describe('When the workflow was started.'),
    startWorkflowResult: z.object({ workflowId: z.string(), runId: z.string() }),
    startWorkflowStatus: z.string().optional().describe('The run\'s status when last seen: RUNNING, COMPLETED, FAILED, …'),
  })
  .meta({ id: 'ScheduleActionResult' });

export const ScheduleInfo = z
  .object({
    actionCount: z.number().int(),
    missedCatchupWindow: z.number().int(),
    overlapSkipped: z.number().int(),
    bufferDropped: z.number().int(),
    bufferSize: z.number().int(),
    runningWorkflows: z.array(z.object({ workflowId: z.string(), runId: z.string() })),
    recentActions: z.array(ScheduleActionResult).describe('The last 10, oldest first.'),
    futureActionTimes: z.array(Time).describe('The next 10.'),
    createTime: Time,
    updateTime: Time.optional(),
  })
  .meta({ id: 'ScheduleInfo' });

export const DescribeScheduleResponse = z
  .object({
    scheduleId: z.string(),
    schedule: Schedule,
    info: ScheduleInfo,
    memo: z.record(z.string(), Payload).optional(),
    searchAttributes: z.record(z.string(), z.unknown()).optional(),
    conflictToken: z.string().describe('Pass it to update to refuse the update if the schedule changed since.'),
  })
  .meta({ id: 'DescribeScheduleResponse' });

export const UpdateScheduleRequest = z
  .object({
    schedule: Schedule,
    conflictToken: z.string().max(100).optional(),
    searchAttributes: SearchAttributes.optional().describe('Replaces the schedule\'s search attributes when given.'),
    identity: Identity,
    requestId: RequestId,
  })
  .meta({ id: 'UpdateScheduleRequest' });

export const PatchScheduleRequest = SchedulePatch.extend({ identity: Identity, requestId: RequestId }).meta({ id: 'PatchScheduleRequest' });
export const DeleteScheduleRequest = z.object({ identity: Identity }).meta({ id: 'DeleteScheduleRequest' });

export const ListSchedulesRequest = z
  .object({
    pageSize: QueryPageSize(1000).optional(),
    nextPageToken: z.string().max(4096).optional(),
  })
  .meta({ id: 'ListSchedulesRequest' });

/** One schedule in a list (Temporal's ScheduleListEntry): a summary, as the visibility store has it. */
export const ScheduleListEntry = z
  .object({
    scheduleId: z.string(),
    memo: z.record(z.string(), Payload).optional(),
    searchAttributes: z.record(z.string(), z.unknown()).optional(),
    info: z.object({
      spec: ScheduleSpec,
      workflowType: z.string(),
      note: z.string().optional(),
      paused: z.boolean(),
      recentActions: z.array(ScheduleActionResult),
      futureActionTimes: z.array(Time),
    }),
  })
  .meta({ id: 'ScheduleListEntry' });

export const ListSchedulesResponse = z
  .object({ schedules: z.array(ScheduleListEntry), nextPageToken: z.string().optional() })
  .meta({ id: 'ListSchedulesResponse' });

export type ScheduleWire = z.output<typeof Schedule>;
export type ScheduleSpecWire = z.output<typeof ScheduleSpec>;
export type DescribeScheduleWire = z.output<typeof DescribeScheduleResponse>;
export type ScheduleListEntryWire = z.output<typeof ScheduleListEntry>;
