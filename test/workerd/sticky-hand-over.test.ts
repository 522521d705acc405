/**
 * A workflow task the alarm causes for a run a sticky worker holds (that worker acknowledges
 * hand-offs) is started in the alarm's own transaction and handed straight to the worker's sticky
 * queue (src/engine/sticky-hand-over.ts): no outbox row, no queue → startTask round trip, and its
 * start is the moment the timer fired. A queue with no poll waiting keeps it for the next poll
 * within half the hand-off window; a closed queue refuses it and it goes to the normal queue at once.
 */
import { describe, expect, it } from 'vitest';
import { Limits, type WorkflowTask } from '../../protocol/index.js';
import { taskQueueStub } from '../../src/stubs.js';
import { NS, advance, completeWorkflowTask, eventsFrom, freezeQueueClock, history, iso, json, pollWorkflowTask, queueState, runState, startAndTakeFirstTask, stateRows, testEnv, unique, until } from './helpers.js';

/** A run whose first task completed with a 1 s timer, held by `worker-1` on its sticky queue. */
async function sleepingOnStickyWorker(prefix: string) {
  const started = await startAndTakeFirstTask(prefix);
  const sticky = unique(`${prefix}-sticky`);
  await completeWorkflowTask(started.task.taskToken, [{ type: 'StartTimer', timerId: 't1', startToFireTimeoutMs: 1_000 }], {
    stickyAttributes: { workerTaskQueue: sticky },
    acknowledgesHandOff: true,
    identity: 'worker-1',
  });
  return { ...started, sticky };
}

const pollSticky = async (sticky: string, waitMs = 0): Promise<WorkflowTask | undefined> => {
  const started = await taskQueueStub(testEnv, NS, sticky, 'workflow').poll('worker-1', waitMs);
  return started?.kind === 'workflow' ? started.task : undefined;
};

describe('the alarm hands a sticky worker its workflow task', () => {
  it('starts the task in the timer firing transaction and answers the waiting sticky poll with it, without an outbox row or the backlog', async () => {
    const { workflowId, runId, t0, sticky } = await sleepingOnStickyWorker('sho-wait');
    expect((await runState(workflowId, runId)).sticky).toEqual({ taskQueue: sticky, scheduleToStartTimeoutMs: 5_000, handOver: { identity: 'worker-1' } });
    const polled = pollSticky(sticky, 60_000);
    await until(() => queueState(sticky), (q) => q.waitingPollers === 1);

    await advance(workflowId, 1_000);
    const next = (await polled)!;
    expect(next.startedTime).toBe(iso(t0 + 1_000));
    expect(eventsFrom(next.history, 1)).toEqual(['4 WorkflowTaskCompleted', '5 TimerStarted', '6 TimerFired', '7 WorkflowTaskScheduled', '8 WorkflowTaskStarted']);
    expect(await stateRows(workflowId, 'o/')).toEqual([]);
    expect((await queueState(sticky)).everBacklogged).toBe(false);

    await completeWorkflowTask(next.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('woke') }], { identity: 'worker-1' });
    const events = await history(workflowId);
    expect(events[7]).toMatchObject({ eventId: 8, eventType: 'WorkflowTaskStarted', eventTime: iso(t0 + 1_000), attributes: { scheduledEventId: 7, identity: 'worker-1' } });
    expect(events.at(-1)!.eventType).toBe('WorkflowExecutionCompleted');
  });

  it('with no poll waiting, the next poll of the sticky queue takes the task', async () => {
    const { workflowId, t0, sticky } = await sleepingOnStickyWorker('sho-held');
    await freezeQueueClock(sticky);
    await advance(workflowId, 1_000);
    const next = (await pollSticky(sticky))!;
    expect(next).toMatchObject({ startedEventId: 8, startedTime: iso(t0 + 1_000), previousStartedEventId: 3 });
    expect(await pollSticky(sticky)).toBeUndefined();
  });

  it('a held task is not given out past half its hand-off window; when the window ends it goes to the normal queue with the whole history', async () => {
    const { workflowId, runId, taskQueue, sticky } = await sleepingOnStickyWorker('sho-late');
    const moveQueueClock = await freezeQueueClock(sticky);
    await advance(workflowId, 1_000);
    await moveQueueClock(Limits.handOffAckMs / 2 + 1);
    expect(await pollSticky(sticky)).toBeUndefined();

    await advance(workflowId, Limits.handOffAckMs);
    expect((await runState(workflowId, runId)).sticky).toBeUndefined();
    const normal = (await pollWorkflowTask(taskQueue, 0, 'worker-2'))!;
    expect(normal).toMatchObject({ attempt: 1, startedEventId: 8 });
    expect(normal.history[0]!.eventId).toBe(1);
  });

  it('a closed sticky queue refuses the task, which goes to the normal queue at once', async () => {
    const { workflowId, runId, taskQueue, sticky } = await sleepingOnStickyWorker('sho-closed');
    await taskQueueStub(testEnv, NS, sticky, 'workflow').closeSticky();
    await advance(workflowId, 1_000);
    expect((await runState(workflowId, runId)).sticky).toBeUndefined();
    const normal = (await pollWorkflowTask(taskQueue, 0, 'worker-2'))!;
    expect(normal).toMatchObject({ attempt: 1, startedEventId: 8 });
    expect(eventsFrom(normal.history, 1)).toEqual(['1 WorkflowExecutionStarted', '2 WorkflowTaskScheduled', '3 WorkflowTaskStarted', '4 WorkflowTaskCompleted', '5 TimerStarted', '6 TimerFired', '7 WorkflowTaskScheduled', '8 WorkflowTaskStarted']);
  });

  it('a task the sticky queue holds when its worker stops (the queue closes) goes to the normal queue at once', async () => {
    const { workflowId, runId, taskQueue, sticky } = await sleepingOnStickyWorker('sho-held-closed');
    await freezeQueueClock(sticky);
    await advance(workflowId, 1_000);
    expect((await runState(workflowId, runId)).workflowTask).toMatchObject({ taskQueue: sticky, startedEventId: 8 });
    await taskQueueStub(testEnv, NS, sticky, 'workflow').closeSticky();
    expect((await runState(workflowId, runId)).sticky).toBeUndefined();
    const normal = (await pollWorkflowTask(taskQueue, 0, 'worker-2'))!;
    expect(normal).toMatchObject({ attempt: 1, startedEventId: 8 });
    expect(normal.history[0]!.eventId).toBe(1);
    expect(await pollSticky(sticky)).toBeUndefined();
  });

  it('a worker that does not acknowledge hand-offs gets its sticky task through the queue, as before', async () => {
    const { workflowId, runId, task } = await startAndTakeFirstTask('sho-old');
    const sticky = unique('sho-old-sticky');
    await completeWorkflowTask(task.taskToken, [{ type: 'StartTimer', timerId: 't1', startToFireTimeoutMs: 1_000 }], { stickyAttributes: { workerTaskQueue: sticky } });
    await advance(workflowId, 1_000);
    expect((await runState(workflowId, runId)).workflowTask).toMatchObject({ taskQueue: sticky, dispatched: true });
    expect((await runState(workflowId, runId)).workflowTask.startedEventId).toBeUndefined();
    expect(await pollWorkflowTask(sticky, 0, 'worker-1')).toMatchObject({ startedEventId: 8, previousStartedEventId: 3 });
  });
});
