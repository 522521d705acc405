// Child workflows and external workflow handles end to end: a real worker runs parents and
// children against the local service; each close kind reaches the parent as Temporal's errors;
// cancellation types; parent close policies when the parent is terminated; signal and cancel of
// external workflows and their failures; the recorded histories replay with Worker.runReplayHistory.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowHandle } from 'keel/client';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import {
  childWaits,
  childWaitsForSignal,
  externalCanceller,
  externalMissing,
  externalSignaller,
  parentCancelsChild,
  parentConflicts,
  parentExecutes,
  parentSeesChildFail,
  parentSignalsChild,
  parentWithChildren,
  parentWithPolicy,
} from './fixtures/child-workflows.js';
import { recordedHistory } from './fixtures/recorded-histories.js';
import { waitFor } from './fixtures/wait.js';
import { keel } from './fixtures/keel-cli.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/child-workflows.ts', import.meta.url));
const taskQueue = 'child-workflows';
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, shutdownSignals: [] });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

const eventTypes = async (handle: WorkflowHandle) => (await handle.fetchHistory().then(keelHistory)).events.map((e) => e.eventType);
const statusOf = async (workflowId: string) => (await env.client.workflow.getHandle(workflowId).describe()).status.name;

/** Replays a history as fetched and as committed under fixtures/histories/. */
async function replays(name: string, handle: WorkflowHandle): Promise<void> {
  const history = await handle.fetchHistory().then(keelHistory);
  for (const h of [history, recordedHistory(name, history)]) {
    await expect(Worker.runReplayHistory({ workflowsPath }, h, handle.workflowId)).resolves.toBeUndefined();
  }
}

describe('child workflows', () => {
  it('executeChild returns the child\'s result; the child knows its parent; the parent\'s history has the child\'s events', async () => {
    const handle = await env.client.workflow.start(parentExecutes, { taskQueue, workflowId: 'cw-exec', args: ['hi'] });
    const result = await handle.result();
    expect(result).toEqual({ echo: 'echo:hi', parent: 'cw-exec', parentRunId: result.myRunId, myRunId: handle.firstExecutionRunId });
    expect(await eventTypes(handle)).toEqual(
      expect.arrayContaining(['StartChildWorkflowExecutionInitiated', 'ChildWorkflowExecutionStarted', 'ChildWorkflowExecutionCompleted']),
    );
    const child = await env.client.workflow.getHandle('cw-exec-child').describe();
    expect(child.parentExecution).toEqual({ workflowId: 'cw-exec', runId: handle.firstExecutionRunId });
    await replays('child-workflow-completed', handle);
  });

  it('replaying a history whose child differs from the code fails naming the event and the command', async () => {
    const history = structuredClone(recordedHistory('child-workflow-completed', await env.client.workflow.getHandle('cw-exec').fetchHistory().then(keelHistory)));
    const initiated = history.events.find((e) => e.eventType === 'StartChildWorkflowExecutionInitiated')!;
    (initiated.attributes as { workflowType: { name: string } }).workflowType.name = 'someOtherChild';
    await expect(Worker.runReplayHistory({ workflowsPath }, history, 'cw-exec')).rejects.toThrow(
      /StartChildWorkflowExecutionInitiated\(workflowType=someOtherChild, workflowId=cw-exec-child\).*StartChildWorkflowExecution\(workflowType=childEcho, workflowId=cw-exec-child\)/,
    );
  });

  it('a failed child rejects with ChildWorkflowFailure caused by its ApplicationFailure', async () => {
    const handle = await env.client.workflow.start(parentSeesChildFail, { taskQueue, workflowId: 'cw-fail', args: ['childFails', 'cw-fail-child'] });
    expect(await handle.result()).toEqual({
      name: 'ChildWorkflowFailure',
      isChildWorkflowFailure: true,
      isCancellation: false,
      causeName: 'ApplicationFailure',
      causeMessage: 'child broke',
      causeType: 'ChildBroke',
    });
    await replays('child-workflow-failed', handle);
  });

  it('a terminated child rejects with ChildWorkflowFailure caused by TerminatedFailure', async () => {
    const handle = await env.client.workflow.start(parentSeesChildFail, { taskQueue, workflowId: 'cw-term', args: ['childWaits', 'cw-term-child'] });
    await waitFor('the child to run', async () => (await statusOf('cw-term-child')) === 'RUNNING');
    await env.client.workflow.getHandle('cw-term-child').terminate('stop');
    expect(await handle.result()).toMatchObject({ isChildWorkflowFailure: true, causeName: 'TerminatedFailure' });
  });

  it('a child that times out rejects with ChildWorkflowFailure caused by TimeoutFailure', async () => {
    const handle = await env.client.workflow.start(parentSeesChildFail, { taskQueue, workflowId: 'cw-timeout', args: ['childWaits', 'cw-timeout-child', '1 minute'] });
    await waitFor('the child to run', async () => (await statusOf('cw-timeout-child')) === 'RUNNING');
    await env.advanceTime('cw-timeout-child', '2 minutes');
    expect(await handle.result()).toMatchObject({ isChildWorkflowFailure: true, causeName: 'TimeoutFailure' });
    expect(await statusOf('cw-timeout-child')).toBe('TIMED_OUT');
  });

  it.each(['WAIT_CANCELLATION_COMPLETED', 'TRY_CANCEL', 'WAIT_CANCELLATION_REQUESTED'] as const)(
    'cancelling the scope of a child with %s cancels the child and rejects with a cancellation',
    async (cancellationType) => {
      const childId = `cw-cancel-${cancellationType}-child`;
      const handle = await env.client.workflow.start(parentCancelsChild, { taskQueue, workflowId: `cw-cancel-${cancellationType}`, args: [cancellationType, childId] });
      expect(await handle.result()).toMatchObject({ isChildWorkflowFailure: true, isCancellation: true, causeName: 'CancelledFailure' });
      // The request reaches the child; with TRY_CANCEL the parent may complete (and its close policy
      // terminate the child) before the child has acted on it.
      await waitFor('the child to be asked to cancel', async () => (await eventTypes(env.client.workflow.getHandle(childId))).includes('WorkflowExecutionCancelRequested'));
      if (cancellationType === 'WAIT_CANCELLATION_COMPLETED') expect(await statusOf(childId)).toBe('CANCELLED');
      const types = await eventTypes(handle);
      expect(types).toContain('RequestCancelExternalWorkflowExecutionInitiated');
      if (cancellationType === 'WAIT_CANCELLATION_COMPLETED') {
        expect(types).toContain('ChildWorkflowExecutionCanceled');
        await replays('child-workflow-cancelled', handle);
      }
    },
  );

  it('an ABANDON child is not asked to cancel when its scope is cancelled (its parent close policy still applies)', async () => {
    const handle = await env.client.workflow.start(parentCancelsChild, { taskQueue, workflowId: 'cw-cancel-abandon', args: ['ABANDON', 'cw-cancel-abandon-child'] });
    expect(await handle.result()).toMatchObject({ isCancellation: true });
    expect(await eventTypes(handle)).not.toContain('RequestCancelExternalWorkflowExecutionInitiated');
    // The parent completed; the default parent close policy (TERMINATE) ends the child, which was never cancelled.
    await waitFor('the child to be terminated', async () => (await statusOf('cw-cancel-abandon-child')) === 'TERMINATED');
    const child = await env.client.workflow.getHandle('cw-cancel-abandon-child').fetchHistory().then(keelHistory);
    expect(child.events.map((e) => e.eventType)).not.toContain('WorkflowExecutionCancelRequested');
  });

  it('the child handle signals the child', async () => {
    const handle = await env.client.workflow.start(parentSignalsChild, { taskQueue, workflowId: 'cw-signal', args: ['cw-signal-child'] });
    const { result, firstExecutionRunId } = await handle.result();
    expect(result).toBe('from parent');
    expect((await env.client.workflow.getHandle('cw-signal-child').describe()).runId).toBe(firstExecutionRunId);
    expect(await eventTypes(handle)).toEqual(expect.arrayContaining(['SignalExternalWorkflowExecutionInitiated', 'ExternalWorkflowExecutionSignaled']));
    await replays('child-workflow-signalled', handle);
  });

  it('starting a child whose id is running rejects with WorkflowExecutionAlreadyStartedError', async () => {
    await env.client.workflow.start(childWaits, { taskQueue, workflowId: 'cw-busy' });
    const handle = await env.client.workflow.start(parentConflicts, { taskQueue, workflowId: 'cw-conflict', args: ['cw-busy'] });
    expect(await handle.result()).toEqual({ name: 'WorkflowExecutionAlreadyStartedError', isAlreadyStarted: true, workflowId: 'cw-busy' });
    expect(await eventTypes(handle)).toContain('StartChildWorkflowExecutionFailed');
    await replays('child-workflow-start-failed', handle);
    await env.client.workflow.getHandle('cw-busy').terminate();
  });
});

describe('parent close policies when the parent is terminated', () => {
  it.each([
    { policy: 'TERMINATE', childStatus: 'TERMINATED' },
    { policy: 'REQUEST_CANCEL', childStatus: 'CANCELLED' },
  ] as const)('$policy leaves the child $childStatus', async ({ policy, childStatus }) => {
    const childId = `pcp-${policy}-child`;
    const parent = await env.client.workflow.start(parentWithPolicy, { taskQueue, workflowId: `pcp-${policy}`, args: [policy, childId] });
    await waitFor('the child to start', async () => (await eventTypes(parent)).includes('ChildWorkflowExecutionStarted'));
    await parent.terminate('parent goes');
    await waitFor(`the child to be ${childStatus}`, async () => (await statusOf(childId)) === childStatus);
    if (policy === 'TERMINATE') await replays('child-workflow-parent-terminated', parent);
  });

  it('ABANDON leaves the child RUNNING, untouched, while a TERMINATE sibling is terminated', async () => {
    const parent = await env.client.workflow.start(parentWithChildren, {
      taskQueue,
      workflowId: 'pcp-ABANDON',
      args: [[['ABANDON', 'pcp-ABANDON-child'], ['TERMINATE', 'pcp-ABANDON-sibling']]],
    });
    await waitFor('both children to start', async () => (await eventTypes(parent)).filter((t) => t === 'ChildWorkflowExecutionStarted').length === 2);
    await parent.terminate('parent goes');
    // The parent's close sent every policy it had to send: the sibling's ends it.
    await waitFor('the TERMINATE sibling to be terminated', async () => (await statusOf('pcp-ABANDON-sibling')) === 'TERMINATED');
    expect(await statusOf('pcp-ABANDON-child')).toBe('RUNNING');
    expect(await eventTypes(env.client.workflow.getHandle('pcp-ABANDON-child'))).not.toContain('WorkflowExecutionCancelRequested');
    await env.client.workflow.getHandle('pcp-ABANDON-child').terminate();
  });
});

describe('the CLI', () => {
  it('describe lists a parent\'s pending children and a child\'s parent; show names the child events', async () => {
    const parent = await env.client.workflow.start(parentWithPolicy, { taskQueue, workflowId: 'cli-parent', args: ['ABANDON', 'cli-child'] });
    await waitFor('the child to start', async () => (await eventTypes(parent)).includes('ChildWorkflowExecutionStarted'));
    const cliEnv = { KEEL_ADDRESS: env.address };
    const described = await keel(['workflow', 'describe', '--workflow-id', 'cli-parent'], cliEnv);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/Pending Child Workflows: 1/);
    expect(described.stdout).toMatch(/cli-child .* childWaits .* ABANDON/);
    const child = await keel(['workflow', 'describe', '--workflow-id', 'cli-child'], cliEnv);
    expect(child.stdout).toMatch(new RegExp(`Parent\\s+cli-parent/${parent.firstExecutionRunId}`));
    const shown = await keel(['workflow', 'show', '--workflow-id', 'cli-parent'], cliEnv);
    expect(shown.stdout).toMatch(/StartChildWorkflowExecutionInitiated .*workflowId=cli-child .*workflowType=childWaits/);
    expect(shown.stdout).toMatch(new RegExp(`ChildWorkflowExecutionStarted .*workflowExecution=cli-child/`));
    await parent.terminate();
    await env.client.workflow.getHandle('cli-child').terminate();
  });
});

describe('external workflow handles', () => {
  it('signal reaches another workflow', async () => {
    const target = await env.client.workflow.start(childWaitsForSignal, { taskQueue, workflowId: 'ext-target' });
    const sender = await env.client.workflow.start(externalSignaller, { taskQueue, workflowId: 'ext-signaller', args: ['ext-target'] });
    await sender.result();
    expect(await target.result()).toBe('from outside');
    expect(await eventTypes(sender)).toEqual(expect.arrayContaining(['SignalExternalWorkflowExecutionInitiated', 'ExternalWorkflowExecutionSignaled']));
    await replays('external-signal', sender);
  });

  it('cancel requests cancellation of another workflow', async () => {
    await env.client.workflow.start(childWaits, { taskQueue, workflowId: 'ext-cancel-target' });
    const sender = await env.client.workflow.start(externalCanceller, { taskQueue, workflowId: 'ext-canceller', args: ['ext-cancel-target'] });
    await sender.result();
    await waitFor('the target to be cancelled', async () => (await statusOf('ext-cancel-target')) === 'CANCELLED');
    expect(await eventTypes(sender)).toContain('ExternalWorkflowExecutionCancelRequested');
    await replays('external-cancel', sender);
  });

  it('signal and cancel of a workflow that does not exist fail', async () => {
    const handle = await env.client.workflow.start(externalMissing, { taskQueue, workflowId: 'ext-missing', args: ['nobody-here'] });
    const { signal, cancel } = await handle.result();
    expect(signal).toMatchObject({ name: 'ApplicationFailure', causeType: 'SignalExternalWorkflowExecutionFailed', message: expect.stringMatching(/not found/) });
    expect(cancel).toMatchObject({ name: 'ApplicationFailure', causeType: 'RequestCancelExternalWorkflowExecutionFailed', message: expect.stringMatching(/not found/) });
    expect(await eventTypes(handle)).toEqual(expect.arrayContaining(['SignalExternalWorkflowExecutionFailed', 'RequestCancelExternalWorkflowExecutionFailed']));
    await replays('external-missing', handle);
  });
});
