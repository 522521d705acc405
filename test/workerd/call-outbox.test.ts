/**
 * The call outbox between workflows (src/workflow-calls.ts) under failure, and childWorkflowOnly:
 * a call that keeps failing holds back only later calls to the same workflow; a signal or cancel
 * with childWorkflowOnly reaches only the sender's own children.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { WorkflowTask } from '../../protocol/index.js';
import { callRequestId } from '../../src/engine/external-calls.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { completeWorkflowTask, eventTypes, history, json, ok, pollWorkflowTask, startWorkflow, stateRows, unique, wfStub, inWorkflow, NS } from './helpers.js';

const deliverCalls = (workflowId: string) => inWorkflow(NS, workflowId, (o: WorkflowHost) => o.calls.deliverDue());
const pendingCalls = async (workflowId: string) =>
  (await stateRows(workflowId, 'c/')).map((r) => {
    const { call, attempts } = JSON.parse(r.v) as { call: { kind: string; workflowId: string }; attempts: number };
    return { ...call, attempts };
  });

async function taskOf(taskQueue: string, workflowId: string): Promise<WorkflowTask> {
  for (let i = 0; i < 10; i++) {
    const task = await pollWorkflowTask(taskQueue);
    if (!task) break;
    if (task.workflowExecution.workflowId === workflowId) return task;
    await completeWorkflowTask(task.taskToken, []);
  }
  throw new Error(`no workflow task for ${workflowId}`);
}

describe('the call outbox', () => {
  it('a call that keeps failing holds back later calls to its own target only', async () => {
    const senderId = unique('hol-sender');
    const stuckId = unique('hol-stuck');
    const otherId = unique('hol-other');
    const taskQueue = unique('hol-tq');
    await startWorkflow(stuckId, taskQueue);
    await startWorkflow(otherId, taskQueue);
    const { runId: senderRunId } = await startWorkflow(senderId, taskQueue);
    const task = await taskOf(taskQueue, senderId);
    // The first call will be initiated at event 5 (after the task's scheduled, started and completed
    // events). Its request id already names another signal at the target, so every delivery of it
    // is refused (REQUEST_ID_CONFLICT) and it is retried with back-off.
    const requestId = callRequestId({ kind: 'signal', senderRunId, initiatedEventId: 5 });
    await ok('POST', `/workflows/${stuckId}/signal`, { signalName: 'earlier', input: [], requestId });

    await completeWorkflowTask(task.taskToken, [
      { type: 'SignalExternalWorkflowExecution', execution: { workflowId: stuckId }, signalName: 'poke', input: [json(1)], control: '1' },
      { type: 'SignalExternalWorkflowExecution', execution: { workflowId: otherId }, signalName: 'poke', input: [json(2)], control: '2' },
      { type: 'SignalExternalWorkflowExecution', execution: { workflowId: stuckId }, signalName: 'after', input: [], control: '3' },
    ]);
    await deliverCalls(senderId);

    // The signal to the other workflow went out, though it came after the failing one.
    expect((await history(otherId)).find((e) => e.eventType === 'WorkflowExecutionSignaled')?.attributes).toMatchObject({ signalName: 'poke', input: [json(2)] });
    expect(eventTypes(await history(senderId))).toContain('ExternalWorkflowExecutionSignaled');
    // The later call to the stuck target waits behind the failing one, in order.
    const pending = await pendingCalls(senderId);
    expect(pending).toMatchObject([
      { kind: 'signal', workflowId: stuckId },
      { kind: 'signal', workflowId: stuckId, attempts: 0 },
    ]);
    expect(pending[0]!.attempts).toBeGreaterThan(0);
    expect(eventTypes(await history(stuckId)).filter((t) => t === 'WorkflowExecutionSignaled')).toHaveLength(1);
  });
});

describe('childWorkflowOnly', () => {
  it('a signal or cancel with childWorkflowOnly to a workflow that is not a child fails as not found and is never delivered', async () => {
    const senderId = unique('cwo-sender');
    const strangerId = unique('cwo-stranger');
    const taskQueue = unique('cwo-tq');
    await startWorkflow(strangerId, taskQueue);
    await startWorkflow(senderId, taskQueue);
    await completeWorkflowTask((await taskOf(taskQueue, senderId)).taskToken, [
      { type: 'SignalExternalWorkflowExecution', execution: { workflowId: strangerId }, signalName: 'poke', input: [], childWorkflowOnly: true, control: '1' },
      { type: 'RequestCancelExternalWorkflowExecution', workflowId: strangerId, childWorkflowOnly: true, control: '2' },
    ]);
    await deliverCalls(senderId);
    expect(await pendingCalls(senderId)).toEqual([]);
    const events = await history(senderId);
    expect(events.find((e) => e.eventType === 'SignalExternalWorkflowExecutionFailed')?.attributes).toMatchObject({ cause: 'EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND', control: '1' });
    expect(events.find((e) => e.eventType === 'RequestCancelExternalWorkflowExecutionFailed')?.attributes).toMatchObject({ cause: 'EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND', control: '2' });
    const stranger = eventTypes(await history(strangerId));
    expect(stranger).not.toContain('WorkflowExecutionSignaled');
    expect(stranger).not.toContain('WorkflowExecutionCancelRequested');
  });

  it('reaches a child of the sender', async () => {
    const parentId = unique('cwo-parent');
    const childId = unique('cwo-child');
    const taskQueue = unique('cwo-parent-tq');
    await startWorkflow(parentId, taskQueue);
    await completeWorkflowTask((await taskOf(taskQueue, parentId)).taskToken, [
      { type: 'StartChildWorkflowExecution', workflowId: childId, workflowType: 'child', input: [], taskQueue: `${taskQueue}-child`, control: '1' },
    ]);
    await deliverCalls(parentId);
    await completeWorkflowTask((await taskOf(taskQueue, parentId)).taskToken, [
      { type: 'SignalExternalWorkflowExecution', execution: { workflowId: childId }, signalName: 'poke', input: [], childWorkflowOnly: true, control: '2' },
    ]);
    await deliverCalls(parentId);
    expect(eventTypes(await history(childId))).toContain('WorkflowExecutionSignaled');
    expect(eventTypes(await history(parentId))).toContain('ExternalWorkflowExecutionSignaled');
  });
});
