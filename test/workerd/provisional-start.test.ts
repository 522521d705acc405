/**
 * A provisional start (protocol 9, src/workflow-object/provisional.ts): the run of a client's `execute`
 * is held in memory while its own worker runs it, and written — once, whatever changed meanwhile — by
 * the change that closes it, by anything else that reaches it, by a timer or a task it needs the alarm
 * or a queue for, or at the end of its hold. Lost with its object before then, it was never there.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { WorkflowTask } from '../../protocol/index.js';
import { workflowObjectStub } from '../../src/stubs.js';
import type { WorkflowObject } from '../../src/workflow-object.js';
import { PROVISIONAL_MS } from '../../src/workflow-object/provisional.js';
import { NS, call, completeWorkflowTask, expectError, json, ok, restart, rowsWrittenBy, scheduleActivityCommand, startWorkflow, storedState, shardMates, testEnv, unique } from './helpers.js';

type StartAnswer = { runId: string; started: boolean; provisional?: string; eagerWorkflowTask?: WorkflowTask };

/** A client's execute with a worker beside it: an eager, provisional start. */
const execute = (workflowId: string, extra: Record<string, unknown> = {}) =>
  startWorkflow(workflowId, unique('prov-tq'), { requestEagerExecution: true, identity: 'local-worker', provisional: true, ...extra }) as Promise<StartAnswer>;

/** The run rows of the workflow as stored (read from SQL directly: reaching the workflow would write it). */
const storedRuns = async (workflowId: string) => (await storedState(workflowId)).runs;

/** Counts the rows the shard that keeps `workflowId` writes while `fn` runs (what Cloudflare bills). */
async function rowsWritten(workflowId: string, fn: () => Promise<unknown>): Promise<number> {
  const sql = await runInDurableObject(workflowObjectStub(testEnv, NS, workflowId), (_o: WorkflowObject, state) => state.storage.sql);
  return (await rowsWrittenBy(sql, fn)).written;
}

/** Waits (bounded) until the workflow's run row is on disk, and answers what is stored. */
async function written(workflowId: string) {
  const deadline = Date.now() + 10 * PROVISIONAL_MS;
  for (;;) {
    const stored = await storedState(workflowId);
    if (stored.runs.length > 0) return stored;
    if (Date.now() > deadline) throw new Error(`${workflowId} was not written within ${10 * PROVISIONAL_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a provisional start', () => {
  it('is held in memory while its worker runs it, and written once, by the change that closes it', async () => {
    // The second of two workflows of a shard: the shard's own first rows (its schema, its day's table) are the first's.
    const [warm, workflowId] = shardMates('prov-close', 2) as [string, string];
    await completeWorkflowTask((await execute(warm)).eagerWorkflowTask!.taskToken, [{ type: 'CompleteWorkflowExecution' }]);
    let started!: StartAnswer;
    const written = await rowsWritten(workflowId, async () => {
      started = await execute(workflowId);
      expect(started).toMatchObject({ started: true, provisional: expect.any(String) });
      expect(await storedRuns(workflowId)).toEqual([]);
      await completeWorkflowTask(started.eagerWorkflowTask!.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }]);
    });
    const runs = await storedRuns(workflowId);
    expect(runs).toHaveLength(1);
    // The run's one row, its list entry in the same statement; its history in the row's tail.
    expect(written).toBe(1);
    const result = await ok<{ events: Array<{ eventType: string }> }>('GET', `/workflows/${workflowId}/history`, { runId: started.runId });
    expect(result.events.map((e) => e.eventType)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted', 'WorkflowTaskCompleted', 'WorkflowExecutionCompleted']);
  });

  it('stays held through its worker\'s exchanges: a workflow task that starts an activity eagerly', async () => {
    const workflowId = unique('prov-activity');
    const started = await execute(workflowId);
    const answer = (await completeWorkflowTask(started.eagerWorkflowTask!.taskToken, [scheduleActivityCommand('a1', { startToCloseTimeoutMs: 30_000, requestEagerExecution: true })])) as { activityTasks?: unknown[] };
    expect(answer.activityTasks).toHaveLength(1);
    expect(await storedRuns(workflowId)).toEqual([]);
  });

  it('is written before anything else reaches it: a signal, a describe, a list', async () => {
    const signalled = unique('prov-signal');
    await execute(signalled);
    await ok('POST', `/workflows/${signalled}/signal`, { signalName: 'go', input: [json(1)] });
    expect(await storedRuns(signalled)).toHaveLength(1);

    const described = unique('prov-describe');
    const { runId } = await execute(described);
    const description = await ok<{ status: string }>('GET', `/workflows/${described}`, { runId });
    expect(description.status).toBe('RUNNING');
    expect(await storedRuns(described)).toHaveLength(1);

    const listed = unique('prov-list');
    await execute(listed);
    const page = await ok<{ executions: Array<{ execution: { workflowId: string } }> }>('GET', '/workflows', { query: `WorkflowId = '${listed}'` });
    expect(page.executions.map((e) => e.execution.workflowId)).toEqual([listed]);
    expect(await storedRuns(listed)).toHaveLength(1);
  });

  it('is written at once when its run waits for a timer', async () => {
    const workflowId = unique('prov-timer');
    const started = await execute(workflowId);
    await completeWorkflowTask(started.eagerWorkflowTask!.taskToken, [{ type: 'StartTimer', timerId: 't1', startToFireTimeoutMs: Math.floor(PROVISIONAL_MS / 2) }]);
    const stored = await storedState(workflowId);
    expect(stored.runs).toHaveLength(1);
    expect(stored.alarm).not.toBeNull();
  });

  it('is written, alarm and all, when its hold ends', async () => {
    const workflowId = unique('prov-hold');
    await execute(workflowId);
    expect(await storedRuns(workflowId)).toEqual([]);
    const stored = await written(workflowId);
    // The task handed in the start's answer is still out: its acknowledgement deadline is the alarm's.
    expect(stored.alarm).not.toBeNull();
  });

  it('stays held when an exchange of its worker is refused, and goes on', async () => {
    const workflowId = unique('prov-refused');
    const started = await execute(workflowId);
    const refused = await call('POST', '/workflow-tasks/complete', { taskToken: started.eagerWorkflowTask!.taskToken, identity: 'local-worker', commands: [{ type: 'StartTimer', timerId: '', startToFireTimeoutMs: -1 }] });
    expect(refused.status).toBe(400);
    expect(await storedRuns(workflowId)).toEqual([]);
    await completeWorkflowTask(started.eagerWorkflowTask!.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('after') }]);
    expect(await storedRuns(workflowId)).toHaveLength(1);
  });

  it('is lost with its object before it is written: not found by the new memory, and a start begins the workflow again', async () => {
    const workflowId = unique('prov-lost');
    const first = await execute(workflowId);
    await restart(workflowId);
    // The result's wait is told which memory did not find it: another than the one that held it.
    const missing = expectError(await call('GET', `/workflows/${workflowId}/history`, { runId: first.runId, waitNewEvent: 'true', closeEventOnly: 'true' }), 'WORKFLOW_NOT_FOUND');
    expect(missing.details).toMatchObject({ runId: first.runId, shardMemory: expect.any(String) });
    expect(missing.details.shardMemory).not.toBe(first.provisional);
    expectError(await call('GET', `/workflows/${workflowId}`, { runId: first.runId }), 'WORKFLOW_NOT_FOUND');
    const again = await execute(workflowId);
    expect(again).toMatchObject({ started: true, provisional: expect.any(String) });
    expect(again.runId).not.toBe(first.runId);
  });

  it('deleted once written, is not found by the memory that held it: deleted, not lost', async () => {
    const workflowId = unique('prov-deleted');
    const started = await execute(workflowId);
    await ok('GET', `/workflows/${workflowId}`, { runId: started.runId });
    await ok('POST', `/workflows/${workflowId}/delete`, { runId: started.runId, reason: 'cleanup' });
    const missing = expectError(await call('GET', `/workflows/${workflowId}/history`, { runId: started.runId, waitNewEvent: 'true', closeEventOnly: 'true' }), 'WORKFLOW_NOT_FOUND');
    expect(missing.details.shardMemory).toBe(started.provisional);
  });

  it('is not held when the workflow id is already in use, nor without the request', async () => {
    const workflowId = unique('prov-existing');
    const first = await execute(workflowId);
    await ok('POST', `/workflows/${workflowId}/signal`, { signalName: 'go' });
    const existing = await execute(workflowId, { workflowIdConflictPolicy: 'USE_EXISTING' });
    expect(existing).toMatchObject({ runId: first.runId, started: false });
    expect(existing.provisional).toBeUndefined();

    const plain = unique('prov-plain');
    const answer = (await startWorkflow(plain, unique('prov-tq'), { requestEagerExecution: true })) as StartAnswer;
    expect(answer.provisional).toBeUndefined();
    expect(await storedRuns(plain)).toHaveLength(1);
  });
});
