import { describe, expect, it } from 'vitest';
import { completeTask, decide, started, takeWorkflowTask } from './engine-test-kit.js';
import { fireDue } from './lifecycle.js';
import type { MemoryStore } from './memory-store.js';
import { resetWorkflow } from './reset.js';
import { signalWorkflow } from './run-control.js';
import { Api } from '../../protocol/index.js';
import { timerAnchor } from './timer-anchor.js';

const SLEEP = 1_000;
const timer = (requestedAtMs?: number) => ({ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: SLEEP, ...(requestedAtMs !== undefined ? { requestedAtMs } : {}) });

/** A run whose first task starts at `taskStart` and completes `waitMs` later with a StartTimer asked for at `requestedAtMs`. */
function sleepAfterWait(requestedAt: (taskStart: number) => number | undefined, waitMs = 200) {
  const s = started();
  const taskStart = s.store.now;
  const token = takeWorkflowTask(s.store, s.runId)!;
  s.store.now += waitMs; // the completion waits its turn in the service
  completeTask(s.store, s.runId, token, [timer(requestedAt(taskStart))]);
  const timerStarted = s.store.readEvents(s.runId, 1).find((e) => e.eventType === 'TimerStarted')!;
  return { ...s, taskStart, timerStarted, fireAt: s.run().timers['t']!.fireAt };
}

const fired = (store: MemoryStore, runId: string) => store.readEvents(runId, 1).some((e) => e.eventType === 'TimerFired');

describe("a timer's anchor", () => {
  it('is the requested moment within [the task started, now]', () => {
    expect(timerAnchor(undefined, 100, 500)).toBe(500);
    expect(timerAnchor(300, 100, 500)).toBe(300);
    expect(timerAnchor(50, 100, 500)).toBe(100);
    expect(timerAnchor(900, 100, 500)).toBe(500);
    expect(timerAnchor(300, undefined, 500)).toBe(500);
  });

  it('counts the timer from when the workflow asked, not from when the service got to the completion', () => {
    const s = sleepAfterWait((start) => start + 5);
    expect(s.fireAt).toBe(s.taskStart + 5 + SLEEP);
    // TimerStarted keeps Temporal's time (the completion's) and says where the timer counts from.
    expect(s.timerStarted).toMatchObject({ eventTime: new Date(s.taskStart + 200).toISOString(), attributes: { anchorTime: new Date(s.taskStart + 5).toISOString(), startToFireTimeoutMs: SLEEP } });
    s.store.now = s.fireAt - 1;
    s.store.change((tx) => fireDue(tx, tx.loadRun(s.runId)!));
    expect(fired(s.store, s.runId)).toBe(false);
    s.store.now = s.fireAt;
    s.store.change((tx) => fireDue(tx, tx.loadRun(s.runId)!));
    expect(fired(s.store, s.runId)).toBe(true);
  });

  it("never counts from before the task's start, the workflow's clock: a worker clock behind moves it no earlier", () => {
    const s = sleepAfterWait((start) => start - 60_000);
    expect(s.fireAt).toBe(s.taskStart + SLEEP);
    // The workflow's clock after the sleep (the next task's start, at the firing or later) is ≥ before + the duration.
    s.store.now = s.fireAt;
    s.store.change((tx) => fireDue(tx, tx.loadRun(s.runId)!));
    takeWorkflowTask(s.store, s.runId);
    const starts = s.store.readEvents(s.runId, 1).filter((e) => e.eventType === 'WorkflowTaskStarted').map((e) => Date.parse(e.eventTime));
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(SLEEP);
  });

  it('never counts from after now: a worker clock ahead changes nothing, and the history is as Temporal writes it', () => {
    const s = sleepAfterWait((start) => start + 60_000);
    expect(s.fireAt).toBe(s.taskStart + 200 + SLEEP);
    expect(s.timerStarted.attributes).not.toHaveProperty('anchorTime');
  });

  it("is the service's now when the worker sends no request time, as before", () => {
    const s = sleepAfterWait(() => undefined);
    expect(s.fireAt).toBe(s.taskStart + 200 + SLEEP);
    expect(s.timerStarted.attributes).toEqual({ timerId: 't', startToFireTimeoutMs: SLEEP, workflowTaskCompletedEventId: 4 });
  });

  it('survives a rebuild from history: a reset keeps the anchored fire time', () => {
    const s = sleepAfterWait((start) => start + 5);
    s.store.now += 10;
    // A later task saw the timer pending: the reset point keeps it.
    s.store.change((tx) => signalWorkflow(tx, tx.loadRun(s.runId)!, 'go', []));
    decide(s.store, s.runId, []);
    s.store.change((tx) => resetWorkflow(tx, 'wf', Api.resetWorkflow.request.parse({ reason: 'r', resetType: 'LastWorkflowTask' })));
    const current = s.store.loadRun(s.store.currentRunId()!)!;
    expect(current.runId).not.toBe(s.runId);
    expect(current.timers['t']).toMatchObject({ fireAt: s.taskStart + 5 + SLEEP });
  });

  it('is not used for a timer of a later task the worker asked for before that task started', () => {
    const s = started();
    decide(s.store, s.runId, [{ type: 'StartTimer', timerId: 'first', startToFireTimeoutMs: 10 }]);
    s.store.now += 10;
    s.store.change((tx) => fireDue(tx, tx.loadRun(s.runId)!));
    s.store.now += 3;
    const secondStart = s.store.now;
    const token = takeWorkflowTask(s.store, s.runId)!;
    s.store.now += 50;
    completeTask(s.store, s.runId, token, [timer(secondStart - 500)]);
    expect(s.run().timers['t']!.fireAt).toBe(secondStart + SLEEP);
  });
});
