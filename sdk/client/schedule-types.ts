// Owns the types of Temporal's Schedule API as `@temporalio/client` names them: the options a
// schedule is created and updated with, the description and list summary it comes back as, the
// calendar, interval and range shapes, months and days, and the overlap policy.
import type { Duration, SearchAttributePair, TypedSearchAttributes } from '../common/index.js';
import type { SearchAttributes, Workflow } from './types.js';
import type { WorkflowStartOptions } from './workflow-options.js';
import { ScheduleOverlapPolicy as ServiceOverlapPolicy } from '../../protocol/schedules.js';

/**
 * What a schedule does when an action comes due while the workflow it started last still runs.
 *
 * @example
 * await client.schedule.create({ scheduleId: 'report', spec, action, policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE } });
 */
export const ScheduleOverlapPolicy = {
  ...ServiceOverlapPolicy,
  /** The service's default (SKIP). @deprecated leave the property undefined, or use SKIP. */
  UNSPECIFIED: undefined,
} as const;
export type ScheduleOverlapPolicy = (typeof ScheduleOverlapPolicy)[keyof typeof ScheduleOverlapPolicy];

const OVERLAP_CODES = { SKIP: 1, BUFFER_ONE: 2, BUFFER_ALL: 3, CANCEL_OTHER: 4, TERMINATE_OTHER: 5, ALLOW_ALL: 6 } as const;

/** Temporal's proto number of an overlap policy (0: unspecified). @internal */
export function encodeScheduleOverlapPolicy(policy: ScheduleOverlapPolicy | `SCHEDULE_OVERLAP_POLICY_${string}` | null | undefined): number | undefined {
  if (policy === null || policy === undefined) return undefined;
  const name = policy.replace(/^SCHEDULE_OVERLAP_POLICY_/, '') as keyof typeof OVERLAP_CODES;
  return OVERLAP_CODES[name] ?? 0;
}

/** The overlap policy of Temporal's proto number or name. @internal */
export function decodeScheduleOverlapPolicy(value: number | string | null | undefined): ScheduleOverlapPolicy {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return (value.replace(/^SCHEDULE_OVERLAP_POLICY_/, '') as ScheduleOverlapPolicy) || undefined;
  return (Object.entries(OVERLAP_CODES).find(([, code]) => code === value)?.[0] as ScheduleOverlapPolicy) ?? undefined;
}

export const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'] as const;
export type Month = (typeof MONTHS)[number];
export const DAYS_OF_WEEK = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'] as const;
export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];

/** Values start..end (inclusive) every `step`. */
export interface Range<Unit> {
  start: Unit;
  /** @default start */
  end: Unit;
  /** @default 1 */
  step: number;
}

/** A {@link Range}, or a start with an optional end, or one value. */
export type LooseRange<Unit> = Range<Unit> | { start: Range<Unit>['start']; end?: Range<Unit>['end']; step?: never } | Unit;

type Field<Unit> = LooseRange<Unit> | LooseRange<Unit>[] | '*';

/** Times by calendar fields; a time matches when every field matches (days of month and of week both). */
export interface CalendarSpec {
  /** 0–59. @default 0 */
  second?: Field<number>;
  /** 0–59. @default 0 */
  minute?: Field<number>;
  /** 0–23. @default 0 */
  hour?: Field<number>;
  /** 1–31. @default '*' */
  dayOfMonth?: Field<number>;
  /** @default '*' */
  month?: Field<Month>;
  /** Full years, like 2030. @default '*' */
  year?: Field<number>;
  /** @default '*' */
  dayOfWeek?: Field<DayOfWeek>;
  /** What the calendar is for. */
  comment?: string;
}

/** A {@link CalendarSpec} as describe and list give it back: every field as ranges. */
export interface CalendarSpecDescription {
  second: Range<number>[];
  minute: Range<number>[];
  hour: Range<number>[];
  dayOfMonth: Range<number>[];
  month: Range<Month>[];
  year: Range<number>[];
  dayOfWeek: Range<DayOfWeek>[];
  comment?: string;
}

/** Times epoch + n × every + offset. */
export interface IntervalSpec {
  every: Duration;
  /** @default 0 */
  offset?: Duration;
}

/** An {@link IntervalSpec} as describe and list give it back, in ms. */
export interface IntervalSpecDescription {
  every: number;
  offset: number;
}

/**
 * When a schedule takes actions: the union of its calendars, intervals and cron expressions, minus
 * the skip calendars, between startAt and endAt, each delayed by up to `jitter`, in `timezone`.
 */
export interface ScheduleSpec {
  calendars?: CalendarSpec[];
  intervals?: IntervalSpec[];
  /** Cron strings of 5, 6 or 7 fields, `@daily`-style shorthands, `@every 1h[/15m]`, `CRON_TZ=…` and a `#` comment. */
  cronExpressions?: string[];
  /** Times any of these match are skipped. */
  skip?: CalendarSpec[];
  startAt?: Date;
  endAt?: Date;
  /** @default 0 */
  jitter?: Duration;
  /** An IANA time zone such as `Europe/Paris`. Clock times are matched literally (a skipped 02:30 takes no action, a repeated 01:30 two). @default UTC */
  timezone?: string;
}

/** A {@link ScheduleSpec} as describe and list give it back. */
export type ScheduleSpecDescription = Omit<ScheduleSpec, 'calendars' | 'intervals' | 'skip' | 'jitter'> & {
  calendars?: CalendarSpecDescription[];
  intervals?: IntervalSpecDescription[];
  skip?: CalendarSpecDescription[];
  /** ms */
  jitter?: number;
};

/** The start-workflow action: each action starts `${workflowId}-${time}`. */
export type ScheduleOptionsStartWorkflowAction<W extends Workflow> = {
  type: 'startWorkflow';
  workflowType: string | W;
} & Pick<
  WorkflowStartOptions<W>,
  'taskQueue' | 'args' | 'memo' | 'searchAttributes' | 'typedSearchAttributes' | 'retry' | 'workflowExecutionTimeout' | 'workflowRunTimeout' | 'workflowTaskTimeout'
> & {
    /** @default `${scheduleId}-workflow` */
    workflowId?: string;
  };
export type ScheduleOptionsAction = ScheduleOptionsStartWorkflowAction<Workflow>;

/** Take the spec's actions in [start, end], now, with this overlap policy. */
export interface Backfill {
  start: Date;
  end: Date;
  /** @default the schedule's (SKIP) */
  overlap?: ScheduleOverlapPolicy;
}

/** What {@link ScheduleClient.create} takes. */
export interface ScheduleOptions<A extends ScheduleOptionsAction = ScheduleOptionsAction> {
  scheduleId: string;
  spec: ScheduleSpec;
  action: A;
  policies?: {
    /** @default SKIP */
    overlap?: ScheduleOverlapPolicy;
    /** Actions missed (the service was down) by more than this are skipped. @default 1 year */
    catchupWindow?: Duration;
    /** Pause when a workflow the schedule started fails or times out. @default false */
    pauseOnFailure?: boolean;
  };
  memo?: Record<string, unknown>;
  /** @deprecated use typedSearchAttributes */
  searchAttributes?: SearchAttributes;
  typedSearchAttributes?: SearchAttributePair[] | TypedSearchAttributes;
  state?: {
    /** @default false */
    paused?: boolean;
    note?: string;
    /** At most this many scheduled actions (trigger and backfill are not counted). @default no limit */
    remainingActions?: number;
    /** Take one action at once on create. */
    triggerImmediately?: boolean;
    backfill?: Backfill[];
  };
}

/** What {@link ScheduleHandle.update}'s function returns: the schedule's new options. */
export type ScheduleUpdateOptions<A extends ScheduleOptionsAction = ScheduleOptionsAction> = Omit<ScheduleOptions<A>, 'scheduleId' | 'memo' | 'state'> & {
  state: Omit<NonNullable<ScheduleOptions['state']>, 'triggerImmediately' | 'backfill'>;
};

/** The action, with its workflow type a name and its arguments values. */
export type CompiledScheduleAction = Omit<ScheduleDescriptionAction, 'workflowType' | 'args'> & { workflowType: string; args: unknown[] };
export type CompiledScheduleOptions = Omit<ScheduleOptions, 'action'> & { action: CompiledScheduleAction };
export type CompiledScheduleUpdateOptions = Omit<ScheduleUpdateOptions, 'action'> & { action: CompiledScheduleAction };

export interface ScheduleSummaryStartWorkflowAction {
  type: 'startWorkflow';
  workflowType: string;
}
export type ScheduleSummaryAction = ScheduleSummaryStartWorkflowAction;

export type ScheduleDescriptionStartWorkflowAction = ScheduleSummaryStartWorkflowAction &
  Pick<
    WorkflowStartOptions<Workflow>,
    'taskQueue' | 'workflowId' | 'args' | 'memo' | 'searchAttributes' | 'typedSearchAttributes' | 'retry' | 'workflowExecutionTimeout' | 'workflowRunTimeout' | 'workflowTaskTimeout'
  >;
export type ScheduleDescriptionAction = ScheduleDescriptionStartWorkflowAction;

export interface ScheduleExecutionStartWorkflowActionResult {
  type: 'startWorkflow';
  workflow: { workflowId: string; firstExecutionRunId: string };
}
export type ScheduleExecutionActionResult = ScheduleExecutionStartWorkflowActionResult;

/** One action taken. */
export interface ScheduleExecutionResult {
  /** The time the action was scheduled for (with jitter; for a backfill, the spec's time). */
  scheduledAt: Date;
  /** When it was taken. */
  takenAt: Date;
  action: ScheduleExecutionActionResult;
}

/** A schedule as {@link ScheduleClient.list} gives it (eventually consistent). */
export interface ScheduleSummary {
  scheduleId: string;
  spec?: ScheduleSpecDescription;
  action?: ScheduleSummaryAction;
  memo?: Record<string, unknown>;
  /** @deprecated use typedSearchAttributes */
  searchAttributes?: SearchAttributes;
  typedSearchAttributes?: TypedSearchAttributes;
  state: { paused: boolean; note?: string };
  info: { recentActions: ScheduleExecutionResult[]; nextActionTimes: Date[] };
}

/** A schedule as {@link ScheduleHandle.describe} gives it; usable as the options of create or update. */
export type ScheduleDescription = {
  scheduleId: string;
  spec: ScheduleSpecDescription;
  action: ScheduleDescriptionAction;
  policies: { overlap: ScheduleOverlapPolicy; catchupWindow: number; pauseOnFailure: boolean };
  memo?: Record<string, unknown>;
  /** @deprecated use typedSearchAttributes */
  searchAttributes: SearchAttributes;
  typedSearchAttributes: TypedSearchAttributes;
  state: { paused: boolean; note?: string; remainingActions?: number };
  info: {
    /** The last 10, oldest first. */
    recentActions: ScheduleExecutionResult[];
    /** The next 10. */
    nextActionTimes: Date[];
    numActionsTaken: number;
    numActionsMissedCatchupWindow: number;
    numActionsSkippedOverlap: number;
    createdAt: Date;
    lastUpdatedAt: Date | undefined;
    runningActions: ScheduleExecutionActionResult[];
  };
  /** The service's answer. */
  raw: unknown;
};
