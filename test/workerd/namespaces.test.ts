/**
 * Namespaces: registered, described, listed and updated through the HTTP API; on a deployed
 * service (no auto-create) an unregistered namespace is NAMESPACE_NOT_FOUND and nothing is made
 * for it; under `keel dev` (auto-create) any name works and is registered on first use.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../src/env.js';
import { sha256Hex } from '../../src/auth.js';
import { createRouter } from '../../src/router.js';
import { expectError, fetchService, unique, type ApiAnswer } from './helpers.js';

const HOUR = 3_600_000;
const router = createRouter();
const deployed = { ...(env as unknown as Env), KEEL_NAMESPACE_AUTO_CREATE: undefined } as Env;

/** Calls the service as deployed (no namespace created on first use), or with other bindings. */
async function call(method: 'GET' | 'POST', path: string, body?: unknown, bindings: Env = deployed, headers: Record<string, string> = {}): Promise<ApiAnswer> {
  const init: RequestInit = method === 'POST' ? { method, body: JSON.stringify(body ?? {}), headers: { 'content-type': 'application/json', ...headers } } : { method, headers };
  const res = (await router.fetch(new Request(`http://keel.test/api/v1${path}`, init), bindings, undefined)) as Response;
  return { status: res.status, body: await res.json() };
}

const start = (ns: string, workflowId: string, bindings?: Env) => call('POST', `/namespaces/${ns}/workflows`, { workflowId, workflowType: 'order', taskQueue: 'q' }, bindings);

describe('the namespace registry', () => {
  it('registers a namespace with Temporal\'s default retention, and describes and lists it', async () => {
    const name = unique('ns');
    const created = await call('POST', '/namespaces', { name, description: 'orders', ownerEmail: 'ops@example.com', data: { team: 'billing' } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ name, state: 'REGISTERED', description: 'orders', ownerEmail: 'ops@example.com', data: { team: 'billing' }, retentionMs: 72 * HOUR });
    expect((await call('GET', `/namespaces/${name}`)).body).toEqual(created.body);
    const names: string[] = [];
    for (let token: string | undefined, pages = 0; pages < 100; pages++) {
      const page = await call('GET', `/namespaces?pageSize=2${token ? `&nextPageToken=${encodeURIComponent(token)}` : ''}`);
      names.push(...page.body.namespaces.map((n: { name: string }) => n.name));
      token = page.body.nextPageToken;
      if (!token) break;
    }
    expect(names).toContain(name);
    expect(names).toEqual([...names].sort());
  });

  it('refuses a second registration of a name, and a bad name or retention', async () => {
    const name = unique('ns');
    await call('POST', '/namespaces', { name });
    expectError(await call('POST', '/namespaces', { name, description: 'again' }), 'NAMESPACE_ALREADY_EXISTS');
    expect((await call('GET', `/namespaces/${name}`)).body.description).toBe('');
    expectError(await call('POST', '/namespaces', { name: 'has space' }), 'INVALID_ARGUMENT');
    expectError(await call('POST', '/namespaces', { name: unique('ns'), retentionMs: 10 }), 'INVALID_ARGUMENT');
  });

  it('updates only the fields given, merging data (an empty value removes its key)', async () => {
    const name = unique('ns');
    await call('POST', '/namespaces', { name, description: 'd', data: { a: '1', b: '2' } });
    const updated = await call('POST', `/namespaces/${name}/update`, { retentionMs: 24 * HOUR, data: { b: '', c: '3' } });
    expect(updated.body).toMatchObject({ description: 'd', retentionMs: 24 * HOUR, data: { a: '1', c: '3' } });
    expect(Date.parse(updated.body.updateTime)).toBeGreaterThan(Date.parse(updated.body.createTime) - 1);
    expect((await call('GET', `/namespaces/${name}`)).body).toEqual(updated.body);
    expectError(await call('POST', `/namespaces/${unique('nope')}/update`, { description: 'x' }), 'NAMESPACE_NOT_FOUND');
  });
});

describe('an unregistered namespace on a deployed service', () => {
  it('is NAMESPACE_NOT_FOUND, and no namespace is made for it', async () => {
    const typo = unique('typo');
    const err = expectError(await start(typo, 'wf'), 'NAMESPACE_NOT_FOUND', /not registered/);
    expect(err.details).toEqual({ namespace: typo });
    expectError(await call('GET', `/namespaces/${typo}/workflows`), 'NAMESPACE_NOT_FOUND');
    expectError(await call('GET', `/namespaces/${typo}`), 'NAMESPACE_NOT_FOUND');
  });

  it('works once registered, and `default` always works', async () => {
    const name = unique('ns');
    await call('POST', '/namespaces', { name });
    expect((await start(name, unique('wf'))).status).toBe(200);
    expect((await start('default', unique('wf'))).status).toBe(200);
  });
});

describe('keel dev: namespaces are created on first use', () => {
  it('registers an unknown namespace with the defaults when it is first used', async () => {
    const name = unique('ns');
    const r = await fetchService(`/api/v1/namespaces/${name}/workflows`, { method: 'POST', body: JSON.stringify({ workflowId: 'wf', workflowType: 'order', taskQueue: 'q' }), headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(200);
    expect((await call('GET', `/namespaces/${name}`)).body).toMatchObject({ name, retentionMs: 72 * HOUR, state: 'REGISTERED' });
  });

  it('does not create a name that could not be registered', async () => {
    const r = await fetchService(`/api/v1/namespaces/${encodeURIComponent('has space')}/workflow-count`);
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('NAMESPACE_NOT_FOUND');
  });
});

describe('API keys and namespaces', () => {
  it('lets only a key for every namespace register or change one, and lists only the namespaces a key may use', async () => {
    const [mine, other] = [unique('ns'), unique('ns')];
    await call('POST', '/namespaces', { name: mine });
    await call('POST', '/namespaces', { name: other });
    const keys = JSON.stringify([
      { name: 'admin', sha256: await sha256Hex('admin-key'), namespaces: ['*'] },
      { name: 'team', sha256: await sha256Hex('team-key'), namespaces: [mine] },
    ]);
    const withKeys = { ...deployed, KEEL_API_KEYS: keys, KEEL_TOKEN_SECRET: 'test-secret-test-secret' } as Env;
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    expectError(await call('POST', '/namespaces', { name: unique('ns') }, withKeys, as('team-key')), 'PERMISSION_DENIED');
    expectError(await call('POST', `/namespaces/${mine}/update`, { description: 'x' }, withKeys, as('team-key')), 'PERMISSION_DENIED');
    expectError(await call('GET', `/namespaces/${other}`, undefined, withKeys, as('team-key')), 'PERMISSION_DENIED');
    expect((await call('GET', `/namespaces/${mine}`, undefined, withKeys, as('team-key'))).status).toBe(200);
    const listed = await call('GET', '/namespaces', undefined, withKeys, as('team-key'));
    expect(listed.body.namespaces.map((n: { name: string }) => n.name)).toEqual([mine]);
    expect((await call('POST', `/namespaces/${mine}/update`, { description: 'x' }, withKeys, as('admin-key'))).body.description).toBe('x');
    expectError(await call('GET', '/namespaces', undefined, withKeys), 'UNAUTHENTICATED');
  });
});
