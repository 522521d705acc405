// The table's one-line summaries of child-workflow and external-call events.
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../protocol/events.js';
import { eventSummary } from './event-summary.js';

const ev = (eventType: string, attributes: Record<string, unknown>) => ({ eventId: 5, eventTime: '2026-01-01T00:00:00Z', eventType, attributes }) as unknown as HistoryEvent;

describe('eventSummary of child and external events', () => {
  it('names the child by type and id, and its close policy', () => {
    expect(eventSummary(ev('StartChildWorkflowExecutionInitiated', { workflowId: 'kid', workflowType: { name: 'ship' }, parentClosePolicy: 'ABANDON' }))).toBe('ship kid · close policy ABANDON');
  });

  it('names the child a close event is about, and the initiating event', () => {
    expect(eventSummary(ev('ChildWorkflowExecutionCompleted', { workflowExecution: { workflowId: 'kid', runId: 'r' }, initiatedEventId: 3 }))).toBe('child kid · initiated 3');
  });

  it('shows the signal and its target, and why an external call failed', () => {
    expect(eventSummary(ev('SignalExternalWorkflowExecutionInitiated', { signalName: 'poke', workflowExecution: { workflowId: 'other' } }))).toBe('signal poke · to other');
    expect(eventSummary(ev('RequestCancelExternalWorkflowExecutionFailed', { workflowExecution: { workflowId: 'gone' }, cause: 'EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND', initiatedEventId: 7 }))).toBe(
      'workflow gone · cause EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND · initiated 7',
    );
  });
});
