import { describe, expect, it } from 'vitest';
import { ServiceError } from '../service-error.js';
import { completeTask, started, takeWorkflowTask } from './engine-test-kit.js';
import { fireDue } from './lifecycle.js';
import { signalWorkflow } from './run-control.js';
import { releaseStickyWorkflowTask, startWorkflowTask } from './workflow-tasks.js';

describe('workflow tasks', () => {
  it('a start schedules the first task and hands it to the outbox once; a second poll of the same ref gets nothing', () => {
    const { store, runId, run } = started();
    expect(store.eventTypes(runId)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);
    expect(store.dispatched).toMatchObject([{ taskQueue: 'orders', kind: 'workflow', ref: { runId, scheduledEventId: 2, attempt: 1, seq: 1 } }]);
    const ref = { seq: run().workflowTask!.seq };
    expect(takeWorkflowTask(store, runId)).toMatchObject({ scheduledEventId: 2, startedEventId: 3, attempt: 1 });
    expect(store.change((tx) => startWorkflowTask(tx, tx.loadRun(runId)!, ref, 'other'))).toBeUndefined();
    expect(store.eventTypes(runId)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
  });

  it('a signal that arrives while a task runs is buffered, written after the completion, and followed by a new task', () => {
    const { store, runId } = started();
    const token = takeWorkflowTask(store, runId)!;
    store.change((tx) => signalWorkflow(tx, tx.loadRun(runId)!, 'go', []));
    expect(store.eventTypes(runId)).toHaveLength(3);
    completeTask(store, runId, token, []);
    expect(store.eventTypes(runId).slice(3)).toEqual(['WorkflowTaskCompleted', 'WorkflowExecutionSignaled', 'WorkflowTaskScheduled']);
  });

  it('a task that times out is retried as a transient attempt: no events until a worker completes it', () => {
    const { store, runId, run } = started({ workflowTaskTimeoutMs: 1_000 });
    takeWorkflowTask(store, runId);
    store.now += 1_000;
    store.change((tx) => fireDue(tx, tx.loadRun(runId)!));
    expect(store.eventTypes(runId).slice(3)).toEqual(['WorkflowTaskTimedOut']);
    expect(run().workflowTask).toMatchObject({ attempt: 2, scheduledEventId: 0 });
    const token = takeWorkflowTask(store, runId)!;
    expect(store.eventTypes(runId)).toHaveLength(4);
    completeTask(store, runId, token, []);
    expect(store.eventTypes(runId).slice(4)).toEqual(['WorkflowTaskScheduled', 'WorkflowTaskStarted', 'WorkflowTaskCompleted']);
  });

  it('a completion with a token from an earlier attempt is refused and changes nothing', () => {
    const { store, runId } = started();
    const token = takeWorkflowTask(store, runId)!;
    const stale = { ...token, startedEventId: token.startedEventId + 5 };
    expect(() => completeTask(store, runId, stale, [])).toThrow(ServiceError);
    expect(store.eventTypes(runId)).toHaveLength(3);
  });

  it('a task sent to a sticky queue that closed goes to the normal queue at once', () => {
    const { store, runId, run } = started();
    completeTask(store, runId, takeWorkflowTask(store, runId)!, [], { stickyAttributes: { workerTaskQueue: 'sticky-1' } });
    store.change((tx) => signalWorkflow(tx, tx.loadRun(runId)!, 'go', []));
    expect(store.dispatched.at(-1)).toMatchObject({ taskQueue: 'sticky-1' });
    store.change((tx) => releaseStickyWorkflowTask(tx, tx.loadRun(runId)!, { seq: run().workflowTask!.seq }, 'sticky-1'));
    expect(store.dispatched.at(-1)).toMatchObject({ taskQueue: 'orders' });
  });
});
