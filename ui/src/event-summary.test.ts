import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../protocol/events.js';
import { eventSummary } from './event-summary.js';

const started = (extra: Record<string, unknown>): HistoryEvent =>
  ({
    eventId: 1,
    eventTime: '2026-01-01T00:00:00.000Z',
    eventType: 'WorkflowExecutionStarted',
    attributes: { workflowType: 'report', taskQueue: 'q', input: [], workflowTaskTimeoutMs: 10_000, attempt: 1, originalExecutionRunId: 'r', firstExecutionRunId: 'r', ...extra },
  }) as HistoryEvent;

describe('event summaries', () => {
  it("show a run's cron schedule and whether the schedule or a retry started it", () => {
    expect(eventSummary(started({}))).toBe('type report · queue q');
    expect(eventSummary(started({ cronSchedule: '@hourly', initiator: 'CRON_SCHEDULE' }))).toBe('type report · queue q · cron @hourly · by cron schedule');
    expect(eventSummary(started({ initiator: 'RETRY' }))).toBe('type report · queue q · by retry');
  });
});
