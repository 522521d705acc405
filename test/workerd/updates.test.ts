/**
 * Updates in the service: validation as a query-like task that writes nothing, acceptance in one
 * transaction (buffered behind a running workflow task), completion by command, update ids that
 * make a retry harmless, closed runs, and no worker.
 */
import { describe, expect, it } from 'vitest';
import { Limits, type HistoryEvent } from '../../protocol/index.js';
import { OFFER_HOLD_MS } from '../../src/engine/run-state.js';
import {
  advance,
  call,
  completeWorkflowTask,
  eventTypes,
  expectError,
  fromJson,
  history,
  json,
  ok,
  pollWorkflowTask,
  settle,
  startAndCompleteFirstTask,
  startWorkflow,
  storedState,
  unique,
} from './helpers.js';

const update = (wid: string, body: Record<string, unknown>) => call('POST', `/workflows/${wid}/updates`, { name: 'add', args: [json(1)], ...body });
const respond = (taskToken: string, body: Record<string, unknown> = {}) => ok('POST', '/query-tasks/respond', { taskToken, ...body });
const accepted = (events: HistoryEvent[]) => events.filter((e) => e.eventType === 'WorkflowExecutionUpdateAccepted');

describe('updates', () => {
  it('an update its validator rejects is answered with the failure and changes nothing in storage', async () => {
    const wid = unique('upd-reject');
    const tq = unique('tq');
    await startAndCompleteFirstTask(wid, tq);
    const before = await storedState(wid);

    const asked = update(wid, { updateId: 'u1' });
    const task = (await pollWorkflowTask(tq, 2000))!;
    expect(task.update).toEqual({ updateId: 'u1', name: 'add', args: [json(1)] });
    expect(task.query).toBeUndefined();
    await respond(task.taskToken, { failure: { message: 'amount must be positive' } });
    const res = await asked;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ updateId: 'u1', stage: 'COMPLETED', outcome: { failure: { message: 'amount must be positive' } } });
    expect(await storedState(wid)).toEqual(before);
  });

  it('an accepted update is written as WorkflowExecutionUpdateAccepted; its CompleteWorkflowUpdate command writes the outcome the caller gets', async () => {
    const wid = unique('upd-accept');
    const tq = unique('tq');
    const { runId } = await startAndCompleteFirstTask(wid, tq);
    const asked = update(wid, { updateId: 'u2', identity: 'caller-1' });
    await respond((await pollWorkflowTask(tq, 2000))!.taskToken);

    const wt = (await pollWorkflowTask(tq, 2000))!;
    const acc = accepted(wt.history)[0]!;
    expect(acc.attributes).toMatchObject({
      protocolInstanceId: 'u2',
      acceptedRequest: { meta: { updateId: 'u2', identity: 'caller-1' }, input: { name: 'add', args: [json(1)] } },
    });
    expect(eventTypes(wt.history).slice(-3)).toEqual(['WorkflowExecutionUpdateAccepted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
    await completeWorkflowTask(wt.taskToken, [{ type: 'CompleteWorkflowUpdate', updateId: 'u2', outcome: { success: json(11) } }]);
    const res = await asked;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ updateId: 'u2', runId, stage: 'COMPLETED' });
    expect(fromJson(res.body.outcome.success)).toBe(11);
    const completed = (await history(wid)).at(-1)!;
    expect(completed).toMatchObject({ eventType: 'WorkflowExecutionUpdateCompleted', attributes: { meta: { updateId: 'u2' }, acceptedEventId: acc.eventId } });

    // The same id again: the first outcome, nothing written, no validation task.
    const before = await storedState(wid);
    const again = await update(wid, { updateId: 'u2', args: [json(99)] });
    expect(fromJson(again.body.outcome.success)).toBe(11);
    const polled = await ok('POST', `/workflows/${wid}/updates/u2/poll`, {});
    expect(fromJson(polled.outcome.success)).toBe(11);
    expect(await storedState(wid)).toEqual(before);
  });

  it('an update accepted while a workflow task runs is buffered and written after that task completes', async () => {
    const wid = unique('upd-buffered');
    const tq = unique('tq');
    await startWorkflow(wid, tq);
    const first = (await pollWorkflowTask(tq, 2000))!;

    const asked = update(wid, { updateId: 'u3', waitForStage: 'ACCEPTED' });
    await respond((await pollWorkflowTask(tq, 2000))!.taskToken);
    expect((await asked).body).toMatchObject({ updateId: 'u3', stage: 'ACCEPTED' });
    expect(accepted(await history(wid))).toEqual([]);

    await completeWorkflowTask(first.taskToken, []);
    await settle(wid);
    expect(eventTypes(await history(wid))).toEqual([
      'WorkflowExecutionStarted',
      'WorkflowTaskScheduled',
      'WorkflowTaskStarted',
      'WorkflowTaskCompleted',
      'WorkflowExecutionUpdateAccepted',
      'WorkflowTaskScheduled',
    ]);
    const second = (await pollWorkflowTask(tq, 2000))!;
    await completeWorkflowTask(second.taskToken, [{ type: 'CompleteWorkflowUpdate', updateId: 'u3', outcome: { failure: { message: 'handler failed' } } }]);
    expect((await history(wid)).at(-1)).toMatchObject({ eventType: 'WorkflowExecutionUpdateCompleted', attributes: { acceptedEventId: 5, outcome: { failure: { message: 'handler failed' } } } });
  });

  it('the same update id sent while its validator runs joins the first: one validation, one accepted event', async () => {
    const wid = unique('upd-dup');
    const tq = unique('tq');
    await startAndCompleteFirstTask(wid, tq);
    const one = update(wid, { updateId: 'u4', waitForStage: 'ACCEPTED' });
    const task = (await pollWorkflowTask(tq, 2000))!;
    const two = update(wid, { updateId: 'u4', waitForStage: 'ACCEPTED' });
    await respond(task.taskToken);
    expect((await one).body.stage).toBe('ACCEPTED');
    expect((await two).body.stage).toBe('ACCEPTED');
    expect(accepted(await history(wid))).toHaveLength(1);
  });

  it('a closed run refuses updates; waiters of an accepted update get WORKFLOW_NOT_RUNNING when the run closes first', async () => {
    const wid = unique('upd-closed');
    const tq = unique('tq');
    await startAndCompleteFirstTask(wid, tq);
    const asked = update(wid, { updateId: 'u5', waitForStage: 'ACCEPTED' });
    await respond((await pollWorkflowTask(tq, 2000))!.taskToken);
    await asked;
    await ok('POST', `/workflows/${wid}/terminate`, { reason: 'done' });
    expectError(await call('POST', `/workflows/${wid}/updates/u5/poll`, {}), 'WORKFLOW_NOT_RUNNING', /closed \(TERMINATED\) before update 'u5' completed/);
    const before = await storedState(wid);
    expectError(await update(wid, { updateId: 'u6' }), 'WORKFLOW_NOT_RUNNING', /only a running workflow takes updates/);
    expect(await storedState(wid)).toEqual(before);
  });

  it('a workflow task that tries to close while an update was accepted behind it fails, so the workflow sees the update first', async () => {
    const wid = unique('upd-close-race');
    const tq = unique('tq');
    await startWorkflow(wid, tq);
    const first = (await pollWorkflowTask(tq, 2000))!;
    const asked = update(wid, { updateId: 'u8', waitForStage: 'ACCEPTED' });
    await respond((await pollWorkflowTask(tq, 2000))!.taskToken);
    await asked;
    await completeWorkflowTask(first.taskToken, [{ type: 'CompleteWorkflowExecution' }]);
    await settle(wid);
    expect(eventTypes(await history(wid)).slice(3)).toEqual(['WorkflowTaskFailed', 'WorkflowExecutionUpdateAccepted', 'WorkflowTaskScheduled']);
    const second = (await pollWorkflowTask(tq, 2000))!;
    await completeWorkflowTask(second.taskToken, [{ type: 'CompleteWorkflowUpdate', updateId: 'u8', outcome: { success: json('ok') } }, { type: 'CompleteWorkflowExecution' }]);
    const done = await ok('POST', `/workflows/${wid}/updates/u8/poll`, {});
    expect(fromJson(done.outcome.success)).toBe('ok');
  });

  it('continuing as new with an accepted update still running answers its waiters WORKFLOW_NOT_RUNNING', async () => {
    const wid = unique('upd-can');
    const tq = unique('tq');
    const { runId } = await startAndCompleteFirstTask(wid, tq);
    const asked = update(wid, { updateId: 'u9', waitForStage: 'ACCEPTED' });
    await respond((await pollWorkflowTask(tq, 2000))!.taskToken);
    await asked;
    const wt = (await pollWorkflowTask(tq, 2000))!;
    await completeWorkflowTask(wt.taskToken, [{ type: 'ContinueAsNewWorkflowExecution', input: [] }]);
    expectError(await call('POST', `/workflows/${wid}/updates/u9/poll`, { runId }), 'WORKFLOW_NOT_RUNNING', /closed \(CONTINUED_AS_NEW\) before update 'u9' completed/);
  });

  it('bad requests change nothing: an unknown update id to poll, a command completing an update that was not accepted', async () => {
    const wid = unique('upd-bad');
    const tq = unique('tq');
    await startWorkflow(wid, tq);
    expectError(await call('POST', `/workflows/${wid}/updates/nope/poll`, {}), 'UPDATE_NOT_FOUND', /accepted no update with id 'nope'/);
    const task = (await pollWorkflowTask(tq, 2000))!;
    const before = await storedState(wid);
    expectError(
      await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands: [{ type: 'CompleteWorkflowUpdate', updateId: 'ghost', outcome: {} }] }),
      'BAD_COMMAND',
      /no accepted update has id 'ghost'/,
    );
    expect(await storedState(wid)).toEqual(before);
    expectError(await update(wid, { updateId: 'x', waitForStage: 'SOMETIME' }), 'INVALID_ARGUMENT', /waitForStage/);
  });

  it('with no worker polling, an update fails with UPDATE_TIMEOUT after the long-poll limit and writes nothing', async () => {
    const wid = unique('upd-no-worker');
    const tq = unique('tq');
    await startWorkflow(wid, tq);
    await settle(wid);
    // The first task's offer (src/engine/task-offer.ts) found no poll; past its hand-off window it waits as any task.
    await advance(wid, OFFER_HOLD_MS + Limits.handOffAckMs);
    const before = await storedState(wid);
    expectError(await update(wid, { updateId: 'u7' }), 'UPDATE_TIMEOUT', new RegExp(`No worker validated update 'add' \\(id 'u7'\\).*task queue '${tq}'`));
    expect(await storedState(wid)).toEqual(before);
  });
});

describe('updates across continue-as-new', () => {
  it('an update still being validated when its run continues as new is validated and accepted on the new run, as in Temporal', async () => {
    const wid = unique('upd-can');
    const tq = unique('tq');
    const { runId: firstRunId } = await startAndCompleteFirstTask(wid, tq);
    await ok('POST', `/workflows/${wid}/signal`, { signalName: 'go', input: [] });
    await settle(wid);
    const wt = (await pollWorkflowTask(tq, 2000))!;

    const asked = update(wid, { updateId: 'u-can', waitForStage: 'ACCEPTED' });
    const validation = (await pollWorkflowTask(tq, 2000))!;
    expect(validation.update?.updateId).toBe('u-can');
    expect(validation.workflowExecution.runId).toBe(firstRunId);
    // The run continues as new while the validator runs; its pass comes too late for this run.
    await completeWorkflowTask(wt.taskToken, [{ type: 'ContinueAsNewWorkflowExecution', input: [] }]);
    await respond(validation.taskToken);

    // The update is validated again, now against the new run, and accepted there.
    let again: Awaited<ReturnType<typeof pollWorkflowTask>>;
    for (;;) {
      again = (await pollWorkflowTask(tq, 2000))!;
      if (again.update) break;
      await completeWorkflowTask(again.taskToken, []);
    }
    expect(again.update?.updateId).toBe('u-can');
    const newRunId = again.workflowExecution.runId;
    expect(newRunId).not.toBe(firstRunId);
    await respond(again.taskToken);
    const res = await asked;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ updateId: 'u-can', runId: newRunId, stage: 'ACCEPTED' });
    expect(accepted(await history(wid, newRunId))).toHaveLength(1);
    expect(accepted(await history(wid, firstRunId))).toHaveLength(0);
  });
});
