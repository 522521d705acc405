/**
 * Child workflows and external signals/cancels in the engine: the commands' events, the calls
 * between workflow objects (delivered at least once from the call outbox, with exactly-once
 * effect), every way a child's close reaches its parent, and the parent close policies.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Command, CommandOf, HistoryEvent, WorkflowTask } from '../../protocol/index.js';
import type { WorkflowObject } from '../../src/workflow-object.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { StateTable } from '../../src/storage/state-table.js';
import type { WorkflowCall } from '../../src/engine/workflow-call.js';
import { call, completeWorkflowTask, eventTypes, fromJson, getDescription, history, json, ok, pollWorkflowTask, startWorkflow, unique, wfStub, advance, stateRows, inWorkflow, NS, hostStorage } from './helpers.js';

const startChildCommand = (workflowId: string, extra: Partial<CommandOf<'StartChildWorkflowExecution'>> = {}): Command => ({
  type: 'StartChildWorkflowExecution',
  workflowId,
  workflowType: 'child',
  input: [json('in')],
  control: '1',
  ...extra,
});

/** Waits until every call the object has queued is delivered and answered. */
const deliverCalls = (workflowId: string) => inWorkflow(NS, workflowId, (o: WorkflowHost) => o.calls.deliverDue());
const pendingCalls = async (workflowId: string) => (await stateRows(workflowId, 'c/')).map((r) => (JSON.parse(r.v) as { call: { kind: string } }).call);

/** Holds the object's call delivery back, as if it were evicted right after a transaction; releaseCalls lets it go. */
const holdCalls = (workflowId: string) =>
  inWorkflow(NS, workflowId, (o: WorkflowHost) => {
    (o.calls as unknown as { running: Promise<void> | undefined }).running = new Promise(() => undefined);
  });
const releaseCalls = (workflowId: string) =>
  inWorkflow(NS, workflowId, (o: WorkflowHost) => {
    (o.calls as unknown as { running: Promise<void> | undefined }).running = undefined;
  });

const typesOf = (events: HistoryEvent[]) => eventTypes(events).filter((t) => !t.startsWith('WorkflowTask'));

/** Starts a parent whose first task starts child `childId`; returns once the child has started. */
async function parentWithChild(prefix: string, extra: Partial<CommandOf<'StartChildWorkflowExecution'>> = {}) {
  const parentId = unique(`${prefix}-parent`);
  const childId = unique(`${prefix}-child`);
  const taskQueue = unique(`${prefix}-tq`);
  const { runId: parentRunId } = await startWorkflow(parentId, taskQueue);
  const task = (await pollWorkflowTask(taskQueue))!;
  // The child has a queue of its own, so that its tasks and the parent's can be taken in any order.
  const childQueue = `${taskQueue}-child`;
  await completeWorkflowTask(task.taskToken, [startChildCommand(childId, { taskQueue: childQueue, ...extra })]);
  await deliverCalls(parentId);
  const childRunId = (await getDescription(childId)).execution.runId;
  return { parentId, parentRunId, childId, childRunId, taskQueue, childQueue };
}

/** Takes the next workflow task of `workflowId` from the queue (tasks of other workflows there are completed with no commands). */
async function taskOf(taskQueue: string, workflowId: string): Promise<WorkflowTask> {
  for (let i = 0; i < 10; i++) {
    const task = await pollWorkflowTask(taskQueue);
    if (!task) break;
    if (task.workflowExecution.workflowId === workflowId) return task;
    await completeWorkflowTask(task.taskToken, []);
  }
  throw new Error(`no workflow task for ${workflowId}`);
}

describe('child workflows', () => {
  it('starts the child with its parent recorded, and the parent hears of the start and the result', async () => {
    const { parentId, parentRunId, childId, childRunId, taskQueue, childQueue } = await parentWithChild('child-ok', { parentClosePolicy: 'ABANDON' });
    const parentEvents = await history(parentId);
    expect(typesOf(parentEvents)).toEqual(['WorkflowExecutionStarted', 'StartChildWorkflowExecutionInitiated', 'ChildWorkflowExecutionStarted']);
    const initiated = parentEvents.find((e) => e.eventType === 'StartChildWorkflowExecutionInitiated')!;
    expect(initiated.attributes).toMatchObject({ workflowId: childId, workflowType: { name: 'child' }, taskQueue: childQueue, parentClosePolicy: 'ABANDON', control: '1' });
    expect(parentEvents.find((e) => e.eventType === 'ChildWorkflowExecutionStarted')!.attributes).toMatchObject({
      initiatedEventId: initiated.eventId,
      workflowExecution: { workflowId: childId, runId: childRunId },
    });
    const childStarted = (await history(childId))[0]!;
    expect(childStarted.attributes).toMatchObject({
      workflowType: 'child',
      input: [json('in')],
      parentWorkflowNamespace: 'default',
      parentWorkflowExecution: { workflowId: parentId, runId: parentRunId },
      parentInitiatedEventId: initiated.eventId,
      rootWorkflowExecution: { workflowId: parentId, runId: parentRunId },
    });
    expect(await getDescription(childId)).toMatchObject({ parentNamespace: 'default', parentExecution: { workflowId: parentId, runId: parentRunId } });
    expect((await getDescription(parentId)).pendingChildren).toEqual([{ workflowId: childId, runId: childRunId, workflowTypeName: 'child', initiatedId: initiated.eventId, parentClosePolicy: 'ABANDON' }]);

    // The parent's task for the start, then the child completes.
    await completeWorkflowTask((await taskOf(taskQueue, parentId)).taskToken, []);
    await completeWorkflowTask((await taskOf(childQueue, childId)).taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }]);
    await deliverCalls(childId);
    const completed = (await history(parentId)).find((e) => e.eventType === 'ChildWorkflowExecutionCompleted')!;
    expect(completed.attributes).toMatchObject({ result: json('done'), initiatedEventId: initiated.eventId, workflowExecution: { workflowId: childId, runId: childRunId } });
    expect(fromJson((completed.attributes as { result?: Parameters<typeof fromJson>[0] }).result)).toBe('done');
    expect((await getDescription(parentId)).pendingChildren).toBeUndefined();
  });

  const closes: Array<{ kind: string; event: string; close: (childId: string, taskQueue: string) => Promise<void>; attributes: Record<string, unknown> }> = [
    {
      kind: 'failed',
      event: 'ChildWorkflowExecutionFailed',
      close: async (childId, taskQueue) => {
        await completeWorkflowTask((await taskOf(taskQueue, childId)).taskToken, [{ type: 'FailWorkflowExecution', failure: { message: 'boom', applicationFailureInfo: { type: 'Oops' } } }]);
      },
      attributes: { failure: { message: 'boom' }, retryState: 'RETRY_POLICY_NOT_SET' },
    },
    {
      kind: 'canceled',
      event: 'ChildWorkflowExecutionCanceled',
      close: async (childId, taskQueue) => {
        await ok('POST', `/workflows/${childId}/cancel`, {});
        await completeWorkflowTask((await taskOf(taskQueue, childId)).taskToken, [{ type: 'CancelWorkflowExecution' }]);
      },
      attributes: {},
    },
    {
      kind: 'terminated',
      event: 'ChildWorkflowExecutionTerminated',
      close: async (childId) => {
        await ok('POST', `/workflows/${childId}/terminate`, { reason: 'stop' });
      },
      attributes: {},
    },
    {
      kind: 'timed out',
      event: 'ChildWorkflowExecutionTimedOut',
      close: async (childId) => {
        await advance(childId, 60_001);
      },
      // A run timeout with no retry policy, as Temporal's server records it.
      attributes: { retryState: 'RETRY_POLICY_NOT_SET' },
    },
  ];

  it.each(closes)('tells the parent when the child $kind', async ({ event, close, attributes }) => {
    const { parentId, childId, childRunId, childQueue } = await parentWithChild(`child-${event}`, { workflowRunTimeoutMs: 60_000, parentClosePolicy: 'ABANDON' });
    await close(childId, childQueue);
    await deliverCalls(childId);
    const closed = (await history(parentId)).find((e) => e.eventType === event);
    expect(closed?.attributes).toMatchObject({ ...attributes, workflowExecution: { workflowId: childId, runId: childRunId } });
  });

  it('tells the parent only when a child that continues as new finally closes', async () => {
    const { parentId, childId, childRunId, childQueue } = await parentWithChild('child-can', { parentClosePolicy: 'ABANDON' });
    await completeWorkflowTask((await taskOf(childQueue, childId)).taskToken, [{ type: 'ContinueAsNewWorkflowExecution', input: [] }]);
    await deliverCalls(childId);
    expect(typesOf(await history(parentId))).not.toContain('ChildWorkflowExecutionCompleted');
    const next = await getDescription(childId);
    expect(next.parentExecution?.workflowId).toBe(parentId);
    await completeWorkflowTask((await taskOf(childQueue, childId)).taskToken, [{ type: 'CompleteWorkflowExecution', result: json('second') }]);
    await deliverCalls(childId);
    const completed = (await history(parentId)).find((e) => e.eventType === 'ChildWorkflowExecutionCompleted')!;
    // The parent names the child by the run it started, as Temporal does.
    expect(next.execution.runId).not.toBe(childRunId);
    expect(completed.attributes).toMatchObject({ result: json('second'), workflowExecution: { workflowId: childId, runId: childRunId } });
  });

  it('answers a child start whose workflow id is running with StartChildWorkflowExecutionFailed', async () => {
    const parentId = unique('child-conflict-parent');
    const busyId = unique('child-conflict-busy');
    const taskQueue = unique('child-conflict-tq');
    const { runId: busyRunId } = await startWorkflow(busyId, taskQueue);
    await startWorkflow(parentId, taskQueue);
    await completeWorkflowTask((await taskOf(taskQueue, parentId)).taskToken, [startChildCommand(busyId)]);
    await deliverCalls(parentId);
    const events = await history(parentId);
    const failed = events.find((e) => e.eventType === 'StartChildWorkflowExecutionFailed');
    expect(failed?.attributes).toMatchObject({ cause: 'WORKFLOW_ALREADY_EXISTS', workflowId: busyId, workflowType: { name: 'child' } });
    expect((await getDescription(busyId)).execution.runId).toBe(busyRunId);
    expect((await getDescription(parentId)).pendingChildren).toBeUndefined();
  });

  it('applies each parent close policy when the parent is terminated', async () => {
    const parentId = unique('pcp-parent');
    const taskQueue = unique('pcp-tq');
    const ids = { TERMINATE: unique('pcp-terminate'), REQUEST_CANCEL: unique('pcp-cancel'), ABANDON: unique('pcp-abandon') };
    await startWorkflow(parentId, taskQueue);
    await completeWorkflowTask((await taskOf(taskQueue, parentId)).taskToken, [
      startChildCommand(ids.TERMINATE, { parentClosePolicy: 'TERMINATE', control: '1' }),
      startChildCommand(ids.REQUEST_CANCEL, { parentClosePolicy: 'REQUEST_CANCEL', control: '2' }),
      startChildCommand(ids.ABANDON, { parentClosePolicy: 'ABANDON', control: '3' }),
    ]);
    await deliverCalls(parentId);
    await ok('POST', `/workflows/${parentId}/terminate`, { reason: 'done with it' });
    await deliverCalls(parentId);
    expect((await getDescription(ids.TERMINATE)).status).toBe('TERMINATED');
    expect((await history(ids.TERMINATE)).at(-1)!.attributes).toMatchObject({ reason: 'by parent close policy' });
    expect((await getDescription(ids.REQUEST_CANCEL)).status).toBe('RUNNING');
    expect(eventTypes(await history(ids.REQUEST_CANCEL))).toContain('WorkflowExecutionCancelRequested');
    expect((await getDescription(ids.ABANDON)).status).toBe('RUNNING');
    expect(eventTypes(await history(ids.ABANDON))).not.toContain('WorkflowExecutionCancelRequested');
  });

  it('applies the close policy to the latest run of a child that continued as new', async () => {
    const { parentId, childId, childQueue } = await parentWithChild('pcp-can', { parentClosePolicy: 'TERMINATE' });
    await completeWorkflowTask((await taskOf(childQueue, childId)).taskToken, [{ type: 'ContinueAsNewWorkflowExecution', input: [] }]);
    await deliverCalls(childId);
    await ok('POST', `/workflows/${parentId}/terminate`, {});
    await deliverCalls(parentId);
    expect((await getDescription(childId)).status).toBe('TERMINATED');
  });

  it('never applies a close policy to a workflow that merely reuses the child id', async () => {
    const { parentId, childId, taskQueue } = await parentWithChild('pcp-reuse', { parentClosePolicy: 'TERMINATE' });
    await ok('POST', `/workflows/${childId}/terminate`, {});
    await deliverCalls(childId);
    const { runId: strangerRunId } = await startWorkflow(childId, taskQueue);
    // The parent no longer waits for the child (its close arrived), so nothing is sent; and a
    // policy call that was on its way finds a run this parent did not start.
    await ok('POST', `/workflows/${parentId}/terminate`, {});
    await deliverCalls(parentId);
    expect((await getDescription(childId)).execution.runId).toBe(strangerRunId);
    expect((await getDescription(childId)).status).toBe('RUNNING');
  });

  it('gives each call exactly one effect however often it is delivered', async () => {
    const parentId = unique('child-dup-parent');
    const childId = unique('child-dup-child');
    const taskQueue = unique('child-dup-tq');
    const { runId: parentRunId } = await startWorkflow(parentId, taskQueue);
    const task = (await pollWorkflowTask(taskQueue))!;
    await holdCalls(parentId);
    await completeWorkflowTask(task.taskToken, [startChildCommand(childId, { taskQueue: `${taskQueue}-child`, parentClosePolicy: 'ABANDON' })]);
    // The same call twice in the outbox: what a crash between the call and the recording of its answer leaves.
    await inWorkflow(NS, parentId, (o: WorkflowHost, state) => {
      for (const row of new StateTable(state.storage.sql, [], hostStorage(o).scope, undefined, hostStorage(o).tables).range('c/')) o.calls.enqueue((JSON.parse(row.v) as { call: WorkflowCall }).call, row.n!);
    });
    const calls = await pendingCalls(parentId);
    expect(calls.map((c) => c.kind)).toEqual(['startChild', 'startChild']);
    await releaseCalls(parentId);
    await deliverCalls(parentId);
    expect(await pendingCalls(parentId)).toEqual([]);
    const childRunId = (await getDescription(childId)).execution.runId;
    expect(eventTypes(await history(childId)).filter((t) => t === 'WorkflowExecutionStarted')).toHaveLength(1);
    expect(eventTypes(await history(parentId)).filter((t) => t === 'ChildWorkflowExecutionStarted')).toHaveLength(1);
    const initiated = (await history(parentId)).find((e) => e.eventType === 'StartChildWorkflowExecutionInitiated')!;
    const startCall = { initiatedEventId: initiated.eventId, runId: parentRunId };

    // The child's close, delivered twice, is one event in the parent.
    await ok('POST', `/workflows/${childId}/terminate`, {});
    await deliverCalls(childId);
    const close = {
      kind: 'childClosed' as const,
      namespace: 'default',
      workflowId: parentId,
      parent: { namespace: 'default', workflowId: parentId, runId: startCall.runId, initiatedEventId: startCall.initiatedEventId },
      child: { workflowId: childId, runId: childRunId, workflowType: 'child' },
      close: { eventType: 'ChildWorkflowExecutionTerminated' as const, attributes: {} },
    };
    await wfStub(parentId).childClosed(close);
    expect(eventTypes(await history(parentId)).filter((t) => t === 'ChildWorkflowExecutionTerminated')).toHaveLength(1);

    // A start delivered again after the child closed is answered with the first answer: no second child.
    const again = await wfStub(childId).startChild((calls[0] as unknown as { request: Parameters<WorkflowHost['startChild']>[0] }).request);
    expect(again).toEqual({ ok: true, value: { runId: childRunId, started: true } });
    expect((await getDescription(childId)).status).toBe('TERMINATED');
  });

  it('keeps an undelivered call in the outbox with the event that caused it, and retries it from the alarm', async () => {
    const parentId = unique('calls-retry');
    const taskQueue = unique('calls-retry-tq');
    await startWorkflow(parentId, taskQueue);
    const task = (await pollWorkflowTask(taskQueue))!;
    const childId = unique('calls-retry-child');
    await holdCalls(parentId);
    await completeWorkflowTask(task.taskToken, [startChildCommand(childId)]);
    expect((await pendingCalls(parentId)).map((c) => c.kind)).toEqual(['startChild']);
    expect(typesOf(await history(parentId))).toEqual(['WorkflowExecutionStarted', 'StartChildWorkflowExecutionInitiated']);
    await releaseCalls(parentId);
    await advance(parentId, 1_000);
    await deliverCalls(parentId);
    expect(await pendingCalls(parentId)).toEqual([]);
    expect(typesOf(await history(parentId))).toContain('ChildWorkflowExecutionStarted');
  });
});

describe('external workflows', () => {
  it('signals another workflow and records ExternalWorkflowExecutionSignaled', async () => {
    const senderId = unique('ext-sig-sender');
    const targetId = unique('ext-sig-target');
    const taskQueue = unique('ext-sig-tq');
    await startWorkflow(targetId, taskQueue);
    await startWorkflow(senderId, taskQueue);
    await completeWorkflowTask((await taskOf(taskQueue, senderId)).taskToken, [
      { type: 'SignalExternalWorkflowExecution', execution: { workflowId: targetId }, signalName: 'poke', input: [json(7)], control: '1' },
    ]);
    await deliverCalls(senderId);
    const signaled = (await history(targetId)).find((e) => e.eventType === 'WorkflowExecutionSignaled');
    expect(signaled?.attributes).toMatchObject({ signalName: 'poke', input: [json(7)] });
    const events = await history(senderId);
    const initiated = events.find((e) => e.eventType === 'SignalExternalWorkflowExecutionInitiated')!;
    expect(events.find((e) => e.eventType === 'ExternalWorkflowExecutionSignaled')?.attributes).toMatchObject({ initiatedEventId: initiated.eventId, control: '1', workflowExecution: { workflowId: targetId } });
  });

  it('records SignalExternalWorkflowExecutionFailed when the workflow does not exist', async () => {
    const senderId = unique('ext-sig-missing');
    const taskQueue = unique('ext-sig-missing-tq');
    await startWorkflow(senderId, taskQueue);
    await completeWorkflowTask((await taskOf(taskQueue, senderId)).taskToken, [
      { type: 'SignalExternalWorkflowExecution', execution: { workflowId: unique('nobody') }, signalName: 'poke', input: [], control: '1' },
    ]);
    await deliverCalls(senderId);
    expect((await history(senderId)).find((e) => e.eventType === 'SignalExternalWorkflowExecutionFailed')?.attributes).toMatchObject({ cause: 'EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND' });
  });

  it('requests cancellation of another workflow, and records the failure for a missing one', async () => {
    const senderId = unique('ext-cancel-sender');
    const targetId = unique('ext-cancel-target');
    const missingId = unique('ext-cancel-missing');
    const taskQueue = unique('ext-cancel-tq');
    await startWorkflow(targetId, taskQueue);
    await startWorkflow(senderId, taskQueue);
    await completeWorkflowTask((await taskOf(taskQueue, senderId)).taskToken, [
      { type: 'RequestCancelExternalWorkflowExecution', workflowId: targetId, control: '1' },
      { type: 'RequestCancelExternalWorkflowExecution', workflowId: missingId, control: '2' },
    ]);
    await deliverCalls(senderId);
    expect(eventTypes(await history(targetId))).toContain('WorkflowExecutionCancelRequested');
    const types = typesOf(await history(senderId));
    expect(types).toContain('ExternalWorkflowExecutionCancelRequested');
    expect((await history(senderId)).find((e) => e.eventType === 'RequestCancelExternalWorkflowExecutionFailed')?.attributes).toMatchObject({
      cause: 'EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND',
      workflowExecution: { workflowId: missingId },
    });
  });

  it('refuses a call into another namespace and changes nothing', async () => {
    const senderId = unique('ext-ns');
    const taskQueue = unique('ext-ns-tq');
    await startWorkflow(senderId, taskQueue);
    const task = await taskOf(taskQueue, senderId);
    const before = await history(senderId);
    const res = await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands: [{ type: 'RequestCancelExternalWorkflowExecution', namespace: 'elsewhere', workflowId: 'x' }] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_COMMAND');
    expect(await history(senderId)).toEqual(before);
  });
});
