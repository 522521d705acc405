import { describe, expect, it } from 'vitest';
import type { ActivityTask, Command } from '../../protocol/index.js';
import { predictTask, type SpeculationBase } from './speculative-task.js';

const activity = { activityId: '2', activityType: 'step', attempt: 1, startedTime: new Date(1_000).toISOString() } as ActivityTask;
const result = { metadata: {}, data: 'InIi' };
const schedule = (activityId: string): Command => ({ type: 'ScheduleActivityTask', activityId, activityType: 'step', input: [] }) as unknown as Command;

/** A run whose last task (started at event 9) scheduled activity 2: the service wrote WorkflowTaskCompleted 10 and ActivityTaskScheduled 11. */
const base = (over: Partial<SpeculationBase> = {}): SpeculationBase => ({
  lastEventId: 9,
  unconfirmed: { startedEventId: 9, commands: [schedule('2')] },
  scheduledEventIdOf: () => undefined,
  end: { nextEventId: 12, historySizeBytes: 4_000, time: 1_000 },
  workflowTaskTimeoutMs: 10_000,
  ...over,
});

describe('the prediction of a speculative workflow task', () => {
  it('confirms the last task’s commands, then the activity’s events and the task, from the service’s next event id', () => {
    const p = predictTask(base(), activity, result, 'w1', 'q/sticky', 1_003)!;
    expect(p.confirming.map((e) => `${e.eventId} ${e.eventType}`)).toEqual(['10 WorkflowTaskCompleted', '11 ActivityTaskScheduled']);
    expect(p.activity.map((e) => `${e.eventId} ${e.eventType}`)).toEqual(['12 ActivityTaskStarted', '13 ActivityTaskCompleted', '14 WorkflowTaskScheduled', '15 WorkflowTaskStarted']);
    expect(p.activity[1]).toMatchObject({ attributes: { scheduledEventId: 11, startedEventId: 12, result } });
    expect(p.activity[3]).toMatchObject({ eventTime: new Date(1_003).toISOString(), attributes: { scheduledEventId: 14, historySizeBytes: 4_000 } });
    expect(p).toMatchObject({ startedEventId: 15, suggestContinueAsNew: false });
  });

  it('finds an activity an earlier task scheduled', () => {
    const p = predictTask(base({ unconfirmed: { startedEventId: 9, commands: [] }, end: { nextEventId: 11, historySizeBytes: 1, time: 1_000 }, scheduledEventIdOf: (id) => (id === '2' ? 5 : undefined) }), activity, undefined, 'w1', 'q', 1_000)!;
    expect(p.activity[1]).toMatchObject({ eventId: 12, attributes: { scheduledEventId: 5 } });
  });

  it('predicts nothing when the service wrote more events than the commands make, or a command’s events are not foreseeable', () => {
    expect(predictTask(base({ end: { nextEventId: 13, historySizeBytes: 1, time: 1_000 } }), activity, result, 'w1', 'q', 1_000)).toBeUndefined();
    expect(predictTask(base({ unconfirmed: { startedEventId: 9, commands: [schedule('2'), { type: 'RequestCancelActivityTask', activityId: '1' } as Command] } }), activity, result, 'w1', 'q', 1_000)).toBeUndefined();
    expect(predictTask(base({ unconfirmed: { startedEventId: 9, commands: [schedule('3')] } }), activity, result, 'w1', 'q', 1_000)).toBeUndefined();
  });

  it('suggests continuing as new as the service does', () => {
    expect(predictTask(base({ end: { nextEventId: 12, historySizeBytes: 11 * 1024 * 1024, time: 1_000 } }), activity, result, 'w1', 'q', 1_000)?.suggestContinueAsNew).toBe(true);
  });
});
