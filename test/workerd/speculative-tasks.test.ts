/**
 * Speculative workflow tasks (protocol 4) on the real objects: the worker that holds a run sends an
 * activity's completion with the completion of the workflow task it causes, which it ran ahead; the
 * workflow object writes both in one transaction when the run is where the worker predicted, and a
 * history of the very shape the two exchanges write. Otherwise it applies the activity's completion
 * alone and answers as without speculation.
 */
import { describe, expect, it } from 'vitest';
import type { HistoryEvent, WorkflowTask } from '../../protocol/index.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { completeWorkflowTask, history, hostStorage, inWorkflow, json, NS, ok, pollWorkflowTask, scheduleActivityCommand, sendSignal, settle, storedState, unique } from './helpers.js';
import { completeActivity, heldRun, speculation, type CompleteAnswer } from './speculative-helpers.js';

/** Events as the two paths must write them alike: the run's own names (its task queue, its start event) and sizes aside. */
const comparable = (events: HistoryEvent[], taskQueue: string) =>
  events.slice(1).map((e) => {
    const { historySizeBytes: _size, ...attributes } = e.attributes as Record<string, unknown>;
    return JSON.parse(JSON.stringify({ ...e, eventTime: '', attributes }).replaceAll(taskQueue, 'TQ')) as unknown;
  });

describe('a speculative workflow task', () => {
  it('is written with the activity completion in one request and one transaction, and the answer carries the next activity, started', async () => {
    const { workflowId, sticky, activity, end, t0 } = await heldRun('spec');
    expect(end).toMatchObject({ nextEventId: 6, time: t0 });
    let transactions = 0;
    await inWorkflow(NS, workflowId, (o: WorkflowHost) => {
      const storage = hostStorage(o);
      const run = storage.transactionSync.bind(storage);
      storage.transactionSync = ((fn: () => unknown) => (transactions++, run(fn))) as typeof storage.transactionSync;
    });
    const answer = await completeActivity(activity, sticky, { workflowTaskCompletion: speculation(end, sticky, [scheduleActivityCommand('a2', { startToCloseTimeoutMs: 30_000, requestEagerExecution: true })]) });
    expect(transactions).toBe(1);
    expect(answer.speculation).toEqual({ accepted: true });
    expect(answer.workflowTask).toBeUndefined();
    expect(answer.activityTasks?.map((t) => t.activityId)).toEqual(['a2']);
    expect(answer.historyEnd).toMatchObject({ nextEventId: 12, time: t0 });
    expect((await history(workflowId)).slice(5).map((e) => `${e.eventId} ${e.eventType}`)).toEqual([
      '6 ActivityTaskStarted',
      '7 ActivityTaskCompleted',
      '8 WorkflowTaskScheduled',
      '9 WorkflowTaskStarted',
      '10 WorkflowTaskCompleted',
      '11 ActivityTaskScheduled',
    ]);
    // Nothing went through a queue: no outbox row, nothing for the sticky queue.
    expect((await storedState(workflowId)).outbox).toEqual([]);
    expect(await pollWorkflowTask(sticky, 0)).toBeUndefined();
  });

  it('writes the history the two exchanges write (activity completion, then the workflow task handed back and completed)', async () => {
    const close = [{ type: 'CompleteWorkflowExecution', result: json('done') }];
    const speculated = await heldRun('spec-same');
    await completeActivity(speculated.activity, speculated.sticky, { workflowTaskCompletion: speculation(speculated.end, speculated.sticky, close) });

    const twoExchanges = await heldRun('spec-twin');
    const { workflowTask } = await completeActivity(twoExchanges.activity, twoExchanges.sticky);
    await completeWorkflowTask(workflowTask!.taskToken, close as never, { identity: 'w1', stickyAttributes: { workerTaskQueue: twoExchanges.sticky }, acknowledgesHandOff: true });

    const a = await history(speculated.workflowId);
    const b = await history(twoExchanges.workflowId);
    expect(comparable(a, speculated.taskQueue)).toEqual(comparable(b, twoExchanges.taskQueue));
    expect(a.at(-1)?.eventType).toBe('WorkflowExecutionCompleted');
  });

  it('a signal that came meanwhile: refused, the activity completion alone applied, and the signal’s task goes to the sticky queue', async () => {
    const { workflowId, sticky, activity, end } = await heldRun('spec-signal');
    await sendSignal(workflowId, 'poke');
    const answer = await completeActivity(activity, sticky, { workflowTaskCompletion: speculation(end, sticky, [{ type: 'CompleteWorkflowExecution' }]) });
    expect(answer.speculation).toMatchObject({ accepted: false, reason: expect.stringMatching(/already scheduled/) });
    expect(answer.workflowTask).toBeUndefined();
    await settle(workflowId);
    const task = await pollWorkflowTask(sticky);
    expect(task?.history.map((e) => e.eventType)).toEqual([
      'WorkflowTaskCompleted',
      'ActivityTaskScheduled',
      'WorkflowExecutionSignaled',
      'WorkflowTaskScheduled',
      'ActivityTaskStarted',
      'ActivityTaskCompleted',
      'WorkflowTaskStarted',
    ]);
  });

  it('a prediction whose ids are not the run’s: refused, and the workflow task handed back started, as without speculation', async () => {
    const { workflowId, sticky, activity, end } = await heldRun('spec-ids');
    const answer = await completeActivity(activity, sticky, { workflowTaskCompletion: speculation({ ...end, nextEventId: end.nextEventId + 1 }, sticky, []) });
    expect(answer.speculation).toMatchObject({ accepted: false, reason: expect.stringMatching(/history moved on/) });
    expect(answer.workflowTask?.history.map((e) => `${e.eventId} ${e.eventType}`)).toEqual(['4 WorkflowTaskCompleted', '5 ActivityTaskScheduled', '6 ActivityTaskStarted', '7 ActivityTaskCompleted', '8 WorkflowTaskScheduled', '9 WorkflowTaskStarted']);
    // Its WorkflowTaskStarted is written once the worker acknowledges or completes it (protocol 2).
    expect((await history(workflowId)).map((e) => e.eventType).at(-1)).toBe('WorkflowTaskScheduled');
  });

  it('a worker that does not speculate (an older one) is answered as before: no historyEnd, no speculation', async () => {
    const workflowId = unique('spec-old');
    const taskQueue = unique('spec-old-tq');
    const sticky = `${taskQueue}/sticky/w1`;
    const { eagerWorkflowTask } = await ok<{ eagerWorkflowTask: WorkflowTask }>('POST', '/workflows', { workflowId, workflowType: 'order', taskQueue, input: [json('x')], requestEagerExecution: true });
    const first = (await completeWorkflowTask(eagerWorkflowTask.taskToken, [scheduleActivityCommand('a1', { startToCloseTimeoutMs: 30_000, requestEagerExecution: true })], { stickyAttributes: { workerTaskQueue: sticky }, acknowledgesHandOff: true })) as CompleteAnswer;
    expect(Object.keys(first)).toEqual(['activityTasks']);
    const answer = await completeActivity(first.activityTasks![0]!, sticky);
    expect(Object.keys(answer)).toEqual(['workflowTask']);
  });

  it('a retried request (same request id) gets the same answer and writes nothing more', async () => {
    const { workflowId, sticky, activity, end } = await heldRun('spec-retry');
    const body = { requestId: 'complete-1', workflowTaskCompletion: speculation(end, sticky, [scheduleActivityCommand('a2', { startToCloseTimeoutMs: 30_000, requestEagerExecution: true })]) };
    const first = await completeActivity(activity, sticky, body);
    const events = (await history(workflowId)).length;
    const again = await completeActivity(activity, sticky, body);
    expect(again.speculation).toEqual({ accepted: true });
    expect(again.activityTasks?.map((t) => t.activityId)).toEqual(first.activityTasks?.map((t) => t.activityId));
    expect(again.historyEnd).toEqual(first.historyEnd);
    expect(await history(workflowId)).toHaveLength(events);
  });
});
