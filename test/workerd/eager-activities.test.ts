/**
 * Eager activity execution (Temporal's): a completion that schedules an activity with
 * `requestEagerExecution` gets it back already started, in the same transaction, and the task
 * queue never sees it. Only activities on the workflow's own queue, and at most
 * `Limits.maxEagerActivities` of them per completion.
 */
import { describe, expect, it } from 'vitest';
import { Limits, type ActivityTask } from '../../protocol/index.js';
import type { WorkflowStore } from '../../src/storage/workflow-store.js';
import { advance, completeWorkflowTask, history, inWorkflow, json, NS, ok, pollActivityTask, runState, scheduleActivityCommand, sendSignal, startAndTakeFirstTask } from './helpers.js';

type Answer = { activityTasks?: ActivityTask[] };
const eager = (id: string, extra: Record<string, unknown> = {}) => scheduleActivityCommand(id, { startToCloseTimeoutMs: 30_000, requestEagerExecution: true, ...extra });

describe('eager activities', () => {
  it('hands the activity to the completing worker, started, and never to the task queue', async () => {
    const { workflowId, taskQueue, runId, t0, task } = await startAndTakeFirstTask('eager');
    const answer = (await completeWorkflowTask(task.taskToken, [eager('a1')], { identity: 'worker-7' })) as Answer;
    expect(answer.activityTasks).toHaveLength(1);
    const at = answer.activityTasks![0]!;
    expect(at).toMatchObject({ activityId: 'a1', attempt: 1, taskQueue, startedTime: new Date(t0).toISOString(), workflowExecution: { workflowId, runId } });
    expect((await runState(workflowId, runId)).activities[5]).toMatchObject({ startedIdentity: 'worker-7' });
    expect(await pollActivityTask(taskQueue, 0)).toBeUndefined();

    // It is an ordinary started attempt: its result completes it, and history reads as if polled.
    await ok('POST', '/activity-tasks/complete', { taskToken: at.taskToken, result: json('done'), identity: 'worker-7' });
    expect((await history(workflowId)).slice(4).map((e) => e.eventType)).toEqual(['ActivityTaskScheduled', 'ActivityTaskStarted', 'ActivityTaskCompleted', 'WorkflowTaskScheduled']);
  });

  it('keeps the start-to-close timeout of an eager attempt, and retries it through the queue', async () => {
    const { workflowId, taskQueue, task } = await startAndTakeFirstTask('eager-timeout');
    await completeWorkflowTask(task.taskToken, [eager('a1', { retryPolicy: { initialIntervalMs: 1_000 } })]);
    await advance(workflowId, 30_000);
    await advance(workflowId, 1_000);
    const retried = (await pollActivityTask(taskQueue, 0))!;
    expect(retried).toMatchObject({ activityId: 'a1', attempt: 2 });
  });

  it(`starts at most ${Limits.maxEagerActivities} per completion, and none on another task queue; the rest go through their queues`, async () => {
    const { taskQueue, task } = await startAndTakeFirstTask('eager-limit');
    const commands = [...Array.from({ length: Limits.maxEagerActivities + 1 }, (_, i) => eager(`a${i}`)), eager('elsewhere', { taskQueue: `${taskQueue}-other` })];
    const answer = (await completeWorkflowTask(task.taskToken, commands)) as Answer;
    expect(answer.activityTasks!.map((t) => t.activityId)).toEqual(Array.from({ length: Limits.maxEagerActivities }, (_, i) => `a${i}`));
    expect((await pollActivityTask(taskQueue, 0))?.activityId).toBe(`a${Limits.maxEagerActivities}`);
    expect((await pollActivityTask(`${taskQueue}-other`, 0))?.activityId).toBe('elsewhere');
  });

  it('a retried completion (same request id) answers with the same started activities, once', async () => {
    const { workflowId, runId, task } = await startAndTakeFirstTask('eager-retry');
    const first = (await completeWorkflowTask(task.taskToken, [eager('a1')], { requestId: 'complete-1' })) as Answer;
    const again = (await completeWorkflowTask(task.taskToken, [eager('a1')], { requestId: 'complete-1' })) as Answer;
    expect(again.activityTasks!.map((t) => [t.activityId, t.attempt])).toEqual(first.activityTasks!.map((t) => [t.activityId, t.attempt]));
    expect(Object.keys((await runState(workflowId, runId)).activities)).toHaveLength(1);
  });

  it('builds the task from the change that started it, as it would from storage', async () => {
    const { workflowId, runId, task } = await startAndTakeFirstTask('eager-memory');
    const command = eager('a1', { input: [json('in')], header: { trace: json('t-1') } });
    const first = (await completeWorkflowTask(task.taskToken, [command], { requestId: 'complete-1' })) as Answer;
    expect(first.activityTasks![0]).toMatchObject({ activityId: 'a1', input: [json('in')], header: { trace: json('t-1') } });
    // The answer read the run as the change left it: the store hands out that object, no parse, until
    // the run is written again; then it reads what is stored.
    const store = (o: unknown) => (o as { store: WorkflowStore }).store;
    const [same, again] = await inWorkflow(NS, workflowId, (o) => [store(o).viewRun(runId), store(o).viewRun(runId)]);
    expect(same).toBe(again);
    await sendSignal(workflowId);
    const [afterSignal, stored] = await inWorkflow(NS, workflowId, (o) => [store(o).viewRun(runId), store(o).loadRun(runId)]);
    expect(afterSignal).not.toBe(same);
    expect(afterSignal).toEqual(stored);
    // A retry after the signal builds its answer from storage: the same task.
    const retried = (await completeWorkflowTask(task.taskToken, [command], { requestId: 'complete-1' })) as Answer;
    expect(retried.activityTasks).toEqual(first.activityTasks);
  });

  it('hands out nothing for an activity the same completion made moot by closing the run', async () => {
    const { task } = await startAndTakeFirstTask('eager-close');
    const answer = (await completeWorkflowTask(task.taskToken, [eager('a1'), { type: 'CompleteWorkflowExecution' }])) as Answer;
    expect(answer.activityTasks).toBeUndefined();
  });
});
