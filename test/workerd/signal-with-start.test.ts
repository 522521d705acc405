/**
 * Signal-with-start (POST /workflows/{id}/signal-with-start): starts a missing workflow with the
 * signal as its first input, signals a running one, follows the reuse policy for closed ones, and
 * is harmless to retry with the same request id.
 */
import { describe, expect, it } from 'vitest';
import { shardCount } from '../../src/shard-polls.js';
import {
  call,
  completeWorkflowTask,
  eventTypes,
  expectError,
  history,
  json,
  pollWorkflowTask,
  startAndCompleteFirstTask,
  testEnv,
  unique,
} from './helpers.js';

const signalWithStart = (workflowId: string, taskQueue: string, extra: Record<string, unknown> = {}) =>
  call<{ runId: string; started: boolean }>('POST', `/workflows/${encodeURIComponent(workflowId)}/signal-with-start`, {
    workflowType: 'order',
    taskQueue,
    input: [json('x')],
    signalName: 'add',
    signalInput: [json(1)],
    ...extra,
  });

describe('signal-with-start', () => {
  it('starts a missing workflow and writes the signal before its first workflow task, which carries both', async () => {
    const workflowId = unique('sws-missing');
    const taskQueue = unique('sws-tq');
    const res = await signalWithStart(workflowId, taskQueue, { memo: { m: json('memo') } });
    expect(res.status).toBe(200);
    expect(res.body.started).toBe(true);
    const task = (await pollWorkflowTask(taskQueue))!;
    expect(task.workflowExecution.runId).toBe(res.body.runId);
    expect(eventTypes(task.history)).toEqual(['WorkflowExecutionStarted', 'WorkflowExecutionSignaled', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
    expect(task.history[0]).toMatchObject({ attributes: { workflowType: 'order', input: [json('x')], memo: { m: json('memo') } } });
    expect(task.history[1]).toMatchObject({ attributes: { signalName: 'add', input: [json(1)] } });
  });

  it('signals the running run without starting another, its start options ignored', async () => {
    const workflowId = unique('sws-running');
    const taskQueue = unique('sws-tq');
    const { runId } = await startAndCompleteFirstTask(workflowId, taskQueue);
    const res = await signalWithStart(workflowId, 'another-queue', { workflowType: 'other' });
    // Protocol 8: with shards, the answer says how many, as a start's does.
    expect(res.body).toEqual({ runId, started: false, ...shardCount(testEnv) });
    const events = await history(workflowId);
    expect(eventTypes(events).slice(4)).toEqual(['WorkflowExecutionSignaled', 'WorkflowTaskScheduled']);
    expect(events).toHaveLength(6);
  });

  it('starts a new run after a closed one, unless the reuse policy forbids it', async () => {
    const workflowId = unique('sws-closed');
    const taskQueue = unique('sws-tq');
    const { runId } = await startAndCompleteFirstTask(workflowId, taskQueue, [{ type: 'CompleteWorkflowExecution' }]);
    expectError(await signalWithStart(workflowId, taskQueue, { workflowIdReusePolicy: 'REJECT_DUPLICATE' }), 'WORKFLOW_ALREADY_STARTED');
    const res = await signalWithStart(workflowId, taskQueue);
    expect(res.body.started).toBe(true);
    expect(res.body.runId).not.toBe(runId);
  });

  it('TERMINATE_EXISTING replaces the running run; FAIL is refused', async () => {
    const workflowId = unique('sws-terminate');
    const taskQueue = unique('sws-tq');
    const { runId } = await startAndCompleteFirstTask(workflowId, taskQueue);
    expectError(await signalWithStart(workflowId, taskQueue, { workflowIdConflictPolicy: 'FAIL' }), 'INVALID_ARGUMENT');
    const res = await signalWithStart(workflowId, taskQueue, { workflowIdConflictPolicy: 'TERMINATE_EXISTING' });
    expect(res.body.started).toBe(true);
    expect(eventTypes(await history(workflowId, runId)).at(-1)).toBe('WorkflowExecutionTerminated');
  });

  it('a retry with the same request id answers the same and writes nothing more', async () => {
    const workflowId = unique('sws-retry');
    const taskQueue = unique('sws-tq');
    const first = await signalWithStart(workflowId, taskQueue, { requestId: 'req-1' });
    const again = await signalWithStart(workflowId, taskQueue, { requestId: 'req-1' });
    expect(again.body).toEqual(first.body);
    expect(await history(workflowId)).toHaveLength(3);
    const task = (await pollWorkflowTask(taskQueue))!;
    expect(eventTypes(task.history).filter((t) => t === 'WorkflowExecutionSignaled')).toHaveLength(1);
    await completeWorkflowTask(task.taskToken, []);
  });
});
