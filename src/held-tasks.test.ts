import { describe, expect, it } from 'vitest';
import { Clock } from './clock.js';
import { HeldTasks, startedNow, type Held } from './held-tasks.js';
import { signTaskToken } from './task-token.js';
import type { StartedTask } from './started-task.js';
import type { OfferOutcome } from './task-queue-object.js';
import type { TaskRef } from './task-token.js';

const ref = (runId: string, seq: number): TaskRef => ({ namespace: 'default', workflowId: `wf-${runId}`, runId, kind: 'workflow', scheduledEventId: 2, attempt: 1, seq });
const task = (startedAt: number): StartedTask => ({ kind: 'workflow', task: { startedTime: new Date(startedAt).toISOString() } as never });

function setup() {
  const clock = new Clock();
  const expired: Held[] = [];
  const held = new HeldTasks(clock, (e) => expired.push(...e));
  const answers: Array<[string, OfferOutcome]> = [];
  const offer = (runId: string, seq: number, startedAt = clock.now()) => held.hold(task(startedAt), ref(runId, seq), 1000, (o) => answers.push([runId, o]));
  return { clock, held, expired, answers, offer };
}

describe('HeldTasks', () => {
  it('gives the oldest first; an offer past its time (counted from its start when that was earlier) goes to onExpired, a hand-over is dropped', () => {
    const { clock, held, expired, offer } = setup();
    offer('a', 1, clock.now() - 400);
    offer('b', 1);
    held.hold(task(clock.now()), ref('c', 1), 500);
    expect(held.peek()!.ref.runId).toBe('a');
    clock.advance(601);
    // a (started 400 ms before it came) and the hand-over c are past their time; b is not.
    expect(held.peek()!.ref.runId).toBe('b');
    expect(expired.map((h) => h.ref.runId)).toEqual(['a']);
    expect(held.size).toBe(1);
    expect(held.take()!.ref.runId).toBe('b');
    expect(held.peek()).toBeUndefined();
  });

  it('a later dispatch of the same run drops the task held for an earlier one, answered stale', () => {
    const { held, answers, offer } = setup();
    offer('a', 1);
    offer('b', 1);
    held.dropSuperseded(ref('a', 1));
    expect(held.size).toBe(2);
    held.dropSuperseded(ref('a', 2));
    expect(answers).toEqual([['a', 'stale']]);
    expect(held.peek()!.ref.runId).toBe('b');
  });

  it('one taken and put back is the oldest again', () => {
    const { held, offer } = setup();
    offer('a', 1);
    offer('b', 1);
    const a = held.take()!;
    held.putBack(a);
    expect(held.takeAll().map((h) => h.ref.runId)).toEqual(['a', 'b']);
  });
});

describe('startedNow', () => {
  it("stamps a held task's start in a copy: the offered task and its events (the workflow object's own, WorkflowStore.viewEvents) stay as they were", async () => {
    const offeredAt = Date.UTC(2026, 0, 1);
    const events = [
      { eventId: 1, eventTime: new Date(offeredAt - 5).toISOString(), eventType: 'WorkflowExecutionStarted', attributes: {} },
      { eventId: 2, eventTime: new Date(offeredAt).toISOString(), eventType: 'WorkflowTaskScheduled', attributes: {} },
      { eventId: 3, eventTime: new Date(offeredAt).toISOString(), eventType: 'WorkflowTaskStarted', attributes: {} },
    ];
    const deepFreeze = <T>(o: T): T => (Object.values(o as object).forEach((v) => typeof v === 'object' && v !== null && deepFreeze(v)), Object.freeze(o));
    const token = await signTaskToken({ ...ref('a', 1), startedEventId: 3 }, undefined);
    const offered = deepFreeze({ kind: 'workflow', task: { taskToken: token, startedEventId: 3, startedTime: new Date(offeredAt).toISOString(), history: events } } as unknown as StartedTask);
    const before = JSON.stringify(offered);
    const taken = await startedNow(offered, offeredAt + 40, undefined);
    expect(JSON.stringify(offered)).toBe(before);
    const history = (taken as Extract<StartedTask, { kind: 'workflow' }>).task.history;
    expect(history.map((e) => e.eventTime)).toEqual([events[0]!.eventTime, events[1]!.eventTime, new Date(offeredAt + 40).toISOString()]);
    expect(history[0]).toBe(events[0]);
  });
});
