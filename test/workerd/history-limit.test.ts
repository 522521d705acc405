/**
 * The history limit: a run whose history outgrows `Limits.maxHistoryEvents` is terminated with a
 * reason that says what to do, as Temporal does; up to the limit it runs on.
 */
import { describe, expect, it } from 'vitest';
import { Limits, type Command } from '../../protocol/index.js';
import { runInDurableObject } from 'cloudflare:test';
import type { HistoryEvent } from '../../protocol/index.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import type { WorkflowStore } from '../../src/storage/workflow-store.js';
import { completeWorkflowTask, getDescription, pollWorkflowTask, sendSignal, startAndTakeFirstTask, unique, wfStub, inWorkflow, NS, hostStorage } from './helpers.js';

/** The current run's last stored event, read from the store: the API would page through 50,000 events to reach it. */
const lastEvent = (workflowId: string) =>
  inWorkflow(NS, workflowId, (o: WorkflowHost) => {
    const store = (o as unknown as { store: WorkflowStore }).store;
    const runId = store.currentRunId()!;
    const last = store.loadRun(runId)!.nextEventId - 1;
    return store.readEvents(runId, last, last)[0] as HistoryEvent & { attributes: { reason?: string } };
  });

const markers = (n: number): Command[] => Array.from({ length: n }, () => ({ type: 'RecordMarker', markerName: 'm', details: {} }));

describe('history limit', () => {
  it('terminates a run once its history outgrows the limit, saying why; a run at the limit runs on', async () => {
    const { workflowId, task } = await startAndTakeFirstTask('history-limit');
    const sticky = unique('history-limit-sticky');
    const half = Math.floor(Limits.maxHistoryEvents / 2);
    // Events 1–4 are the start and the first task; the markers follow.
    await completeWorkflowTask(task.taskToken, markers(half - 4), { stickyAttributes: { workerTaskQueue: sticky } });
    await sendSignal(workflowId, 'more');
    const second = (await pollWorkflowTask(sticky))!;
    // Signal, scheduled, started and completed take four more: this brings the history to exactly the limit.
    const atLimit = Limits.maxHistoryEvents - second.startedEventId - 1;
    await completeWorkflowTask(second.taskToken, markers(atLimit), { stickyAttributes: { workerTaskQueue: sticky } });
    expect((await getDescription(workflowId)).status).toBe('RUNNING');
    expect((await getDescription(workflowId)).historyLength).toBe(Limits.maxHistoryEvents);

    // One event more (a signal) and the run is over the limit.
    await sendSignal(workflowId, 'one-too-many');
    const described = await getDescription(workflowId);
    expect(described.status).toBe('TERMINATED');
    // The signal, the workflow task it scheduled, and the termination.
    expect(described.historyLength).toBe(Limits.maxHistoryEvents + 3);
    const last = await lastEvent(workflowId);
    expect(last.eventType).toBe('WorkflowExecutionTerminated');
    expect(last.attributes.reason).toMatch(new RegExp(`over the limit of ${Limits.maxHistoryEvents}: continue as new`));
  });
});
