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

describe('HeldTasks: expiry', () => {
  it('each held task expires at its own time whatever the order they came in, taken and put back ones too, and none before', () => {
    // A clock that moves only when told (the wall clock moving a ms would put a time up early).
    let time = Date.UTC(2026, 0, 1);
    const clock = Object.assign(new Clock(), { now: () => time, advance: (ms: number) => void (time += ms) });
    const expired: Held[] = [];
    const held = new HeldTasks(clock, (e) => expired.push(...e));
    const offer = (runId: string, seq: number, startedAt: number) => held.hold(task(startedAt), ref(runId, seq), 1000, () => {});
    const t0 = clock.now();
    // Times up at t0+1000 (b), +900 (a: started 100 ms before it came), +1200 (c).
    clock.advance(100);
    offer('b', 1, t0);
    offer('a', 1, t0 - 100);
    clock.advance(100);
    offer('c', 1, t0 + 200);
    const taken = held.take()!;
    held.putBack(taken);
    clock.advance(700); // t0+900: none is past its time yet
    expect(held.peek()!.ref.runId).toBe('b');
    expect(expired).toEqual([]);
    clock.advance(1); // a is
    expect(held.peek()!.ref.runId).toBe('b');
    expect(expired.map((h) => h.ref.runId)).toEqual(['a']);
    clock.advance(100); // and b
    expect(held.peek()!.ref.runId).toBe('c');
    expect(expired.map((h) => h.ref.runId)).toEqual(['a', 'b']);
    clock.advance(200);
    expect(held.peek()).toBeUndefined();
    expect(expired.map((h) => h.ref.runId)).toEqual(['a', 'b', 'c']);

    // One taken, then the others looked through, then it is put back past its time: it expires too.
    offer('d', 1, time);
    const d = held.take()!;
    clock.advance(500);
    offer('e', 1, time);
    clock.advance(501);
    expect(held.peek()!.ref.runId).toBe('e');
    held.putBack(d);
    expect(held.peek()!.ref.runId).toBe('e');
    expect(expired.map((h) => h.ref.runId)).toEqual(['a', 'b', 'c', 'd']);
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
