/**
 * POST /tasks/batch (protocol 5, group commit) on the real objects: workers' exchanges about tasks of
 * one shard in one request are one RPC to that shard, whose changes are all made in one turn (so
 * workerd writes them in one commit), and write the histories the same exchanges write sent one by
 * one. Each item is answered alone: a bad one gets its own error and the others go on.
 */
import { describe, expect, it } from 'vitest';
import { Limits, type ActivityTask, type HistoryEnd, type HistoryEvent, type WorkflowTask } from '../../protocol/index.js';
import { shardOf, workflowShards } from '../../src/workflow-shards.js';
import { call, completeWorkflowTask, expectError, freezeClock, history, json, NS, ok, pollWorkflowTask, scheduleActivityCommand, startWorkflow, testEnv, unique, watchObject } from './helpers.js';

type Result = { response?: Record<string, unknown>; error?: { code: string; message: string } };
const batch = (items: unknown[]) => ok<{ results: Result[] }>('POST', '/tasks/batch', { items });

const shards = workflowShards(testEnv);

/** `n` new workflow ids kept in one shard (with shards; else any). */
function idsInOneShard(prefix: string, n: number): string[] {
  const ids: string[] = [];
  let shard: number | undefined;
  while (ids.length < n) {
    const id = unique(prefix);
    const s = shards > 0 ? shardOf(id, shards) : 0;
    shard ??= s;
    if (s === shard) ids.push(id);
  }
  return ids;
}

/** Starts each workflow on a frozen clock, on a queue of its own, and takes its first workflow task. */
async function firstTasks(ids: string[]): Promise<Array<{ workflowId: string; taskQueue: string; task: WorkflowTask }>> {
  return Promise.all(
    ids.map(async (workflowId) => {
      const taskQueue = `${workflowId}-tq`;
      await freezeClock(workflowId);
      await startWorkflow(workflowId, taskQueue);
      return { workflowId, taskQueue, task: (await pollWorkflowTask(taskQueue))! };
    }),
  );
}

/** Events as two runs must write them alike: the run's own names and sizes aside. */
const comparable = (events: HistoryEvent[], names: string[]) =>
  events.slice(1).map((e) => {
    const { historySizeBytes: _size, ...attributes } = e.attributes as Record<string, unknown>;
    let text = JSON.stringify({ ...e, eventTime: '', attributes });
    for (const n of names) text = text.replaceAll(n, 'NAME');
    return JSON.parse(text) as unknown;
  });

describe('POST /tasks/batch', () => {
  it('tasks carry their shard as shardKey', async () => {
    const { workflowId, task } = (await firstTasks(idsInOneShard('batch-key', 1)))[0]!;
    expect(task.shardKey).toBe(shards > 0 ? String(shardOf(workflowId, shards)) : undefined);
  });

  it('completions for one shard: one RPC, every change in one turn (one commit), the histories sent singly write', async () => {
    const ids = idsInOneShard('batch-one', 8);
    const runs = await firstTasks(ids);
    const [batched, single] = [runs.slice(0, 4), runs.slice(4)];
    const commands = (i: number) => [scheduleActivityCommand(`a${i}`, { startToCloseTimeoutMs: 30_000 }), { type: 'StartTimer', timerId: `t${i}`, startToFireTimeoutMs: 60_000 }];

    const seen = await watchObject(batched.map((r) => r.workflowId));
    const { results } = await batch(batched.map((r, i) => ({ kind: 'completeWorkflowTask', request: { taskToken: r.task.taskToken, commands: commands(i), identity: 'test-worker' } })));
    expect(results).toEqual([{ response: {} }, { response: {} }, { response: {} }, { response: {} }]);
    expect(seen.callMany).toBe(1);
    expect(seen.call).toBe(0);
    expect(seen.turns).toHaveLength(4);
    expect(new Set(seen.turns).size).toBe(1);

    for (const [i, r] of single.entries()) await completeWorkflowTask(r.task.taskToken, commands(i) as never);
    for (const [i, r] of batched.entries()) {
      const s = single[i]!;
      expect(comparable(await history(r.workflowId), [r.taskQueue, r.workflowId])).toEqual(comparable(await history(s.workflowId), [s.taskQueue, s.workflowId]));
    }
    expect((await history(batched[0]!.workflowId)).map((e) => e.eventType).slice(-3)).toEqual(['WorkflowTaskCompleted', 'ActivityTaskScheduled', 'TimerStarted']);
  });

  it('eager activities, speculation and activity completions with a speculative workflow task, each answered as alone', async () => {
    const ids = idsInOneShard('batch-spec', 2);
    const runs = await firstTasks(ids);
    const sticky = (r: { taskQueue: string }) => `${r.taskQueue}/sticky/w1`;
    const first = await batch(
      runs.map((r) => ({
        kind: 'completeWorkflowTask',
        request: { taskToken: r.task.taskToken, commands: [scheduleActivityCommand('a1', { startToCloseTimeoutMs: 30_000, requestEagerExecution: true })], identity: 'w1', stickyAttributes: { workerTaskQueue: sticky(r) }, acknowledgesHandOff: true, speculates: true },
      })),
    );
    const answers = first.results.map((r) => r.response as { activityTasks: ActivityTask[]; historyEnd: HistoryEnd });
    expect(answers.map((a) => [a.activityTasks.map((t) => t.activityId), a.historyEnd.nextEventId])).toEqual([[['a1'], 6], [['a1'], 6]]);
    expect(answers[0]!.activityTasks[0]!.shardKey).toBe(runs[0]!.task.shardKey);

    const second = await batch(
      runs.map((r, i) => {
        const end = answers[i]!.historyEnd;
        return {
          kind: 'completeActivityTask',
          request: {
            taskToken: answers[i]!.activityTasks[0]!.taskToken,
            result: json('r1'),
            identity: 'w1',
            stickyTaskQueue: sticky(r),
            acknowledgesHandOff: true,
            workflowTaskCompletion: { commands: [{ type: 'CompleteWorkflowExecution', result: json('done') }], stickyAttributes: { workerTaskQueue: sticky(r) }, nextEventId: end.nextEventId, startedEventId: end.nextEventId + 3, historySizeBytes: end.historySizeBytes, time: end.time },
          },
        };
      }),
    );
    expect(second.results).toEqual([{ response: { speculation: { accepted: true } } }, { response: { speculation: { accepted: true } } }]);
    for (const r of runs) expect((await history(r.workflowId)).at(-1)?.eventType).toBe('WorkflowExecutionCompleted');
  });

  it('a bad item among good ones gets its own error; the others are applied', async () => {
    const runs = await firstTasks(idsInOneShard('batch-bad', 3));
    const [good, stale, failing] = runs;
    await completeWorkflowTask(stale!.task.taskToken, []);
    const { results } = await batch([
      { kind: 'completeWorkflowTask', request: { taskToken: good!.task.taskToken, commands: [{ type: 'CompleteWorkflowExecution', result: json('ok') }] } },
      { kind: 'completeWorkflowTask', request: { taskToken: good!.task.taskToken, commands: 'not commands' } },
      { kind: 'completeWorkflowTask', request: { taskToken: 'forged.token', commands: [] } },
      { kind: 'completeActivityTask', request: { taskToken: failing!.task.taskToken } },
      { kind: 'completeWorkflowTask', request: { taskToken: stale!.task.taskToken, commands: [] } },
      { kind: 'no such kind', request: {} },
      { kind: 'failWorkflowTask', request: { taskToken: failing!.task.taskToken, failure: { message: 'workflow code threw' } } },
    ]);
    expect(results.map((r) => r.error?.code ?? 'ok')).toEqual(['ok', 'INVALID_ARGUMENT', 'INVALID_TASK_TOKEN', 'INVALID_TASK_TOKEN', 'TASK_NOT_FOUND', 'INVALID_ARGUMENT', 'ok']);
    expect(results[1]!.error!.message).toMatch(/items\.1\.request\.commands/);
    expect((await history(good!.workflowId)).at(-1)?.eventType).toBe('WorkflowExecutionCompleted');
    expect((await history(failing!.workflowId)).map((e) => e.eventType)).toContain('WorkflowTaskFailed');
  });

  it('items of several shards: one RPC to each object that keeps one, each answered', async () => {
    const a = idsInOneShard('batch-a', 1);
    let b = idsInOneShard('batch-b', 1);
    while (shards > 0 && shardOf(b[0]!, shards) === shardOf(a[0]!, shards)) b = idsInOneShard('batch-b', 1);
    const runs = await firstTasks([...a, ...b]);
    const seen = await Promise.all(runs.map((r) => watchObject([r.workflowId])));
    const { results } = await batch(runs.map((r) => ({ kind: 'completeWorkflowTask', request: { taskToken: r.task.taskToken, commands: [{ type: 'CompleteWorkflowExecution' }] } })));
    expect(results).toEqual([{ response: {} }, { response: {} }]);
    expect(seen.map((s) => s.callMany)).toEqual([1, 1]);
    for (const r of runs) expect((await history(r.workflowId)).at(-1)?.eventType).toBe('WorkflowExecutionCompleted');
  });

  it(`refuses more than ${Limits.maxTasksPerBatch} items, and none, with INVALID_ARGUMENT`, async () => {
    const item = { kind: 'failWorkflowTask', request: { taskToken: 'x.y', failure: { message: 'm' } } };
    expectError(await call('POST', '/tasks/batch', { items: Array.from({ length: Limits.maxTasksPerBatch + 1 }, () => item) }), 'INVALID_ARGUMENT', /items/);
    expectError(await call('POST', '/tasks/batch', { items: [] }), 'INVALID_ARGUMENT', /items/);
    // The bound itself is taken.
    const { results } = await batch(Array.from({ length: Limits.maxTasksPerBatch }, () => item));
    expect(results.every((r) => r.error?.code === 'INVALID_TASK_TOKEN')).toBe(true);
  });
});
