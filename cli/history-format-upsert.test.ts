import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../protocol/index.js';
import { defaultPayloadConverter } from '../sdk/common/index.js';
import { eventSummary } from '../ui/src/event-summary.js';
import { summarizeEvent } from './history-format.js';

const at = (eventType: string, attributes: Record<string, unknown>) => ({ eventId: 7, eventTime: '2026-01-01T00:00:00.000Z', eventType, attributes }) as unknown as HistoryEvent;

describe('upsert events in the CLI and UI summaries', () => {
  it('show the upserted search attributes, and the memo fields decoded (null: removed)', () => {
    const upsert = at('UpsertWorkflowSearchAttributes', { searchAttributes: { Stage: 'paid', Note: { type: 'Text', value: 'by card' } }, workflowTaskCompletedEventId: 6 });
    expect(summarizeEvent(upsert)).toBe('searchAttributes={"Stage":"paid","Note":{"type":"Text","value":"by card"}}');
    const memo = at('WorkflowPropertiesModified', { upsertedMemo: { progress: defaultPayloadConverter.toPayload('3 of 5'), owner: null }, workflowTaskCompletedEventId: 6 });
    expect(summarizeEvent(memo)).toBe('upsertedMemo={"progress":"3 of 5","owner":null}');
    expect(eventSummary(upsert)).toBe('attributes Stage, Note');
    expect(eventSummary(memo)).toBe('memo progress, owner');
  });
});
