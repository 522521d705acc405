// The client applies the data converter's payload codecs to every payload going out (input,
// memo, signal and query args) and coming back (result, failure details, memo, query answer).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Payload } from '../../protocol/index.js';
import { ApplicationFailure } from '../common/index.js';
import { Client } from './client.js';
import { Connection } from './connection.js';
import { WorkflowFailedError } from './errors.js';
import { FakeService } from './test-fake-service.js';
import { WrapCodec, encodingOf, wrappedJsonPayload } from './test-payloads.js';

const NS = '/api/v1/namespaces/default';
let service: FakeService;
let codec: WrapCodec;
let client: Client;

beforeEach(async () => {
  service = await FakeService.start();
  codec = new WrapCodec();
  client = new Client({ connection: Connection.lazy({ address: service.address }), dataConverter: { payloadCodecs: [codec] } });
});
afterEach(async () => {
  await service.close();
});

describe('payload codecs', () => {
  it('encode the workflow input and memo sent by start', async () => {
    service.route('POST', `${NS}/workflows`, { body: { runId: 'r', started: true } });
    await client.workflow.start('order', { workflowId: 'wf', taskQueue: 'q', args: ['42', { qty: 2 }], memo: { note: 'hi' } });
    const body = service.requests[0]!.body as { input: Payload[]; memo: Record<string, Payload> };
    expect(body.input).toEqual([wrappedJsonPayload('42'), wrappedJsonPayload({ qty: 2 })]);
    expect(body.memo).toEqual({ note: wrappedJsonPayload('hi') });
    expect(body.input.every((p) => encodingOf(p) === 'binary/wrapped')).toBe(true);
  });

  it('encode signal and query arguments, and decode the query answer', async () => {
    service.route('POST', `${NS}/workflows/wf/signal`, { body: {} });
    service.route('POST', `${NS}/workflows/wf/query`, { body: { answer: wrappedJsonPayload({ state: 'open' }) } });
    const handle = client.workflow.getHandle('wf');
    await handle.signal('approve', true);
    await expect(handle.query('state', 'full')).resolves.toEqual({ state: 'open' });
    expect(service.requestsTo(`${NS}/workflows/wf/signal`)[0]!.body).toMatchObject({ input: [wrappedJsonPayload(true)] });
    expect(service.requestsTo(`${NS}/workflows/wf/query`)[0]!.body).toMatchObject({ queryArgs: [wrappedJsonPayload('full')] });
  });

  it('decode the result', async () => {
    service.route('GET', `${NS}/workflows/wf/history`, {
      body: { runId: 'r', events: [{ eventId: 5, eventTime: 't', eventType: 'WorkflowExecutionCompleted', attributes: { result: wrappedJsonPayload([1, 2]), workflowTaskCompletedEventId: 4 } }] },
    });
    await expect(client.workflow.getHandle('wf').result()).resolves.toEqual([1, 2]);
    expect(codec.decoded).toBe(1);
  });

  it('decode the details of a failure and of its causes', async () => {
    const failure = {
      message: 'outer',
      applicationFailureInfo: { type: 'Outer', details: [wrappedJsonPayload('outer-detail')] },
      cause: { message: 'inner', applicationFailureInfo: { type: 'Inner', details: [wrappedJsonPayload({ code: 7 })] } },
    };
    service.route('GET', `${NS}/workflows/wf/history`, {
      body: { runId: 'r', events: [{ eventId: 5, eventTime: 't', eventType: 'WorkflowExecutionFailed', attributes: { failure, retryState: 'NON_RETRYABLE_FAILURE', workflowTaskCompletedEventId: 4 } }] },
    });
    const err = (await client.workflow.getHandle('wf').result().catch((e: unknown) => e)) as WorkflowFailedError;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err.cause).toBeInstanceOf(ApplicationFailure);
    expect((err.cause as ApplicationFailure).details).toEqual(['outer-detail']);
    expect(((err.cause as ApplicationFailure).cause as ApplicationFailure).details).toEqual([{ code: 7 }]);
  });

  it('decode the memo of describe', async () => {
    service.route('GET', `${NS}/workflows/wf`, {
      body: {
        execution: { workflowId: 'wf', runId: 'r' },
        workflowType: 'order',
        taskQueue: 'q',
        status: 'RUNNING',
        startTime: '2026-01-01T00:00:00Z',
        executionTime: '2026-01-01T00:00:00Z',
        historyLength: 3,
        firstRunId: 'r',
        workflowTaskTimeoutMs: 10_000,
        pendingActivities: [],
        memo: { note: wrappedJsonPayload('hi') },
      },
    });
    const description = await client.workflow.getHandle('wf').describe();
    expect(description.memo).toEqual({ note: 'hi' });
    // `raw` keeps what the service holds: ciphertext stays ciphertext.
    expect(description.raw.memo).toEqual({ note: wrappedJsonPayload('hi') });
  });
});
