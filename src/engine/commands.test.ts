import { describe, expect, it } from 'vitest';
import { ServiceError } from '../service-error.js';
import { signalWorkflow } from './run-control.js';
import { completeTask, decide, scheduleActivity, started, takeWorkflowTask } from './engine-test-kit.js';

const refused = (fn: () => void) => {
  try {
    fn();
  } catch (err) {
    return err instanceof ServiceError ? err.code : err;
  }
  throw new Error('not refused');
};

describe('commands', () => {
  it('are all checked before any applies: one bad command refuses the completion and writes nothing', () => {
    const { store, runId } = started();
    const token = takeWorkflowTask(store, runId)!;
    const before = store.eventTypes(runId);
    expect(refused(() => completeTask(store, runId, token, [scheduleActivity('a'), { type: 'CancelTimer', timerId: 'nope' }]))).toBe('UNKNOWN_TIMER');
    expect(store.eventTypes(runId)).toEqual(before);
    // The task is still started: the worker may complete it correctly.
    completeTask(store, runId, token, [scheduleActivity('a')]);
    expect(store.eventTypes(runId).slice(3)).toEqual(['WorkflowTaskCompleted', 'ActivityTaskScheduled']);
  });

  it('refuse an activity id that is already pending, and a close command that is not last', () => {
    const { store, runId } = started();
    decide(store, runId, [scheduleActivity('a')]);
    const token = takeWorkflowTaskAfterSignal(store, runId);
    expect(refused(() => completeTask(store, runId, token, [scheduleActivity('a')]))).toBe('DUPLICATE_ID');
    expect(refused(() => completeTask(store, runId, token, [{ type: 'CompleteWorkflowExecution' }, { type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 1 }]))).toBe('BAD_COMMAND');
  });

  it('StartTimer then CompleteWorkflowExecution: the timer is dropped with the run, which closes COMPLETED', () => {
    const { store, runId, run } = started();
    decide(store, runId, [{ type: 'StartTimer', timerId: 't1', startToFireTimeoutMs: 60_000 }]);
    expect(run().timers).toMatchObject({ t1: { startedEventId: 5, fireAt: store.now + 60_000 } });
    const token = takeWorkflowTaskAfterSignal(store, runId);
    completeTask(store, runId, token, [{ type: 'CompleteWorkflowExecution' }]);
    expect(store.eventTypes(runId).at(-1)).toBe('WorkflowExecutionCompleted');
    expect(run()).toMatchObject({ status: 'COMPLETED', timers: {}, activities: {} });
  });

  it('CancelWorkflowExecution is refused unless cancellation was requested', () => {
    const { store, runId } = started();
    const token = takeWorkflowTask(store, runId)!;
    expect(refused(() => completeTask(store, runId, token, [{ type: 'CancelWorkflowExecution' }]))).toBe('BAD_COMMAND');
  });
});

/** A signal makes the run schedule a new workflow task, which is then taken. */
function takeWorkflowTaskAfterSignal(store: ReturnType<typeof started>['store'], runId: string) {
  store.change((tx) => {
    const run = tx.loadRun(runId)!;
    signalWorkflow(tx, run, 'go', []);
  });
  return takeWorkflowTask(store, runId)!;
}
