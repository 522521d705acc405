/**
 * The workflow retry policy: a failed run with a retryable failure is retried as a new run of the
 * same chain (attempt + 1) after the policy's back-off; maximum attempts and non-retryable
 * failures end the chain.
 */
import { describe, expect, it } from 'vitest';
import type { Failure } from '../../protocol/index.js';
import { advance, completeWorkflowTask, eventTypes, getDescription, history, json, pollWorkflowTask, startAndTakeFirstTask } from './helpers.js';

const failure: Failure = { message: 'boom', applicationFailureInfo: { type: 'Oops' } };
const retryPolicy = { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumAttempts: 2 };

describe('workflow retry policy', () => {
  it('retries a failed run as a new run after the back-off, then stops at maximumAttempts', async () => {
    const { workflowId, taskQueue, runId, task } = await startAndTakeFirstTask('wf-retry', { retryPolicy, memo: { m: json(1) } });
    await completeWorkflowTask(task.taskToken, [{ type: 'FailWorkflowExecution', failure }]);

    const first = await history(workflowId, runId);
    const close = first.at(-1)!;
    expect(close).toMatchObject({ eventType: 'WorkflowExecutionFailed', attributes: { retryState: 'IN_PROGRESS', newExecutionRunId: expect.any(String) } });
    const secondRunId = (close.attributes as { newExecutionRunId: string }).newExecutionRunId;
    expect((await getDescription(workflowId, runId)).status).toBe('FAILED');

    const second = await history(workflowId);
    expect(eventTypes(second)).toEqual(['WorkflowExecutionStarted']);
    expect(second[0]!.attributes).toMatchObject({
      attempt: 2,
      input: [json('x')],
      firstExecutionRunId: runId,
      continuedExecutionRunId: runId,
      firstWorkflowTaskBackoffMs: 1_000,
      retryPolicy,
      memo: { m: json(1) },
    });
    expect(await pollWorkflowTask(taskQueue, 0)).toBeUndefined();
    await advance(workflowId, 1_000);
    const retried = (await pollWorkflowTask(taskQueue))!;
    expect(retried.workflowExecution.runId).toBe(secondRunId);
    await completeWorkflowTask(retried.taskToken, [{ type: 'FailWorkflowExecution', failure }]);
    expect((await history(workflowId, secondRunId)).at(-1)).toMatchObject({ eventType: 'WorkflowExecutionFailed', attributes: { retryState: 'MAXIMUM_ATTEMPTS_REACHED' } });
    expect((await history(workflowId, secondRunId)).at(-1)!.attributes).not.toHaveProperty('newExecutionRunId');
  });

  it('does not retry a non-retryable failure, or a failure type the policy lists', async () => {
    const a = await startAndTakeFirstTask('wf-retry-nonretryable', { retryPolicy });
    await completeWorkflowTask(a.task.taskToken, [{ type: 'FailWorkflowExecution', failure: { message: 'no', applicationFailureInfo: { type: 'X', nonRetryable: true } } }]);
    expect((await history(a.workflowId)).at(-1)).toMatchObject({ attributes: { retryState: 'NON_RETRYABLE_FAILURE' } });

    const b = await startAndTakeFirstTask('wf-retry-listed', { retryPolicy: { ...retryPolicy, nonRetryableErrorTypes: ['Oops'] } });
    await completeWorkflowTask(b.task.taskToken, [{ type: 'FailWorkflowExecution', failure }]);
    expect((await history(b.workflowId)).at(-1)).toMatchObject({ attributes: { retryState: 'NON_RETRYABLE_FAILURE' } });
  });
});
