/**
 * Update-with-start in the service: the start (or the choice of the running run) is one
 * transaction, then the update goes to that run through the usual validation and acceptance.
 * With conflict policy FAIL a running workflow refuses the whole call and nothing is written.
 */
import { describe, expect, it } from 'vitest';
import type { WorkflowTask } from '../../protocol/index.js';
import { call, completeWorkflowTask, eventTypes, history, json, ok, pollWorkflowTask, settle, startAndCompleteFirstTask, storedState, unique } from './helpers.js';

const updateWithStart = (wid: string, tq: string, policy: string | undefined, updateId: string) =>
  call('POST', `/workflows/${wid}/update-with-start`, {
    start: { workflowType: 'cart', taskQueue: tq, input: [json('user-7')], ...(policy ? { workflowIdConflictPolicy: policy } : {}) },
    update: { updateId, name: 'addItem', args: [json('book')], waitForStage: 'ACCEPTED' },
  });
const respond = (taskToken: string) => ok('POST', '/query-tasks/respond', { taskToken });

/** Polls the queue until the update's validation task comes; a workflow task met on the way is returned too. */
async function validationTask(tq: string): Promise<{ validation: WorkflowTask; workflowTask?: WorkflowTask }> {
  let workflowTask: WorkflowTask | undefined;
  for (let i = 0; i < 3; i++) {
    const task = await pollWorkflowTask(tq, 2000);
    if (task?.update) return { validation: task, ...(workflowTask ? { workflowTask } : {}) };
    if (task) workflowTask = task;
  }
  throw new Error('no validation task came');
}

describe('update-with-start', () => {
  it('starts a workflow that does not run, then validates and accepts the update on the new run', async () => {
    const wid = unique('uws-new');
    const tq = unique('tq');
    const asked = updateWithStart(wid, tq, 'USE_EXISTING', 'u1');
    const { validation, workflowTask } = await validationTask(tq);
    expect(validation.update).toEqual({ updateId: 'u1', name: 'addItem', args: [json('book')] });
    await respond(validation.taskToken);
    const res = await asked;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ started: true, update: { updateId: 'u1', stage: 'ACCEPTED' } });
    expect(res.body.update.runId).toBe(res.body.runId);
    // A first workflow task already running holds the accepted event back until it completes.
    if (workflowTask) await completeWorkflowTask(workflowTask.taskToken, []);
    await settle(wid);
    const types = eventTypes(await history(wid));
    expect(types[0]).toBe('WorkflowExecutionStarted');
    expect(types).toContain('WorkflowExecutionUpdateAccepted');
  });

  it('with USE_EXISTING, sends the update to the running run without starting another', async () => {
    const wid = unique('uws-existing');
    const tq = unique('tq');
    const { runId } = await startAndCompleteFirstTask(wid, tq);
    const asked = updateWithStart(wid, tq, 'USE_EXISTING', 'u2');
    const { validation } = await validationTask(tq);
    expect(validation.workflowExecution.runId).toBe(runId);
    await respond(validation.taskToken);
    const res = await asked;
    expect(res.body).toMatchObject({ runId, started: false, update: { updateId: 'u2', runId, stage: 'ACCEPTED' } });
    expect(eventTypes(await history(wid)).filter((t) => t === 'WorkflowExecutionStarted')).toHaveLength(1);
  });

  it('with FAIL, a running workflow refuses the call and nothing is written or validated', async () => {
    const wid = unique('uws-fail');
    const tq = unique('tq');
    const { runId } = await startAndCompleteFirstTask(wid, tq);
    const before = await storedState(wid);
    const res = await updateWithStart(wid, tq, 'FAIL', 'u3');
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'WORKFLOW_ALREADY_STARTED', details: { runId } });
    expect(await storedState(wid)).toEqual(before);
    expect(await pollWorkflowTask(tq, 200)).toBeUndefined();
  });

  it('requires a conflict policy, as Temporal does', async () => {
    const res = await updateWithStart(unique('uws-nopolicy'), unique('tq'), undefined, 'u4');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_ARGUMENT');
  });
});
