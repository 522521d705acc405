/**
 * The moment a timer counts from. Temporal's server counts from the moment it applies the
 * StartTimer command, so a completion that waits its turn in the service (a burst of starts on one
 * thread) makes every sleep late by that wait. Keel counts from when the workflow asked for the timer,
 * as Restate does: the worker sends that moment (StartTimer.requestedAtMs, its clock when the
 * activation that produced the command ended — after any local activity the task ran before it), and
 * the service keeps it within bounds:
 *
 * - never before the task's WorkflowTaskStarted time, the workflow's own clock in the task — so after
 *   the sleep the workflow's clock is at least its clock before plus the duration, and a worker clock
 *   behind the service's moves the timer no earlier than that;
 * - never after the service's now — a worker clock ahead changes nothing.
 */
import type { EventOf } from '../../protocol/index.js';

/** The anchor: `requestedAtMs` within [taskStartedTime, now]; `now` when the worker sent none. */
export function timerAnchor(requestedAtMs: number | undefined, taskStartedTime: number | undefined, now: number): number {
  if (requestedAtMs === undefined) return now;
  return Math.min(now, Math.max(requestedAtMs, taskStartedTime ?? now));
}

/** TimerStarted's `anchorTime`: only when the timer does not count from the event's own time, so history stays as Temporal's otherwise. */
export function anchorAttribute(anchor: number, eventTime: number): { anchorTime?: string } {
  return anchor === eventTime ? {} : { anchorTime: new Date(anchor).toISOString() };
}

/** When the timer a TimerStarted event started fires: what rebuilding a run from its history reads. */
export function fireTimeOf(event: EventOf<'TimerStarted'>): number {
  return Date.parse(event.attributes.anchorTime ?? event.eventTime) + event.attributes.startToFireTimeoutMs;
}
