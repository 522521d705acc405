import { describe, expect, it } from 'vitest';
import { Api } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';
import { completeActivity, startActivity } from './activities.js';
import { decide, scheduleActivity, started, takeWorkflowTask, completeTask } from './engine-test-kit.js';
import type { MemoryStore } from './memory-store.js';
import { resetPointOf, resetWorkflow } from './reset.js';
import { signalWorkflow } from './run-control.js';

const reset = (store: MemoryStore, body: Record<string, unknown>) =>
  store.change((tx) => resetWorkflow(tx, 'wf', Api.resetWorkflow.request.parse({ reason: 'bug fixed', ...body })));

const refused = (fn: () => void) => {
  try {
    fn();
  } catch (err) {
    return err instanceof ServiceError ? err.code : err;
  }
  throw new Error('not refused');
};

const signal = (store: MemoryStore, runId: string, name: string) => store.change((tx) => signalWorkflow(tx, tx.loadRun(runId)!, name, []));

/** A run whose first task scheduled activity 'a', which then completed; its second task is pending. */
function afterOneActivity() {
  const s = started();
  decide(s.store, s.runId, [scheduleActivity('a')]); // 2 Sched, 3 Started, 4 Completed, 5 ActivityTaskScheduled
  s.store.change((tx) => {
    const run = tx.loadRun(s.runId)!;
    const act = startActivity(tx, run, { scheduledEventId: 5, attempt: 1 }, 'worker')!;
    completeActivity(tx, run, act, undefined, 'worker'); // 6 ActivityTaskStarted, 7 ActivityTaskCompleted, 8 WorkflowTaskScheduled
  });
  return s;
}

describe('reset', () => {
  it('makes a new run with the history up to a WorkflowTaskCompleted, then WorkflowTaskFailed RESET_WORKFLOW naming both runs; the old run is terminated and points to the new one', () => {
    const s = afterOneActivity();
    const { runId } = reset(s.store, { eventId: 4 });
    expect(runId).not.toBe(s.runId);
    expect(s.store.currentRunId()).toBe(runId);
    expect(s.store.eventTypes(runId)).toEqual([
      'WorkflowExecutionStarted',
      'WorkflowTaskScheduled',
      'WorkflowTaskStarted',
      'WorkflowTaskFailed',
      'WorkflowTaskScheduled',
    ]);
    const failed = s.store.readEvents(runId, 4, 4)[0]!;
    expect(failed.attributes).toMatchObject({ cause: 'RESET_WORKFLOW', baseRunId: s.runId, newRunId: runId, failure: { message: 'bug fixed', applicationFailureInfo: { type: 'ResetWorkflow' } } });
    // The first event is the old one, unchanged: the original run id (the workflow's random seed) stays.
    expect(s.store.readEvents(runId, 1, 1)[0]).toEqual(s.store.readEvents(s.runId, 1, 1)[0]);
    expect(s.store.eventTypes(s.runId).at(-1)).toBe('WorkflowExecutionTerminated');
    expect(s.store.readEvents(s.runId, 9, 9)[0]!.attributes).toMatchObject({ reason: 'bug fixed' });
    expect(s.run()).toMatchObject({ status: 'TERMINATED', resetRunId: runId });
    expect(s.store.loadRun(runId)).toMatchObject({ status: 'RUNNING', workflowId: 'wf', resetFromRunId: s.runId, firstRunId: s.runId, activities: {} });
    expect(s.store.dispatched.at(-1)).toMatchObject({ kind: 'workflow', ref: { runId, scheduledEventId: 5 } });
  });

  it('re-applies the signals received after the point, unless Signal is excluded', () => {
    const s = afterOneActivity();
    signal(s.store, s.runId, 'late'); // 9, while task 8 is scheduled
    const again = reset(s.store, { eventId: 4 });
    expect(s.store.eventTypes(again.runId).slice(3)).toEqual(['WorkflowTaskFailed', 'WorkflowExecutionSignaled', 'WorkflowTaskScheduled']);

    const t = afterOneActivity();
    signal(t.store, t.runId, 'late');
    const excluded = reset(t.store, { eventId: 4, reapplyExclude: ['Signal'] });
    expect(t.store.eventTypes(excluded.runId).slice(3)).toEqual(['WorkflowTaskFailed', 'WorkflowTaskScheduled']);
  });

  it('re-applies a signal held behind the running workflow task of the run it terminates', () => {
    const s = afterOneActivity();
    takeWorkflowTask(s.store, s.runId);
    signal(s.store, s.runId, 'buffered');
    const { runId } = reset(s.store, { eventId: 4 });
    expect(s.store.eventTypes(runId).slice(4)).toEqual(['WorkflowExecutionSignaled', 'WorkflowTaskScheduled']);
  });

  it('refuses an event that is not just after a workflow task was scheduled or started, with INVALID_RESET_POINT, and changes nothing', () => {
    const s = afterOneActivity();
    const before = s.store.eventTypes(s.runId);
    expect(refused(() => reset(s.store, { eventId: 5 }))).toBe('INVALID_RESET_POINT');
    expect(refused(() => reset(s.store, { eventId: 7 }))).toBe('INVALID_RESET_POINT');
    expect(refused(() => reset(s.store, { eventId: 1 }))).toBe('INVALID_RESET_POINT');
    expect(refused(() => reset(s.store, { eventId: 99 }))).toBe('INVALID_RESET_POINT');
    expect(s.store.eventTypes(s.runId)).toEqual(before);
    expect(s.run().status).toBe('RUNNING');
  });

  it('to a WorkflowTaskStarted event: the scheduled task is started by the service, then failed', () => {
    const s = afterOneActivity();
    const { runId } = reset(s.store, { eventId: 3 });
    expect(s.store.eventTypes(runId)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted', 'WorkflowTaskFailed', 'WorkflowTaskScheduled']);
    expect(s.store.readEvents(runId, 3, 3)[0]!.attributes).toMatchObject({ identity: 'history-service' });
  });

  it('keeps what was pending at the point: the activity is scheduled again, the timer keeps its time', () => {
    const s = started();
    decide(s.store, s.runId, [scheduleActivity('a'), { type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 60_000 }]);
    const fireAt = s.store.now + 60_000;
    s.store.now += 1_000;
    signal(s.store, s.runId, 'go'); // 7, 8 WorkflowTaskScheduled
    decide(s.store, s.runId, [{ type: 'CompleteWorkflowExecution' }]);
    expect(s.run().status).toBe('COMPLETED');
    // The last completed task (10) saw the activity and the timer pending; the first (4) scheduled them.
    const { runId } = reset(s.store, { resetType: 'LastWorkflowTask' });
    const run = s.store.loadRun(runId)!;
    expect(Object.values(run.activities)).toMatchObject([{ activityId: 'a', scheduledEventId: 5, attempt: 1 }]);
    expect(run.timers).toMatchObject({ t: { fireAt } });
    expect(s.store.dispatched.filter((d) => d.ref.runId === runId).map((d) => d.kind).sort()).toEqual(['activity', 'workflow']);
    // A closed run is not terminated again, but it too points to the run that replaced it.
    expect(s.run()).toMatchObject({ status: 'COMPLETED', resetRunId: runId });
  });

  it('finds FirstWorkflowTask and LastWorkflowTask as Temporal does', () => {
    const s = afterOneActivity();
    decide(s.store, s.runId, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 1000 }]); // 9 Started, 10 Completed
    const events = s.store.readEvents(s.runId, 1);
    expect(resetPointOf(events, 'FirstWorkflowTask')).toBe(4);
    expect(resetPointOf(events, 'LastWorkflowTask')).toBe(10);
    expect(resetPointOf(events.slice(0, 3), 'LastWorkflowTask')).toBe(3);
    expect(resetPointOf(events.slice(0, 1), 'FirstWorkflowTask')).toBeUndefined();
  });

  it('LastContinuedAsNew resets the run before the continue-as-new, to its last completed task, and terminates the current run', () => {
    const s = started();
    decide(s.store, s.runId, [{ type: 'ContinueAsNewWorkflowExecution', input: [] }]);
    const second = s.store.currentRunId()!;
    expect(second).not.toBe(s.runId);
    signal(s.store, second, 'to-second');
    expect(refused(() => reset(s.store, { resetType: 'LastContinuedAsNew', runId: s.runId }))).toBe('INVALID_RESET_POINT');
    const { runId } = reset(s.store, { resetType: 'LastContinuedAsNew' });
    expect(s.store.loadRun(runId)).toMatchObject({ resetFromRunId: s.runId });
    expect(s.store.loadRun(second)).toMatchObject({ status: 'TERMINATED', resetRunId: runId });
    // The signal the continued run received is re-applied.
    expect(s.store.eventTypes(runId)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted', 'WorkflowTaskFailed', 'WorkflowExecutionSignaled', 'WorkflowTaskScheduled']);
  });

  it('re-applies an update accepted after the point, unless Update is excluded', () => {
    const s = afterOneActivity();
    const accept = (store: MemoryStore, runId: string) =>
      store.change((tx) => {
        const run = tx.loadRun(runId)!;
        run.updates = { u1: { acceptedEventId: run.nextEventId } };
        tx.addEvent(run, 'WorkflowExecutionUpdateAccepted', {
          protocolInstanceId: 'u1',
          acceptedRequestMessageId: 'u1/request',
          acceptedRequestSequencingEventId: run.nextEventId - 1,
          acceptedRequest: { meta: { updateId: 'u1' }, input: { name: 'setName', args: [] } },
        });
      });
    accept(s.store, s.runId);
    const { runId } = reset(s.store, { eventId: 4 });
    expect(s.store.eventTypes(runId).slice(4)).toEqual(['WorkflowExecutionUpdateAccepted', 'WorkflowTaskScheduled']);
    expect(s.store.loadRun(runId)!.updates).toEqual({ u1: { acceptedEventId: 5 } });

    const t = afterOneActivity();
    accept(t.store, t.runId);
    const excluded = reset(t.store, { eventId: 4, reapplyExclude: ['Update'] });
    expect(t.store.eventTypes(excluded.runId).slice(4)).toEqual(['WorkflowTaskScheduled']);
  });

  it('refuses a point where a child workflow was pending', () => {
    const s = started();
    const token = takeWorkflowTask(s.store, s.runId)!;
    completeTask(s.store, s.runId, token, [{ type: 'StartChildWorkflowExecution', workflowId: 'child', workflowType: 'c', taskQueue: 'orders', input: [] }]);
    signal(s.store, s.runId, 'go');
    decide(s.store, s.runId, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 1000 }]);
    expect(refused(() => reset(s.store, { resetType: 'LastWorkflowTask' }))).toBe('INVALID_RESET_POINT');
    expect(reset(s.store, { eventId: 3 }).runId).toBeTruthy();
  });

  it('refuses a request with both or neither of eventId and resetType', () => {
    expect(Api.resetWorkflow.request.safeParse({ eventId: 4, resetType: 'FirstWorkflowTask' }).success).toBe(false);
    expect(Api.resetWorkflow.request.safeParse({}).success).toBe(false);
  });
});
