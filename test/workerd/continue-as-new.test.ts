/**
 * Continue-as-new in the engine: the command closes the run with WorkflowExecutionContinuedAsNew
 * (CONTINUED_AS_NEW) and starts the next run with a fresh history in the same transaction,
 * keeping the chain and, unless overridden, type, queue, timeouts, memo and search attributes;
 * the visibility store sees both runs.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from '../../protocol/index.js';
import {
  completeWorkflowTask,
  eventTypes,
  expectError,
  getDescription,
  history,
  json,
  call,
  pollWorkflowTask,
  sendSignal,
  startWorkflow,
  unique,
} from './helpers.js';
import { Space } from './visibility-helpers.js';

const continueAsNew = (extra: Partial<Extract<Command, { type: 'ContinueAsNewWorkflowExecution' }>> = {}): Command => ({
  type: 'ContinueAsNewWorkflowExecution',
  input: [json('next')],
  ...extra,
});

describe('continue-as-new', () => {
  it('closes the run with WorkflowExecutionContinuedAsNew and starts the next with a fresh history, chain and options kept', async () => {
    const workflowId = unique('can');
    const taskQueue = unique('can-tq');
    const memo = { m: json('memo') };
    const { runId } = await startWorkflow(workflowId, taskQueue, { memo, searchAttributes: { CustomKeywordField: 'k' }, workflowRunTimeoutMs: 60_000, workflowExecutionTimeoutMs: 3_600_000 });
    const task = (await pollWorkflowTask(taskQueue))!;
    await completeWorkflowTask(task.taskToken, [continueAsNew()]);

    const old = await history(workflowId, runId);
    const close = old.at(-1)!;
    expect(close).toMatchObject({
      eventType: 'WorkflowExecutionContinuedAsNew',
      attributes: { workflowType: 'order', taskQueue, input: [json('next')], workflowRunTimeoutMs: 60_000, workflowTaskCompletedEventId: close.eventId - 1 },
    });
    const newRunId = (close.attributes as { newExecutionRunId: string }).newExecutionRunId;
    expect(newRunId).not.toBe(runId);
    expect((await getDescription(workflowId, runId)).status).toBe('CONTINUED_AS_NEW');

    const next = await history(workflowId);
    expect(eventTypes(next)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);
    expect(next[0]!.attributes).toMatchObject({
      workflowType: 'order',
      taskQueue,
      input: [json('next')],
      firstExecutionRunId: runId,
      continuedExecutionRunId: runId,
      originalExecutionRunId: newRunId,
      memo,
      searchAttributes: { CustomKeywordField: 'k' },
      workflowRunTimeoutMs: 60_000,
      workflowExecutionTimeoutMs: 3_600_000,
      attempt: 1,
    });
    // The execution's deadline belongs to the chain: the same as the first run's.
    expect((next[0]!.attributes as { workflowExecutionExpirationTime: string }).workflowExecutionExpirationTime).toBe(
      (old[0]!.attributes as { workflowExecutionExpirationTime: string }).workflowExecutionExpirationTime,
    );
    const nextTask = (await pollWorkflowTask(taskQueue))!;
    expect(nextTask.workflowExecution.runId).toBe(newRunId);
    expect((await getDescription(workflowId)).status).toBe('RUNNING');
  });

  it('takes the type, queue, timeouts, memo, search attributes and start backoff from the command when given', async () => {
    const workflowId = unique('can-override');
    const taskQueue = unique('can-tq');
    const otherQueue = unique('can-other');
    await startWorkflow(workflowId, taskQueue, { memo: { m: json(1) } });
    const task = (await pollWorkflowTask(taskQueue))!;
    await completeWorkflowTask(task.taskToken, [
      continueAsNew({ workflowType: 'other', taskQueue: otherQueue, workflowTaskTimeoutMs: 5_000, memo: { n: json(2) }, searchAttributes: { CustomIntField: 3 }, backoffStartIntervalMs: 1_000 }),
    ]);
    const next = await history(workflowId);
    expect(next[0]!.attributes).toMatchObject({ workflowType: 'other', taskQueue: otherQueue, workflowTaskTimeoutMs: 5_000, memo: { n: json(2) }, searchAttributes: { CustomIntField: 3 }, firstWorkflowTaskBackoffMs: 1_000 });
    expect(eventTypes(next)).toEqual(['WorkflowExecutionStarted']);
  });

  it('must be the last command; a signal that arrived during the task fails it (UNHANDLED_COMMAND) and nothing continues', async () => {
    const workflowId = unique('can-signal');
    const taskQueue = unique('can-tq');
    const { runId } = await startWorkflow(workflowId, taskQueue);
    const task = (await pollWorkflowTask(taskQueue))!;
    expectError(await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands: [continueAsNew(), { type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 10 }] }), 'BAD_COMMAND');
    await sendSignal(workflowId);
    await completeWorkflowTask(task.taskToken, [continueAsNew()]);
    const events = await history(workflowId);
    expect(eventTypes(events)).toContain('WorkflowTaskFailed');
    expect(eventTypes(events)).not.toContain('WorkflowExecutionContinuedAsNew');
    expect(await getDescription(workflowId)).toMatchObject({ status: 'RUNNING', execution: { runId } });
  });

  it('the visibility store sees both runs', async () => {
    const space = new Space();
    const first = await space.start('chain');
    await space.completeTask('chain', [continueAsNew()]);
    const statuses = (await space.list("WorkflowId = 'chain'")).executions.map((e) => [e.execution.runId === first, e.status]);
    expect(statuses).toHaveLength(2);
    expect((await space.count("ExecutionStatus = 'ContinuedAsNew'")).count).toBe(1);
    expect((await space.count("ExecutionStatus = 'Running'")).count).toBe(1);
  });
});
