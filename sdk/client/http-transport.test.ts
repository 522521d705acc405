import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeelServiceError, ServiceError } from './errors.js';
import { HttpTransport, fillPath, toQueryString, type HttpTransportOptions } from './http-transport.js';
import { FakeService } from './test-fake-service.js';

let service: FakeService;
let delays: number[];

beforeEach(async () => {
  service = await FakeService.start();
  delays = [];
});
afterEach(async () => {
  await service.close();
});

/** A transport to the fake service whose back-off is recorded instead of waited, without jitter. */
function transport(options: HttpTransportOptions = {}): HttpTransport {
  return new HttpTransport({
    address: service.address,
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
}

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const start = { workflowId: 'wf', workflowType: 'order', taskQueue: 'q' };

describe('HttpTransport URLs and bodies', () => {
  it('builds the URL from the address, the namespace and the encoded path parameters', async () => {
    service.route('POST', /\/signal$/, { body: {} });
    await transport().call('signalWorkflow', { signalName: 'go' }, { namespace: 'team a', params: { workflowId: 'order/1 ?' } });
    expect(service.requests[0]!.path).toBe('/api/v1/namespaces/team%20a/workflows/order%2F1%20%3F/signal');
  });

  it('accepts a full URL with a path prefix', async () => {
    service.route('POST', '/prefix/api/v1/namespaces/default/workflows', { body: { runId: 'r1', started: true } });
    const t = new HttpTransport({ address: `${service.url}/prefix/` });
    await expect(t.call('startWorkflow', start, { namespace: 'default' })).resolves.toEqual({ runId: 'r1', started: true });
  });

  it('sends a POST request as a JSON body', async () => {
    service.route('POST', '/api/v1/namespaces/default/workflows', { body: { runId: 'r1', started: true } });
    await transport().call('startWorkflow', start, { namespace: 'default' });
    const [request] = service.requests;
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.body).toMatchObject(start);
  });

  it('sends Host, the byte length of a non-ASCII body, the metadata and the call\'s headers, the same on every request', async () => {
    service.route('POST', /\/signal$/, { body: {} });
    const t = transport({ headers: { 'x-team': 'a' } });
    for (const signalName of ['é', 'ü', 'ascii']) {
      await t.call('signalWorkflow', { signalName }, { namespace: 'default', params: { workflowId: 'wf' }, ...(signalName === 'ü' ? { headers: { 'x-call': '1' } } : {}) });
    }
    const [first, second, third] = service.requests;
    for (const request of [first!, second!, third!]) {
      expect(request.headers.host).toBe(new URL(service.url).host);
      expect(request.headers['x-team']).toBe('a');
      expect(Number(request.headers['content-length'])).toBe(Buffer.byteLength(JSON.stringify(request.body)));
    }
    expect((first!.body as { signalName: string }).signalName).toBe('é');
    expect(second!.headers['x-call']).toBe('1');
    expect(third!.headers['x-call']).toBeUndefined();
  });

  it('sends an API key given as a string, and a rotated one, on requests with and without headers of their own', async () => {
    service.route('POST', /\/signal$/, { body: {} });
    const t = transport({ apiKey: 'k1', headers: { 'x-team': 'a' } });
    const signal = (headers?: Record<string, string>) => t.call('signalWorkflow', { signalName: 'go' }, { namespace: 'default', params: { workflowId: 'wf' }, ...(headers ? { headers } : {}) });
    await signal();
    await signal({ 'x-call': '1' });
    t.setApiKey('k2');
    await signal();
    t.setApiKey(undefined);
    await signal();
    expect(service.requests.map((r) => r.headers.authorization)).toEqual(['Bearer k1', 'Bearer k1', 'Bearer k2', undefined]);
    expect(service.requests.map((r) => r.headers['x-team'])).toEqual(['a', 'a', 'a', 'a']);
  });

  it('lets a Host header of the metadata stand for the address\'s', async () => {
    service.route('POST', /\/signal$/, { body: {} });
    await transport({ headers: { Host: 'keel.example' } }).call('signalWorkflow', { signalName: 'go' }, { namespace: 'default', params: { workflowId: 'wf' } });
    expect(service.requests[0]!.headers.host).toBe('keel.example');
  });

  it('sends a GET request as a query string, leaving out undefined fields', async () => {
    service.route('GET', /\/history$/, { body: { runId: 'r1', events: [] } });
    await transport().call(
      'getWorkflowHistory',
      { runId: 'r1', waitNewEvent: true, closeEventOnly: false, pageSize: 50, nextPageToken: undefined },
      { namespace: 'default', params: { workflowId: 'wf' } },
    );
    const [request] = service.requests;
    expect(request!.method).toBe('GET');
    expect(request!.body).toBeUndefined();
    expect(Object.fromEntries(request!.query)).toEqual({ runId: 'r1', waitNewEvent: 'true', closeEventOnly: 'false', pageSize: '50' });
  });

  it('encodes arrays as repeated keys and objects as JSON', () => {
    expect(toQueryString({ a: ['x', 'y'], b: { c: 1 }, d: null, e: undefined, f: 0 })).toBe('a=x&a=y&b=%7B%22c%22%3A1%7D&f=0');
  });

  it('refuses a path without its parameter', () => {
    expect(() => fillPath('/workflows/{workflowId}', {})).toThrow(/Missing path parameter 'workflowId'/);
  });

  it('answers an empty 200 (a long poll that timed out) with an empty object', async () => {
    service.route('POST', /workflow-tasks\/poll$/, { status: 200 });
    await expect(transport().call('pollWorkflowTask', {}, { namespace: 'default', params: { taskQueue: 'q' } })).resolves.toEqual({});
  });

  it('sends through a fetch given in the options (e.g. one with its own dispatcher), errors and retries alike', async () => {
    service.route('POST', /\/signal$/, { status: 503, body: { error: { code: 'UNAVAILABLE', message: 'busy' } } }, { body: {} });
    const seen: string[] = [];
    const t = transport({ fetch: (input, init) => (seen.push(`${init?.method} ${String(input)}`), fetch(input, init)) });
    await t.call('signalWorkflow', { signalName: 'go', requestId: 'r-1' }, { namespace: 'default', params: { workflowId: 'wf' } });
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/default\/workflows\/wf\/signal$/);
    expect(delays).toHaveLength(1);
  });
});

describe('HttpTransport authentication', () => {
  it('sends the API key as a bearer token', async () => {
    service.route('GET', /\/workflows\/wf$/, { body: {} });
    await transport({ apiKey: 'k-123' }).call('describeWorkflow', {}, { namespace: 'default', params: { workflowId: 'wf' } });
    expect(service.requests[0]!.headers.authorization).toBe('Bearer k-123');
  });

  it('sends no Authorization header without a key', async () => {
    service.route('GET', /\/workflows\/wf$/, { body: {} });
    await transport().call('describeWorkflow', {}, { namespace: 'default', params: { workflowId: 'wf' } });
    expect(service.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('calls an API key function for every request, so rotated keys are used', async () => {
    service.route('GET', /\/workflows\/wf$/, { body: {} });
    let n = 0;
    const t = transport({ apiKey: () => `key-${++n}` });
    await t.call('describeWorkflow', {}, { namespace: 'default', params: { workflowId: 'wf' } });
    await t.call('describeWorkflow', {}, { namespace: 'default', params: { workflowId: 'wf' } });
    expect(service.requests.map((r) => r.headers.authorization)).toEqual(['Bearer key-1', 'Bearer key-2']);
  });

  it('refuses an API key together with an Authorization header', () => {
    expect(() => transport({ apiKey: 'k', headers: { Authorization: 'Bearer x' } })).toThrow(/apiKey/);
  });
});

describe('HttpTransport errors', () => {
  it('turns an error body into a KeelServiceError with code, status, message and details', async () => {
    service.route('POST', '/api/v1/namespaces/default/workflows', {
      status: 400,
      body: { error: { code: 'INVALID_ARGUMENT', message: 'taskQueue is required', details: { issues: [{ path: ['taskQueue'] }] } } },
    });
    const err = await transport().call('startWorkflow', start, { namespace: 'default' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeelServiceError);
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', status: 400, message: 'taskQueue is required', details: { issues: [{ path: ['taskQueue'] }] } });
    expect(service.requests).toHaveLength(1);
  });

  it('names an answer that is not a Keel error body UNKNOWN (or UNAVAILABLE for a gateway error)', async () => {
    service.route('GET', /\/workflows\/a$/, { status: 418, body: 'teapot' });
    service.route('GET', /\/workflows\/b$/, { status: 502, raw: '<html>bad gateway</html>' });
    const t = transport({ retry: { maxAttempts: 1 } });
    await expect(t.call('describeWorkflow', {}, { namespace: 'default', params: { workflowId: 'a' } })).rejects.toMatchObject({ code: 'UNKNOWN', status: 418 });
    await expect(t.call('describeWorkflow', {}, { namespace: 'default', params: { workflowId: 'b' } })).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 502 });
  });

  it('rejects a 2xx body that is not JSON with a ServiceError', async () => {
    service.route('GET', /\/workflows\/wf$/, { raw: '<html>hello</html>' });
    const err = await transport().call('describeWorkflow', {}, { namespace: 'default', params: { workflowId: 'wf' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as Error).message).toMatch(/not JSON/);
  });
});

describe('HttpTransport retries', () => {
  it('retries a dropped start with the same requestId, so the service can answer the retry with the first answer', async () => {
    service.route('POST', '/api/v1/namespaces/default/workflows', { drop: true }, { body: { runId: 'r1', started: true } });
    const answer = await transport().call('startWorkflow', start, { namespace: 'default' });
    expect(answer).toEqual({ runId: 'r1', started: true });
    const [first, second] = service.requests;
    expect(service.requests).toHaveLength(2);
    const id = (first!.body as { requestId?: string }).requestId;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((second!.body as { requestId?: string }).requestId).toBe(id);
    expect(delays).toEqual([100]);
  });

  it('makes a new requestId for each logical call, and keeps one the caller gave', async () => {
    service.route('POST', '/api/v1/namespaces/default/workflows', { body: { runId: 'r1', started: true } });
    const t = transport();
    await t.call('startWorkflow', start, { namespace: 'default' });
    await t.call('startWorkflow', start, { namespace: 'default' });
    await t.call('startWorkflow', { ...start, requestId: 'mine' }, { namespace: 'default' });
    const ids = service.requests.map((r) => (r.body as { requestId: string }).requestId);
    expect(ids[0]).not.toBe(ids[1]);
    expect(ids[2]).toBe('mine');
  });

  it('retries a 503 of an idempotent call with capped exponential back-off', async () => {
    const unavailable = { status: 503, body: { error: { code: 'INTERNAL', message: 'overloaded' } } };
    service.route('GET', /\/workflows\/wf$/, unavailable, unavailable, unavailable, { body: { workflowType: 'order' } });
    const answer = await transport().call('describeWorkflow', {}, { namespace: 'default', params: { workflowId: 'wf' } });
    expect(answer).toEqual({ workflowType: 'order' });
    expect(delays).toEqual([100, 200, 400]);
  });

  it('honours Retry-After', async () => {
    service.route('GET', /\/workflows\/wf$/, { status: 503, headers: { 'retry-after': '2' } }, { body: {} });
    await transport().call('describeWorkflow', {}, { namespace: 'default', params: { workflowId: 'wf' } });
    expect(delays).toEqual([2000]);
  });

  it('with retry: false makes one attempt, even of a poll to a service that is not listening (the poll loop backs off and logs itself)', async () => {
    const t = new HttpTransport({ address: `127.0.0.1:${await closedPort()}`, sleep: async (ms) => void delays.push(ms) });
    await expect(t.call('pollActivityTask', {}, { namespace: 'default', params: { taskQueue: 'q' }, retry: false })).rejects.toThrow(/ECONNREFUSED/);
    expect(delays).toEqual([]);
    service.route('POST', /\/activity-tasks\/poll$/, { status: 503 });
    await expect(transport().call('pollActivityTask', {}, { namespace: 'default', params: { taskQueue: 'q' }, retry: false })).rejects.toMatchObject({ status: 503 });
    expect(service.requests).toHaveLength(1);
  });

  it('gives up after maxAttempts with the last error', async () => {
    service.route('GET', /\/workflows\/wf$/, { status: 503 });
    const t = transport({ retry: { maxAttempts: 3 } });
    await expect(t.call('describeWorkflow', {}, { namespace: 'default', params: { workflowId: 'wf' } })).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    expect(service.requests).toHaveLength(3);
  });

  it('does not repeat a call that is unsafe to repeat after the connection dropped', async () => {
    service.route('POST', /workflow-tasks\/fail$/, { drop: true }, { body: {} });
    const t = transport();
    const err = await t.call('failWorkflowTask', { taskToken: 't', failure: { message: 'boom' } }, { namespace: 'default' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).not.toBeInstanceOf(KeelServiceError);
    expect(service.requests).toHaveLength(1);
  });

  it('does not repeat an unsafe call on 503, but does on 429 (refused before acting)', async () => {
    service.route('POST', /workflow-tasks\/fail$/, { status: 503 });
    service.route('POST', /query-tasks\/respond$/, { status: 429 }, { body: {} });
    const t = transport();
    await expect(t.call('failWorkflowTask', { taskToken: 't', failure: { message: 'x' } }, { namespace: 'default' })).rejects.toMatchObject({ status: 503 });
    await expect(t.call('respondQueryTask', { taskToken: 't' }, { namespace: 'default' })).resolves.toEqual({});
    expect(service.requestsTo(/workflow-tasks\/fail$/)).toHaveLength(1);
    expect(service.requestsTo(/query-tasks\/respond$/)).toHaveLength(2);
  });

  it('does not retry error answers such as 400 or 404', async () => {
    service.route('GET', /\/workflows\/wf$/, { status: 404, body: { error: { code: 'WORKFLOW_NOT_FOUND', message: 'no such workflow' } } });
    await expect(transport().call('describeWorkflow', {}, { namespace: 'default', params: { workflowId: 'wf' } })).rejects.toMatchObject({ code: 'WORKFLOW_NOT_FOUND' });
    expect(service.requests).toHaveLength(1);
  });

  it('retries even an unsafe call when the connection was refused (nothing was sent)', async () => {
    const t = new HttpTransport({ address: `127.0.0.1:${await closedPort()}`, retry: { maxAttempts: 3 }, sleep: async (ms) => void delays.push(ms), random: () => 0.5 });
    const err = await t.call('failWorkflowTask', { taskToken: 't', failure: { message: 'x' } }, { namespace: 'default' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect(delays).toEqual([100, 200]);
  });
});

describe('HttpTransport cancellation', () => {
  it('abandons a call at once when its signal aborts, without retrying', async () => {
    service.route('GET', /\/history$/, { delayMs: 2000, body: { runId: 'r', events: [] } });
    const controller = new AbortController();
    const pending = transport().call('getWorkflowHistory', { waitNewEvent: true }, { namespace: 'default', params: { workflowId: 'wf' }, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const began = Date.now();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - began).toBeLessThan(1000);
    expect(delays).toEqual([]);
  });

  it('abandons an attempt that outlives attemptTimeoutMs and retries it when safe', async () => {
    service.route('GET', /\/workflows\/wf$/, { delayMs: 1000, body: { slow: true } }, { body: { slow: false } });
    const answer = await transport({ attemptTimeoutMs: 50 }).call('describeWorkflow', {}, { namespace: 'default', params: { workflowId: 'wf' } });
    expect(answer).toEqual({ slow: false });
    expect(delays).toEqual([100]);
  });

  it('close() rejects calls in flight and refuses new ones', async () => {
    service.route('GET', /\/history$/, { delayMs: 2000, body: {} });
    const t = transport();
    const pending = t.call('getWorkflowHistory', { waitNewEvent: true }, { namespace: 'default', params: { workflowId: 'wf' } });
    await new Promise((r) => setTimeout(r, 20));
    t.close();
    await expect(pending).rejects.toThrow(/was closed/);
    await expect(t.call('describeWorkflow', {}, { namespace: 'default', params: { workflowId: 'wf' } })).rejects.toThrow(/was closed/);
    expect(t.closed).toBe(true);
  });
});
