import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '../common/index.js';
import { Client } from './client.js';
import { Connection } from './connection.js';
import { WorkflowContinuedAsNewError, WorkflowFailedError } from './errors.js';
import { FakeService, type Reply } from './test-fake-service.js';
import { jsonPayload } from './test-payloads.js';

let service: FakeService;
let client: Client;

const HISTORY = '/api/v1/namespaces/default/workflows/wf/history';

beforeEach(async () => {
  service = await FakeService.start();
  client = new Client({ connection: Connection.lazy({ address: service.address }) });
});
afterEach(async () => {
  await service.close();
});

function closeEvent(eventType: string, attributes: Record<string, unknown>) {
  return { eventId: 10, eventTime: '2026-01-01T00:00:00Z', eventType, attributes };
}

/** Answers a long poll for `runId` with `events` (empty: the poll timed out). */
function poll(runId: string, events: unknown[], nextPageToken?: string): Reply {
  return { body: { runId, events, ...(nextPageToken ? { nextPageToken } : {}) } };
}

async function failure(promise: Promise<unknown>): Promise<WorkflowFailedError> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return err as WorkflowFailedError;
}

describe('WorkflowHandle.result', () => {
  it('long-polls for the close event only, and asks again after each empty answer', async () => {
    service.route(
      'GET',
      HISTORY,
      poll('run-1', [], 't1'),
      poll('run-1', [], 't2'),
      poll('run-1', [closeEvent('WorkflowExecutionCompleted', { result: jsonPayload({ total: 3 }), workflowTaskCompletedEventId: 9 })]),
    );
    await expect(client.workflow.getHandle('wf').result()).resolves.toEqual({ total: 3 });
    const queries = service.requests.map((r) => Object.fromEntries(r.query));
    expect(queries).toEqual([
      { waitNewEvent: 'true', closeEventOnly: 'true' },
      // Pinned to the run the first answer named, with the token it gave.
      { runId: 'run-1', nextPageToken: 't1', waitNewEvent: 'true', closeEventOnly: 'true' },
      { runId: 'run-1', nextPageToken: 't2', waitNewEvent: 'true', closeEventOnly: 'true' },
    ]);
  });

  it('treats an empty 200 (the long poll saw nothing) as "ask again"', async () => {
    service.route(
      'GET',
      HISTORY,
      { status: 200 },
      { body: {} },
      poll('run-1', [closeEvent('WorkflowExecutionCompleted', { result: jsonPayload('late'), workflowTaskCompletedEventId: 9 })]),
    );
    await expect(client.workflow.getHandle('wf').result()).resolves.toBe('late');
    expect(service.requests).toHaveLength(3);
  });

  it('returns undefined for a workflow that returned nothing', async () => {
    service.route('GET', HISTORY, poll('run-1', [closeEvent('WorkflowExecutionCompleted', { workflowTaskCompletedEventId: 9 })]));
    await expect(client.workflow.getHandle('wf').result()).resolves.toBeUndefined();
  });

  it('follows newExecutionRunId (continue-as-new) to the result of the last run', async () => {
    service.route('GET', HISTORY, (req) =>
      req.query.get('runId') === 'run-2'
        ? poll('run-2', [closeEvent('WorkflowExecutionCompleted', { result: jsonPayload('second'), workflowTaskCompletedEventId: 4 })])
        : poll('run-1', [closeEvent('WorkflowExecutionCompleted', { newExecutionRunId: 'run-2', workflowTaskCompletedEventId: 4 })], 'stale'),
    );
    await expect(client.workflow.getHandle('wf', 'run-1').result()).resolves.toBe('second');
    expect(service.requests.map((r) => Object.fromEntries(r.query))).toEqual([
      { runId: 'run-1', waitNewEvent: 'true', closeEventOnly: 'true' },
      // The next run is read from its start: no token carried over.
      { runId: 'run-2', waitNewEvent: 'true', closeEventOnly: 'true' },
    ]);
  });

  it('follows a retry after failure to the run that succeeded', async () => {
    service.route('GET', HISTORY, (req) =>
      req.query.get('runId') === 'run-2'
        ? poll('run-2', [closeEvent('WorkflowExecutionCompleted', { result: jsonPayload(7), workflowTaskCompletedEventId: 4 })])
        : poll('run-1', [closeEvent('WorkflowExecutionFailed', { failure: { message: 'flaky' }, retryState: 'IN_PROGRESS', newExecutionRunId: 'run-2', workflowTaskCompletedEventId: 4 })]),
    );
    await expect(client.workflow.getHandle('wf', 'run-1').result()).resolves.toBe(7);
  });

  it('throws WorkflowContinuedAsNewError instead of following a continue-as-new when followRuns is false', async () => {
    service.route('GET', HISTORY, poll('run-1', [closeEvent('WorkflowExecutionContinuedAsNew', { newExecutionRunId: 'run-2', workflowType: 'order', taskQueue: 'q', input: [], workflowTaskTimeoutMs: 10_000, workflowTaskCompletedEventId: 4 })]));
    const err = await client.workflow.getHandle('wf', 'run-1', { followRuns: false }).result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowContinuedAsNewError);
    expect(err).toMatchObject({ newExecutionRunId: 'run-2' });
  });

  it("returns a completed cron run's own result when followRuns is false", async () => {
    service.route('GET', HISTORY, poll('run-1', [closeEvent('WorkflowExecutionCompleted', { result: jsonPayload('tick'), newExecutionRunId: 'run-2', workflowTaskCompletedEventId: 4 })]));
    expect(await client.workflow.getHandle('wf', 'run-1', { followRuns: false }).result()).toBe('tick');
  });

  it('throws WorkflowFailedError caused by the ApplicationFailure the workflow threw, details decoded', async () => {
    const wire = {
      message: 'card declined',
      source: 'TypeScriptSDK',
      applicationFailureInfo: { type: 'CardDeclined', nonRetryable: true, details: [jsonPayload({ last4: '4242' })] },
    };
    service.route('GET', HISTORY, poll('run-1', [closeEvent('WorkflowExecutionFailed', { failure: wire, retryState: 'NON_RETRYABLE_FAILURE', workflowTaskCompletedEventId: 4 })]));
    const err = await failure(client.workflow.getHandle('wf').result());
    expect(err.message).toBe('Workflow execution failed');
    expect(err.retryState).toBe('NON_RETRYABLE_FAILURE');
    expect(err.cause).toBeInstanceOf(ApplicationFailure);
    expect(err.cause).toMatchObject({ message: 'card declined', type: 'CardDeclined', nonRetryable: true, details: [{ last4: '4242' }] });
  });

  it('throws WorkflowFailedError caused by a CancelledFailure for a cancelled workflow', async () => {
    service.route('GET', HISTORY, poll('run-1', [closeEvent('WorkflowExecutionCanceled', { details: [jsonPayload('bye')], workflowTaskCompletedEventId: 4 })]));
    const err = await failure(client.workflow.getHandle('wf').result());
    expect(err.cause).toBeInstanceOf(CancelledFailure);
    expect(err.cause).toMatchObject({ message: 'Workflow canceled', details: ['bye'] });
    expect(err.retryState).toBe('NON_RETRYABLE_FAILURE');
  });

  it('throws WorkflowFailedError caused by a TerminatedFailure carrying the reason', async () => {
    service.route('GET', HISTORY, poll('run-1', [closeEvent('WorkflowExecutionTerminated', { reason: 'operator said so' })]));
    const err = await failure(client.workflow.getHandle('wf').result());
    expect(err.cause).toBeInstanceOf(TerminatedFailure);
    expect(err.message).toBe('operator said so');
    expect(err.cause?.message).toBe('operator said so');
  });

  it('throws WorkflowFailedError caused by a TimeoutFailure for a timed-out workflow', async () => {
    service.route('GET', HISTORY, poll('run-1', [closeEvent('WorkflowExecutionTimedOut', { retryState: 'TIMEOUT' })]));
    const err = await failure(client.workflow.getHandle('wf').result());
    expect(err.cause).toBeInstanceOf(TimeoutFailure);
    expect(err.cause).toMatchObject({ timeoutType: 'START_TO_CLOSE' });
    expect(err.retryState).toBe('TIMEOUT');
  });

  it('starts from the first run of a start handle, not from the latest', async () => {
    service.route('POST', '/api/v1/namespaces/default/workflows', { body: { runId: 'run-1', started: true } });
    service.route('GET', HISTORY, poll('run-1', [closeEvent('WorkflowExecutionCompleted', { result: jsonPayload(1), workflowTaskCompletedEventId: 4 })]));
    const handle = await client.workflow.start('order', { workflowId: 'wf', taskQueue: 'q' });
    await handle.result();
    expect(service.requestsTo(HISTORY)[0]!.query.get('runId')).toBe('run-1');
  });
});
