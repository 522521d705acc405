import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Connection } from './connection.js';
import { ServiceError } from './errors.js';
import { FakeService } from './test-fake-service.js';

let service: FakeService;

beforeEach(async () => {
  service = await FakeService.start();
});
afterEach(async () => {
  await service.close();
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Connection', () => {
  it('connect() checks that the service serves its OpenAPI document', async () => {
    service.route('GET', '/api/v1/openapi.json', { body: { openapi: '3.1.0' } });
    const connection = await Connection.connect({ address: service.address });
    expect(service.requestsTo('/api/v1/openapi.json')).toHaveLength(1);
    // Memoised: a second check asks nothing.
    await connection.ensureConnected();
    expect(service.requestsTo('/api/v1/openapi.json')).toHaveLength(1);
    await connection.close();
  });

  it('connect() fails with a ServiceError naming the address when nothing answers in time', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const began = Date.now();
    const err = await Connection.connect({ address, connectTimeout: '300ms' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as Error).message).toContain(`http://${address}`);
    expect(Date.now() - began).toBeLessThan(3000);
  });

  it('connect() fails when the address is not a Keel service', async () => {
    await expect(Connection.connect({ address: service.address })).rejects.toThrow(/Failed to connect/);
  });

  it('lazy() makes no request', async () => {
    const connection = Connection.lazy({ address: service.address });
    expect(connection.transport.baseUrl).toBe(service.url);
    expect(service.requests).toHaveLength(0);
  });

  it('defaults to 127.0.0.1:7233 and a 10 s connect timeout', () => {
    const connection = Connection.lazy();
    expect(connection.transport.baseUrl).toBe('http://127.0.0.1:7233');
    expect(connection.options.connectTimeoutMs).toBe(10_000);
  });

  it('sends metadata headers and the API key on every call', async () => {
    service.route('POST', /signal$/, { body: {} });
    const connection = Connection.lazy({ address: service.address, apiKey: 'k', metadata: { 'x-team': 'billing' } });
    await connection.call('signalWorkflow', { signalName: 's' }, { namespace: 'default', params: { workflowId: 'wf' } });
    expect(service.requests[0]!.headers).toMatchObject({ authorization: 'Bearer k', 'x-team': 'billing' });
  });

  it('withAbortSignal abandons the calls made inside it', async () => {
    service.route('GET', /history$/, { delayMs: 2000, body: {} });
    const connection = Connection.lazy({ address: service.address });
    const controller = new AbortController();
    const pending = connection.withAbortSignal(controller.signal, () =>
      connection.call('getWorkflowHistory', { waitNewEvent: true }, { namespace: 'default', params: { workflowId: 'wf' } }),
    );
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('withDeadline abandons calls still running at the deadline', async () => {
    service.route('GET', /history$/, { delayMs: 2000, body: {} });
    const connection = Connection.lazy({ address: service.address });
    const pending = connection.withDeadline(Date.now() + 50, () =>
      connection.call('getWorkflowHistory', { waitNewEvent: true }, { namespace: 'default', params: { workflowId: 'wf' } }),
    );
    await expect(pending).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('refuses TLS certificate options it cannot honour', () => {
    expect(() => Connection.lazy({ tls: { clientCertPair: {} } as never })).toThrow(/not supported/);
    expect(Connection.lazy({ address: 'keel.example.com:443', tls: true }).transport.baseUrl).toBe('https://keel.example.com');
  });
});
