import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
} from '../common/index.js';
import { Client } from './client.js';
import { Connection } from './connection.js';
import { KeelServiceError, QueryFailedError } from './errors.js';
import type { QueryDefinition as WorkflowSdkQueryDefinition, SignalDefinition as WorkflowSdkSignalDefinition } from '../workflow/interfaces.js';
import type { QueryDefinition, SignalDefinition } from './types.js';
import { WorkflowClient } from './workflow-client.js';
import { FakeService } from './test-fake-service.js';
import { jsonPayload } from './test-payloads.js';

let service: FakeService;
let client: Client;

const NS = '/api/v1/namespaces/default';

beforeEach(async () => {
  service = await FakeService.start();
  const connection = Connection.lazy({ address: service.address, retry: { initialIntervalMs: 1, maxIntervalMs: 1 } });
  client = new Client({ connection, identity: 'tester@host' });
});
afterEach(async () => {
  await service.close();
});

async function order(_id: string, _amount: number): Promise<string> {
  return 'done';
}

const approve: SignalDefinition<[boolean]> = { type: 'signal', name: 'approve' };
const status: QueryDefinition<string, [string]> = { type: 'query', name: 'status' };

describe('WorkflowClient.start', () => {
  it('sends the type from the function name, encoded args, options in wire units, and the identity', async () => {
    service.route('POST', `${NS}/workflows`, { body: { runId: 'run-1', started: true } });
    const handle = await client.workflow.start(order, {
      workflowId: 'order-42',
      taskQueue: 'orders',
      args: ['42', 10],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowExecutionTimeout: '1 day',
      workflowRunTimeout: 60_000,
      workflowTaskTimeout: '10s',
      startDelay: '1 minute',
      retry: { maximumAttempts: 3, initialInterval: '1s' },
      memo: { customer: 'ada' },
      searchAttributes: { CustomKeywordField: ['vip'] },
    });
    const body = service.requests[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({
      workflowId: 'order-42',
      workflowType: 'order',
      taskQueue: 'orders',
      input: [jsonPayload('42'), jsonPayload(10)],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowExecutionTimeoutMs: 86_400_000,
      workflowRunTimeoutMs: 60_000,
      workflowTaskTimeoutMs: 10_000,
      startDelayMs: 60_000,
      retryPolicy: { maximumAttempts: 3, initialIntervalMs: 1000 },
      memo: { customer: jsonPayload('ada') },
      searchAttributes: { CustomKeywordField: ['vip'] },
      identity: 'tester@host',
    });
    expect(body.requestId).toEqual(expect.any(String));
    expect(handle).toMatchObject({ workflowId: 'order-42', runId: undefined, firstExecutionRunId: 'run-1' });
    expect(handle.client).toBe(client.workflow);
  });

  it('takes the workflow type as a string and sends no args as an empty input', async () => {
    service.route('POST', `${NS}/workflows`, { body: { runId: 'run-1', started: true } });
    await client.workflow.start('order', { workflowId: 'wf', taskQueue: 'q' });
    expect(service.requests[0]!.body).toMatchObject({ workflowType: 'order', input: [] });
    expect(service.requests[0]!.body).not.toHaveProperty('memo');
  });

  it('refuses missing required options before calling the service', async () => {
    await expect(client.workflow.start('order', { workflowId: 'wf', taskQueue: '' })).rejects.toThrow('Missing WorkflowOptions.taskQueue');
    await expect(client.workflow.start('order', { workflowId: '', taskQueue: 'q' })).rejects.toThrow('Missing WorkflowOptions.workflowId');
    expect(service.requests).toHaveLength(0);
  });

  it('turns WORKFLOW_ALREADY_STARTED into WorkflowExecutionAlreadyStartedError', async () => {
    service.route('POST', `${NS}/workflows`, { status: 409, body: { error: { code: 'WORKFLOW_ALREADY_STARTED', message: 'order-42 is running' } } });
    const err = await client.workflow.start(order, { workflowId: 'order-42', taskQueue: 'q', args: ['1', 2] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    expect(err).toMatchObject({ workflowId: 'order-42', workflowType: 'order', message: 'order-42 is running' });
  });

  it('lets other service errors through as KeelServiceError', async () => {
    service.route('POST', `${NS}/workflows`, { status: 400, body: { error: { code: 'INVALID_ARGUMENT', message: 'bad' } } });
    await expect(client.workflow.start('order', { workflowId: 'wf', taskQueue: 'q' })).rejects.toBeInstanceOf(KeelServiceError);
  });

  it('execute() starts and then waits for the started run', async () => {
    service.route('POST', `${NS}/workflows`, { body: { runId: 'run-1', started: true } });
    service.route('GET', `${NS}/workflows/wf/history`, {
      body: { runId: 'run-1', events: [{ eventId: 9, eventTime: '2026-01-01T00:00:00Z', eventType: 'WorkflowExecutionCompleted', attributes: { result: jsonPayload('ok'), workflowTaskCompletedEventId: 8 } }] },
    });
    await expect(client.workflow.execute('order', { workflowId: 'wf', taskQueue: 'q' })).resolves.toBe('ok');
    expect(service.requestsTo(`${NS}/workflows/wf/history`)[0]!.query.get('runId')).toBe('run-1');
  });

  it('signalWithStart sends the start options, the signal and its encoded args in one request to the workflow', async () => {
    service.route('POST', `${NS}/workflows/wf/signal-with-start`, { body: { runId: 'run-1', started: true } });
    const handle = await client.workflow.signalWithStart(order, { workflowId: 'wf', taskQueue: 'q', args: ['42', 10], signal: approve, signalArgs: [true] });
    expect(service.requests[0]!.body).toMatchObject({
      workflowType: 'order',
      taskQueue: 'q',
      input: [jsonPayload('42'), jsonPayload(10)],
      signalName: 'approve',
      signalInput: [jsonPayload(true)],
      identity: 'tester@host',
    });
    expect((service.requests[0]!.body as Record<string, unknown>).workflowId).toBeUndefined();
    expect(handle.signaledRunId).toBe('run-1');
    expect(handle.workflowId).toBe('wf');
    await expect(client.workflow.signalWithStart('order', { workflowId: 'wf', taskQueue: 'q', signal: 'go', workflowIdConflictPolicy: 'FAIL' })).rejects.toThrow(TypeError);
  });

  it('can be made alone, with the default namespace', async () => {
    service.route('POST', `${NS}/workflows`, { body: { runId: 'r', started: true } });
    const alone = new WorkflowClient({ connection: Connection.lazy({ address: service.address }) });
    expect(alone.options.namespace).toBe('default');
    await alone.start('order', { workflowId: 'wf', taskQueue: 'q' });
    expect(service.requests[0]!.path).toBe(`${NS}/workflows`);
  });
});

describe('WorkflowHandle operations', () => {
  it('signals by definition and by name, with encoded args and the bound run', async () => {
    service.route('POST', `${NS}/workflows/wf/signal`, { body: {} });
    await client.workflow.getHandle('wf').signal(approve, true);
    await client.workflow.getHandle('wf', 'run-2').signal('approve', false);
    const [first, second] = service.requestsTo(`${NS}/workflows/wf/signal`);
    expect(first!.body).toMatchObject({ signalName: 'approve', input: [jsonPayload(true)], identity: 'tester@host' });
    expect(first!.body).not.toHaveProperty('runId');
    expect(second!.body).toMatchObject({ signalName: 'approve', input: [jsonPayload(false)], runId: 'run-2' });
  });

  it('maps WORKFLOW_NOT_RUNNING and WORKFLOW_NOT_FOUND to WorkflowNotFoundError with the ids', async () => {
    service.route('POST', `${NS}/workflows/wf/signal`, { status: 409, body: { error: { code: 'WORKFLOW_NOT_RUNNING', message: 'closed' } } });
    service.route('GET', `${NS}/workflows/wf`, { status: 404, body: { error: { code: 'WORKFLOW_NOT_FOUND', message: 'no such run' } } });
    const signalErr = await client.workflow.getHandle('wf', 'run-9').signal('go').catch((e: unknown) => e);
    expect(signalErr).toBeInstanceOf(WorkflowNotFoundError);
    expect(signalErr).toMatchObject({ workflowId: 'wf', runId: 'run-9', message: 'closed' });
    await expect(client.workflow.getHandle('wf').describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('queries with encoded args and decodes the answer', async () => {
    service.route('POST', `${NS}/workflows/wf/query`, { body: { answer: jsonPayload('approved') } });
    const answer: string = await client.workflow.getHandle('wf').query(status, 'verbose');
    expect(answer).toBe('approved');
    expect(service.requests[0]!.body).toMatchObject({ queryType: 'status', queryArgs: [jsonPayload('verbose')] });
  });

  it('answers a query without answer payload with undefined', async () => {
    service.route('POST', `${NS}/workflows/wf/query`, { body: {} });
    await expect(client.workflow.getHandle('wf').query('nothing')).resolves.toBeUndefined();
  });

  it('turns QUERY_FAILED into QueryFailedError', async () => {
    service.route('POST', `${NS}/workflows/wf/query`, { status: 400, body: { error: { code: 'QUERY_FAILED', message: "no handler for query 'x'" } } });
    const err = await client.workflow.getHandle('wf').query('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryFailedError);
    expect((err as QueryFailedError).cause).toMatchObject({ code: 'QUERY_FAILED', status: 400 });
  });

  it('terminates with a reason, and cancels, the bound run', async () => {
    service.route('POST', `${NS}/workflows/wf/terminate`, { body: {} });
    service.route('POST', `${NS}/workflows/wf/cancel`, { body: {} });
    const handle = client.workflow.getHandle('wf', 'run-1');
    await handle.terminate('stuck');
    await handle.cancel();
    expect(service.requestsTo(`${NS}/workflows/wf/terminate`)[0]!.body).toMatchObject({ runId: 'run-1', reason: 'stuck', identity: 'tester@host', requestId: expect.any(String) });
    expect(service.requestsTo(`${NS}/workflows/wf/cancel`)[0]!.body).toMatchObject({ runId: 'run-1', identity: 'tester@host' });
  });

  it('cancels from a start handle only the latest run of the chain it started', async () => {
    service.route('POST', `${NS}/workflows`, { body: { runId: 'first', started: true } });
    service.route('GET', `${NS}/workflows/wf`, { body: describeAnswer({ execution: { workflowId: 'wf', runId: 'third' }, firstRunId: 'first' }) });
    service.route('POST', `${NS}/workflows/wf/cancel`, { body: {} });
    const handle = await client.workflow.start('order', { workflowId: 'wf', taskQueue: 'q' });
    await handle.cancel();
    expect(service.requestsTo(`${NS}/workflows/wf/cancel`)[0]!.body).toMatchObject({ runId: 'third' });
  });

  it('refuses to terminate a run of another chain that reuses the workflow id', async () => {
    service.route('GET', `${NS}/workflows/wf`, { body: describeAnswer({ firstRunId: 'someone-else' }) });
    const handle = client.workflow.getHandle('wf', undefined, { firstExecutionRunId: 'mine' });
    await expect(handle.terminate()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(service.requestsTo(`${NS}/workflows/wf/terminate`)).toHaveLength(0);
  });

  it('describes the run as Temporal does: Dates, status name and code, memo decoded', async () => {
    service.route('GET', `${NS}/workflows/wf`, {
      body: describeAnswer({ status: 'CANCELED', closeTime: '2026-01-02T00:00:00.000Z', memo: { customer: jsonPayload('ada') }, searchAttributes: { Region: 'eu' } }),
    });
    const d = await client.workflow.getHandle('wf').describe();
    expect(d).toMatchObject({
      workflowId: 'wf',
      runId: 'run-1',
      type: 'order',
      taskQueue: 'q',
      status: { name: 'CANCELLED', code: 4 },
      historyLength: 12,
      memo: { customer: 'ada' },
      searchAttributes: { Region: ['eu'] },
      firstExecutionRunId: 'run-1',
    });
    expect(d.startTime).toEqual(new Date('2026-01-01T00:00:00.000Z'));
    expect(d.executionTime).toEqual(new Date('2026-01-01T00:01:00.000Z'));
    expect(d.closeTime).toEqual(new Date('2026-01-02T00:00:00.000Z'));
    expect(d.raw.status).toBe('CANCELED');
  });

  it('fetches every page of history, pinned to the run of the first page', async () => {
    const event = (eventId: number) => ({ eventId, eventTime: '2026-01-01T00:00:00Z', eventType: 'TimerFired', attributes: { timerId: 't', startedEventId: 1 } });
    service.route(
      'GET',
      `${NS}/workflows/wf/history`,
      { body: { runId: 'run-1', events: [event(1), event(2)], nextPageToken: 'p2' } },
      { body: { runId: 'run-1', events: [event(3)], nextPageToken: 'p3' } },
      { body: { runId: 'run-1', events: [], nextPageToken: 'p3' } },
    );
    const history = await client.workflow.getHandle('wf').fetchHistory();
    // Temporal's JSON form: int64 ids as strings, EVENT_TYPE_ names, <type>EventAttributes.
    expect(history.events.map((e) => e.eventId)).toEqual(['1', '2', '3']);
    expect(history.events[0]).toEqual({ eventId: '1', eventTime: '2026-01-01T00:00:00Z', eventType: 'EVENT_TYPE_TIMER_FIRED', timerFiredEventAttributes: { timerId: 't', startedEventId: '1' } });
    const queries = service.requests.map((r) => Object.fromEntries(r.query));
    expect(queries).toEqual([{}, { runId: 'run-1', nextPageToken: 'p2' }, { runId: 'run-1', nextPageToken: 'p3' }]);
  });
});

describe('types', () => {
  // Never run: these only have to compile (or fail to, where marked).
  it('types workflow args and results, and signal and query args, from their definitions', () => {
    const checks = async () => {
      // @ts-expect-error order takes arguments, so args is required
      await client.workflow.start(order, { workflowId: 'wf', taskQueue: 'q' });
      // @ts-expect-error the second argument is a number
      await client.workflow.start(order, { workflowId: 'wf', taskQueue: 'q', args: ['1', '2'] });
      const result: string = await client.workflow.execute(order, { workflowId: 'wf', taskQueue: 'q', args: ['1', 2] });
      const handle = client.workflow.getHandle<typeof order>('wf');
      const fromHandle: string = await handle.result();
      await handle.signal(approve, true);
      // @ts-expect-error approve takes a boolean
      await handle.signal(approve, 'yes');
      const answer: string = await handle.query(status, 'verbose');
      // keel/workflow's own definitions type the arguments the same way.
      const sdkSignal = { type: 'signal', name: 'approve' } as WorkflowSdkSignalDefinition<[boolean]>;
      const sdkQuery = { type: 'query', name: 'status' } as WorkflowSdkQueryDefinition<number, []>;
      await handle.signal(sdkSignal, false);
      // @ts-expect-error approve takes a boolean
      await handle.signal(sdkSignal, 1);
      const count: number = await handle.query(sdkQuery);
      return [result, fromHandle, answer, count];
    };
    expect(typeof checks).toBe('function');
  });
});

describe('Client', () => {
  it('connects from address and apiKey when no connection is given', async () => {
    service.route('GET', `${NS}/workflows/wf`, { body: describeAnswer({}) });
    const keyed = new Client({ address: service.address, apiKey: 'secret' });
    await keyed.workflow.getHandle('wf').describe();
    expect(service.requests[0]!.headers.authorization).toBe('Bearer secret');
  });

  it('puts every call in its namespace', async () => {
    service.route('POST', '/api/v1/namespaces/billing/workflows/wf/signal', { body: {} });
    const billing = new Client({ connection: client.connection, namespace: 'billing' });
    await billing.workflow.getHandle('wf').signal('go');
    expect(service.requests[0]!.path).toBe('/api/v1/namespaces/billing/workflows/wf/signal');
  });

  it('refuses a connection together with address or apiKey', () => {
    expect(() => new Client({ connection: client.connection, apiKey: 'k' })).toThrow(/either a connection/);
  });

  it('withMetadata adds headers to the calls made inside it', async () => {
    service.route('POST', `${NS}/workflows/wf/signal`, { body: {} });
    await client.withMetadata({ 'x-trace': 'abc' }, () => client.workflow.getHandle('wf').signal('go'));
    await client.workflow.getHandle('wf').signal('go');
    expect(service.requests.map((r) => r.headers['x-trace'])).toEqual(['abc', undefined]);
  });
});

/** A describe answer with sensible defaults. */
function describeAnswer(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    execution: { workflowId: 'wf', runId: 'run-1' },
    workflowType: 'order',
    taskQueue: 'q',
    status: 'RUNNING',
    startTime: '2026-01-01T00:00:00.000Z',
    executionTime: '2026-01-01T00:01:00.000Z',
    historyLength: 12,
    firstRunId: 'run-1',
    workflowTaskTimeoutMs: 10_000,
    pendingActivities: [],
    ...overrides,
  };
}
