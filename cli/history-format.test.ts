import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../protocol/index.js';
import { defaultPayloadConverter } from '../sdk/common/index.js';
import { formatDurationMs, summarizeEvent } from './history-format.js';

const p = (v: unknown) => defaultPayloadConverter.toPayload(v);

describe('history in tables', () => {
  it('shows the attributes that matter, payloads decoded and durations readable', () => {
    const event = {
      eventId: 5,
      eventTime: '2026-01-01T00:00:00.000Z',
      eventType: 'ActivityTaskScheduled',
      attributes: { activityId: '1', activityType: 'greet', taskQueue: 'hello', input: [p('Keel')], startToCloseTimeoutMs: 60_000, workflowTaskCompletedEventId: 4, retryPolicy: { initialIntervalMs: 1000 } },
    } as unknown as HistoryEvent;
    expect(summarizeEvent(event)).toBe('activityId=1 activityType=greet taskQueue=hello input=["Keel"] startToCloseTimeout=1m');
  });

  it('shows a failure by its chain of messages', () => {
    const event = {
      eventId: 9,
      eventTime: '2026-01-01T00:00:00.000Z',
      eventType: 'WorkflowExecutionFailed',
      attributes: { failure: { message: 'activity failed', cause: { message: 'card declined' } }, retryState: 'RETRY_POLICY_NOT_SET', workflowTaskCompletedEventId: 8 },
    } as unknown as HistoryEvent;
    expect(summarizeEvent(event)).toBe('failure="activity failed: card declined" retryState=RETRY_POLICY_NOT_SET');
  });

  it('shows an update by its id, name, input and outcome', () => {
    const accepted = {
      eventId: 5,
      eventTime: '2026-01-01T00:00:00.000Z',
      eventType: 'WorkflowExecutionUpdateAccepted',
      attributes: { protocolInstanceId: 'u1', acceptedRequestMessageId: 'u1/request', acceptedRequestSequencingEventId: 4, acceptedRequest: { meta: { updateId: 'u1', identity: 'cli' }, input: { name: 'add', args: [p(5)] } } },
    } as unknown as HistoryEvent;
    expect(summarizeEvent(accepted)).toBe('updateId=u1 name=add input=[5] identity=cli');
    const completed = { ...accepted, eventId: 9, eventType: 'WorkflowExecutionUpdateCompleted', attributes: { meta: { updateId: 'u1' }, acceptedEventId: 5, outcome: { success: p(15) } } } as unknown as HistoryEvent;
    expect(summarizeEvent(completed)).toBe('updateId=u1 acceptedEventId=5 result=15');
    const failed = { ...completed, attributes: { meta: { updateId: 'u1' }, acceptedEventId: 5, outcome: { failure: { message: 'refused' } } } } as unknown as HistoryEvent;
    expect(summarizeEvent(failed)).toBe('updateId=u1 acceptedEventId=5 failure="refused"');
  });

  it('writes durations in the largest units that fit', () => {
    expect(formatDurationMs(250)).toBe('250ms');
    expect(formatDurationMs(1500)).toBe('1.5s');
    expect(formatDurationMs(5_400_000)).toBe('1h30m');
    expect(formatDurationMs(30 * 86_400_000)).toBe('30d');
  });
});
