/**
 * A run that times out (workflowRunTimeout) is retried by the workflow retry policy as Temporal's
 * server does, and the execution timeout still bounds the whole chain.
 */
import { describe, expect, it } from 'vitest';
import { advance, completeWorkflowTask, eventTypes, getDescription, history, json, pollWorkflowTask, startAndTakeFirstTask } from './helpers.js';

const retryPolicy = { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumAttempts: 3 };

describe('workflow retry on run timeout', () => {
  it('retries a timed-out run as a new run after the back-off, with the run timeout counted from its first task', async () => {
    const { workflowId, taskQueue, runId, task } = await startAndTakeFirstTask('rt-retry', { retryPolicy, workflowRunTimeoutMs: 60_000 });
    await completeWorkflowTask(task.taskToken, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 3_600_000 }]);
    await advance(workflowId, 60_000);

    const close = (await history(workflowId, runId)).at(-1)!;
    expect(close).toMatchObject({ eventType: 'WorkflowExecutionTimedOut', attributes: { retryState: 'IN_PROGRESS', newExecutionRunId: expect.any(String) } });
    const secondRunId = (close.attributes as { newExecutionRunId: string }).newExecutionRunId;
    expect((await getDescription(workflowId, runId)).status).toBe('TIMED_OUT');
    const second = await history(workflowId);
    expect(eventTypes(second)).toEqual(['WorkflowExecutionStarted']);
    expect(second[0]!.attributes).toMatchObject({
      attempt: 2,
      input: [json('x')],
      continuedExecutionRunId: runId,
      initiator: 'RETRY',
      firstWorkflowTaskBackoffMs: 1_000,
      workflowRunTimeoutMs: 60_000,
      continuedFailure: { timeoutFailureInfo: { timeoutType: 'START_TO_CLOSE' } },
    });

    // The second run's own timeout starts when its first task is due, after the back-off.
    await advance(workflowId, 1_000);
    const retried = (await pollWorkflowTask(taskQueue))!;
    expect(retried.workflowExecution.runId).toBe(secondRunId);
    await completeWorkflowTask(retried.taskToken, []);
    await advance(workflowId, 59_999);
    expect((await getDescription(workflowId)).status).toBe('RUNNING');
    await advance(workflowId, 1);
    expect((await history(workflowId, secondRunId)).at(-1)).toMatchObject({ eventType: 'WorkflowExecutionTimedOut', attributes: { retryState: 'IN_PROGRESS' } });

    // The third attempt is the last one the policy allows.
    await advance(workflowId, 2_000);
    await completeWorkflowTask((await pollWorkflowTask(taskQueue))!.taskToken, []);
    await advance(workflowId, 60_000);
    const last = (await history(workflowId)).at(-1)!;
    expect(last).toMatchObject({ eventType: 'WorkflowExecutionTimedOut', attributes: { retryState: 'MAXIMUM_ATTEMPTS_REACHED' } });
    expect(last.attributes).not.toHaveProperty('newExecutionRunId');
  });

  it('does not retry past the execution timeout, which ends the whole chain', async () => {
    const { workflowId, taskQueue, runId, task } = await startAndTakeFirstTask('rt-exec', { retryPolicy: { initialIntervalMs: 1_000, backoffCoefficient: 1 }, workflowRunTimeoutMs: 10_000, workflowExecutionTimeoutMs: 25_000 });
    await completeWorkflowTask(task.taskToken, []);
    await advance(workflowId, 10_000);
    expect((await history(workflowId, runId)).at(-1)).toMatchObject({ attributes: { retryState: 'IN_PROGRESS' } });
    await advance(workflowId, 1_000);
    await completeWorkflowTask((await pollWorkflowTask(taskQueue))!.taskToken, []);
    // The second run's run timeout would be at 21 s; the third attempt would start at 22 s, its run timeout at 32 s —
    // the execution timeout (25 s) closes it without a fourth.
    await advance(workflowId, 10_000);
    await advance(workflowId, 1_000);
    await completeWorkflowTask((await pollWorkflowTask(taskQueue))!.taskToken, []);
    await advance(workflowId, 3_000);
    const last = (await history(workflowId)).at(-1)!;
    expect(last).toMatchObject({ eventType: 'WorkflowExecutionTimedOut', attributes: { retryState: 'TIMEOUT' } });
    expect(last.attributes).not.toHaveProperty('newExecutionRunId');
    expect((await getDescription(workflowId)).status).toBe('TIMED_OUT');
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
  });
});
