/**
 * What the store answers from the change it just wrote, with no row read back or parsed (src/storage/
 * workflow-store.ts `viewEvents`, `reader`), is what storage answers: a workflow task's history (a new
 * run's first, a sticky task's new events), a result wait's close event, a history page. And a run's
 * history size, counted change by change (src/engine/history-limit.ts), is the size of its stored
 * events, also once the workflow is read back from storage.
 */
import { describe, expect, it } from 'vitest';
import { Limits, type HistoryEvent, type WorkflowTask } from '../../protocol/index.js';
import { eventBytes } from '../../src/engine/history-limit.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import type { WorkflowStore } from '../../src/storage/workflow-store.js';
import { NS, completeWorkflowTask, history, inWorkflow, json, ok, pollWorkflowTask, restart, scheduleActivityCommand, sendSignal, startWorkflow, unique, until } from './helpers.js';

const storeOf = (host: WorkflowHost) => (host as unknown as { store: WorkflowStore }).store;

/** The store as a new object would read it: from storage alone, nothing in memory. */
const fromStorage = (store: WorkflowStore): WorkflowStore => (store.forget(), store);

/** The size of a history as a fresh measure gives it: each stored event's JSON, as the limit counts it. */
const measured = (events: HistoryEvent[]) => events.reduce((n, e) => n + eventBytes(e, JSON.stringify(e.attributes)), 0);

/** The run's history size as the store keeps it in memory now (the running count the limit reads). */
const sizeInMemory = (workflowId: string, runId: string) => inWorkflow(NS, workflowId, (o) => storeOf(o).viewRun(runId)!.historySizeBytes);

/**
 * For every range, limit and byte budget of the run's history: what the store gives a read from
 * memory (`viewEvents`) is what it reads from storage alone.
 */
async function expectViewsAsStored(workflowId: string, runId: string): Promise<void> {
  const { viewed, read } = await inWorkflow(NS, workflowId, (o) => {
    const store = storeOf(o);
    const last = store.viewRun(runId)!.nextEventId - 1;
    const asks: Array<[number, number, number, number | undefined]> = [];
    for (let from = 1; from <= last + 1; from++) for (const to of [from, last, Number.MAX_SAFE_INTEGER]) for (const limit of [-1, 1, 2]) for (const maxBytes of [undefined, 1, 1_000, Limits.maxHistoryPageBytes]) asks.push([from, to, limit, maxBytes]);
    const viewed = asks.map((a) => JSON.stringify(store.viewEvents(runId, ...a)));
    return { viewed, read: asks.map((a) => JSON.stringify(fromStorage(store).readEvents(runId, ...a))) };
  });
  expect(viewed.length).toBeGreaterThan(100);
  expect(viewed).toEqual(read);
}

/** A history's events as the wire carries them (JSON drops what is undefined). */
const wire = (events: HistoryEvent[]) => JSON.parse(JSON.stringify(events)) as HistoryEvent[];

describe("a task's history from the change that wrote it", () => {
  it("a new run's first task (eager start) and a sticky task (an activity's completion) carry the events storage holds, and each range the store serves from memory is the one it reads", async () => {
    const workflowId = unique('hist-mem');
    const taskQueue = unique('hist-mem-tq');
    const sticky = unique('hist-mem-sticky');
    // Non-ASCII and escapes (payloads are base64, names and identities are not): UTF-8 bytes are not characters.
    const started = (await startWorkflow(workflowId, taskQueue, { requestEagerExecution: true, identity: 'grüße "quoted" \u2028 ✓', input: [json('x'.repeat(500))] })) as unknown as { runId: string; eagerWorkflowTask: WorkflowTask };
    const first = started.eagerWorkflowTask;
    expect(first.history.map((e) => e.eventType)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
    const stored = await history(workflowId);
    expect(wire(first.history)).toEqual(stored.slice(0, 3));

    const done = await ok<{ activityTasks?: Array<{ taskToken: string }> }>('POST', '/workflow-tasks/complete', {
      taskToken: first.taskToken,
      commands: [scheduleActivityCommand('a1', { taskQueue, requestEagerExecution: true, startToCloseTimeoutMs: 60_000 })],
      identity: 'wörker ✓',
      stickyAttributes: { workerTaskQueue: sticky },
    });
    const act = done.activityTasks![0]!;
    const answer = await ok<{ workflowTask?: WorkflowTask }>('POST', '/activity-tasks/complete', { taskToken: act.taskToken, result: json('ok'), identity: 'wörker ✓', stickyTaskQueue: sticky });
    const second = answer.workflowTask!;
    // Since the task it completed: the completion's events, then the activity's completion's (two changes).
    expect(second.history.map((e) => e.eventType)).toEqual(['WorkflowTaskCompleted', 'ActivityTaskScheduled', 'ActivityTaskStarted', 'ActivityTaskCompleted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
    const all = await history(workflowId);
    expect(wire(second.history)).toEqual(all.filter((e) => e.eventId >= second.history[0]!.eventId && e.eventId <= second.startedEventId));

    await expectViewsAsStored(workflowId, started.runId);
  });

  it("a result wait's close event and a history page after a change are the stored ones", async () => {
    const workflowId = unique('hist-close');
    const taskQueue = unique('hist-close-tq');
    const started = (await startWorkflow(workflowId, taskQueue, { requestEagerExecution: true })) as unknown as { runId: string; eagerWorkflowTask: WorkflowTask };
    const waiting = ok<{ closeEvent?: HistoryEvent }>('POST', '/workflows', { workflowId, workflowType: 'order', taskQueue, input: [], waitForClose: true, workflowIdConflictPolicy: 'USE_EXISTING' });
    // The wait reaches the run before it closes (else the start would begin a new run, which does not close).
    await until(() => inWorkflow(NS, workflowId, (o) => (o as unknown as { waiters: { size: number } }).waiters.size), (n) => n === 1);
    await completeWorkflowTask(started.eagerWorkflowTask.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('fertig') }]);
    const { closeEvent } = await waiting;
    const stored = await history(workflowId);
    expect(closeEvent).toEqual(stored.at(-1));
    expect(closeEvent!.eventType).toBe('WorkflowExecutionCompleted');
    // A page that starts within the last change's events: as storage pages it.
    const page = await ok<{ events: HistoryEvent[] }>('GET', `/workflows/${workflowId}/history`, { nextPageToken: String(stored.length - 1) });
    expect(page.events).toEqual(stored.slice(-2));
  });
});

describe('the history size, counted change by change', () => {
  it('equals a fresh measure of the stored events after many changes, after the workflow is read back from storage, and as it goes on from there', async () => {
    const workflowId = unique('hist-size');
    const taskQueue = unique('hist-size-tq');
    const sticky = unique('hist-size-sticky');
    const started = (await startWorkflow(workflowId, taskQueue, { requestEagerExecution: true })) as unknown as { runId: string; eagerWorkflowTask: WorkflowTask };
    let task = started.eagerWorkflowTask;
    const check = async () => {
      const events = await history(workflowId);
      expect(await sizeInMemory(workflowId, started.runId)).toBe(measured(events));
      return events.length;
    };
    for (let i = 0; i < 6; i++) {
      await sendSignal(workflowId, `signal ${i}: ünïcödé \u{1F600} "q" \\`, [json('x'.repeat(i * 300))]);
      // Markers of their own sizes, completed on the sticky queue the run is held on.
      await completeWorkflowTask(task.taskToken, [{ type: 'RecordMarker', markerName: `märker ${'é'.repeat(i * 50)}`, details: { d: [json(i)] } }], { stickyAttributes: { workerTaskQueue: sticky } });
      await check();
      const next = await pollWorkflowTask(sticky);
      if (!next) throw new Error(`no sticky task after signal ${i}`);
      task = next;
    }
    const before = await check();
    expect(before).toBeGreaterThan(30);
    // Longer than the rows that keep their events (RECENT_EVENT_CHARS): views of older ones parse, as reads do.
    await expectViewsAsStored(workflowId, started.runId);

    await restart(workflowId);
    // Read back from storage: the size stored with the run is the stored events' size.
    await check();
    // And it goes on counting from there.
    await sendSignal(workflowId, 'nach dem Neustart ✓', [json('after')]);
    await completeWorkflowTask(task.taskToken, [{ type: 'RecordMarker', markerName: 'daß', details: {} }]);
    expect(await check()).toBeGreaterThan(before);
  });
});
