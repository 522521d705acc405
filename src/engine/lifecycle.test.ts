import { describe, expect, it } from 'vitest';
import { completeTask, decide, started, takeWorkflowTask } from './engine-test-kit.js';
import { fireDue, nextWakeup } from './lifecycle.js';
import { signalWorkflow } from './run-control.js';

const alarm = (s: ReturnType<typeof started>) => s.store.change((tx) => fireDue(tx, tx.loadRun(s.runId)!));
const wakeup = (s: ReturnType<typeof started>) => s.store.change((tx) => nextWakeup(tx, tx.loadRun(s.runId)!));

describe('lifecycle', () => {
  it('a completion that closes the run while a signal waits in the buffer fails the task (UNHANDLED_COMMAND) so the workflow sees the signal', () => {
    const s = started();
    const token = takeWorkflowTask(s.store, s.runId)!;
    s.store.change((tx) => signalWorkflow(tx, tx.loadRun(s.runId)!, 'late', []));
    completeTask(s.store, s.runId, token, [{ type: 'CompleteWorkflowExecution' }]);
    expect(s.store.eventTypes(s.runId).slice(3)).toEqual(['WorkflowTaskFailed', 'WorkflowExecutionSignaled', 'WorkflowTaskScheduled']);
    expect(s.run().status).toBe('RUNNING');
  });

  it('a timer fires at its time, not before: TimerFired, then a workflow task', () => {
    const s = started();
    decide(s.store, s.runId, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 30_000 }]);
    const fireAt = s.store.now + 30_000;
    expect(wakeup(s)).toBe(fireAt);
    s.store.now = fireAt - 1;
    alarm(s);
    expect(s.store.eventTypes(s.runId)).toHaveLength(5);
    s.store.now = fireAt;
    alarm(s);
    expect(s.store.eventTypes(s.runId).slice(5)).toEqual(['TimerFired', 'WorkflowTaskScheduled']);
    expect(s.run().timers).toEqual({});
  });

  it('the run timeout closes the run TIMED_OUT and drops what it waited for', () => {
    const s = started({ workflowRunTimeoutMs: 10_000 });
    decide(s.store, s.runId, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 60_000 }]);
    expect(wakeup(s)).toBe(s.store.now + 10_000);
    s.store.now += 10_000;
    alarm(s);
    expect(s.store.eventTypes(s.runId).at(-1)).toBe('WorkflowExecutionTimedOut');
    expect(s.run()).toMatchObject({ status: 'TIMED_OUT', timers: {} });
    expect(wakeup(s)).toBeUndefined();
  });

  it('a start delay holds the first workflow task back until it is due', () => {
    const s = started({ startDelayMs: 5_000 });
    expect(s.store.eventTypes(s.runId)).toEqual(['WorkflowExecutionStarted']);
    expect(s.store.dispatched).toEqual([]);
    s.store.now += 5_000;
    alarm(s);
    expect(s.store.eventTypes(s.runId)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);
    expect(s.store.dispatched).toHaveLength(1);
  });
});
