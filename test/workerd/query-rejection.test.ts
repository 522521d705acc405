/**
 * The service's side of the rest of queries: reject conditions answered without a worker, and a
 * worker's "no handler" answer told apart from a handler's failure.
 */
import { describe, expect, it } from 'vitest';
import { call, expectError, ok, pollWorkflowTask, startAndCompleteFirstTask, storedState, unique } from './helpers.js';

describe('query reject conditions and errors', () => {
  it('NOT_OPEN refuses a closed run and NOT_COMPLETED_CLEANLY a terminated one, with the status, asking no worker', async () => {
    const wid = unique('q-reject');
    const tq = unique('tq');
    await startAndCompleteFirstTask(wid, tq);
    await ok('POST', `/workflows/${wid}/terminate`, { reason: 'stop' });
    const before = await storedState(wid);
    for (const condition of ['NOT_OPEN', 'NOT_COMPLETED_CLEANLY']) {
      const err = expectError(await call('POST', `/workflows/${wid}/query`, { queryType: 'status', queryRejectCondition: condition }), 'QUERY_REJECTED', new RegExp(`rejected by condition ${condition}: .* is TERMINATED`));
      expect(err.details).toEqual({ status: 'TERMINATED', queryRejectCondition: condition });
    }
    expect(await storedState(wid)).toEqual(before);
  });

  it('NOT_COMPLETED_CLEANLY lets a query of a completed run through to a worker', async () => {
    const wid = unique('q-clean');
    const tq = unique('tq');
    await startAndCompleteFirstTask(wid, tq, [{ type: 'CompleteWorkflowExecution' }]);
    const asked = call('POST', `/workflows/${wid}/query`, { queryType: 'status', queryRejectCondition: 'NOT_COMPLETED_CLEANLY' });
    const task = (await pollWorkflowTask(tq, 2000))!;
    await ok('POST', '/query-tasks/respond', { taskToken: task.taskToken });
    expect((await asked).status).toBe(200);
  });

  it("a worker's notRegistered answer is QUERY_NOT_REGISTERED with the worker's message", async () => {
    const wid = unique('q-unregistered');
    const tq = unique('tq');
    await startAndCompleteFirstTask(wid, tq);
    const asked = call('POST', `/workflows/${wid}/query`, { queryType: 'nope' });
    const task = (await pollWorkflowTask(tq, 2000))!;
    await ok('POST', '/query-tasks/respond', { taskToken: task.taskToken, errorMessage: 'Workflow did not register a handler for nope. Registered queries: [__stack_trace]', notRegistered: true });
    expectError(await asked, 'QUERY_NOT_REGISTERED', /Registered queries: \[__stack_trace\]/);
  });
});
