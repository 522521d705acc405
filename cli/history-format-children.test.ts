// `keel workflow show` lines of child-workflow events: the type by name, the child as id/run.
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../protocol/index.js';
import { summarizeEvent } from './history-format.js';

describe('history lines of child workflows', () => {
  it('shows the child type by its name and the child run as workflowId/runId', () => {
    const event = {
      eventId: 7,
      eventTime: '2026-01-01T00:00:00.000Z',
      eventType: 'ChildWorkflowExecutionStarted',
      attributes: { namespace: 'default', initiatedEventId: 5, workflowExecution: { workflowId: 'kid', runId: 'r1' }, workflowType: { name: 'ship' } },
    } as unknown as HistoryEvent;
    expect(summarizeEvent(event)).toBe('namespace=default initiatedEventId=5 workflowExecution=kid/r1 workflowType=ship');
  });
});
