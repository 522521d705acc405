// API keys and namespace isolation against a real local service whose KEEL_API_KEYS secret
// holds grants made by `keel api-key create`: a key works only in its namespaces, and every
// client part (Client, Worker, CLI) carries it.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection, KeelServiceError } from 'keel/client';
import { startLocalService, type LocalService } from 'keel/testing';
import { API_PREFIX, Api, namespacePath } from '../../protocol/index.js';
import { NativeConnection, Worker } from 'keel/worker';
import { main } from '../../cli/program.js';
import * as activities from './fixtures/activities.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/workflows.ts', import.meta.url));

async function keel(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(['node', 'keel', ...args], { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

async function createKey(...args: string[]): Promise<{ key: string; grant: { sha256: string; namespaces: string[] } }> {
  const r = await keel('api-key', 'create', '--output', 'json', ...args);
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
}

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return err instanceof KeelServiceError ? err.code : (err as Error).name;
  }
};

let service: LocalService;
let teamA: { key: string };
let admin: { key: string; grant: { sha256: string; namespaces: string[] } };

beforeAll(async () => {
  const a = await createKey('--name', 'team-a', '--namespace', 'team-a');
  const b = await createKey('--namespace', '*');
  teamA = a;
  admin = b;
  service = await startLocalService({ bindings: { KEEL_API_KEYS: JSON.stringify([a.grant, b.grant]) } });
});
afterAll(async () => {
  await service?.stop();
});

const client = async (namespace: string, apiKey?: string) =>
  new Client({ connection: await Connection.connect({ address: service.address, ...(apiKey ? { apiKey } : {}) }), namespace });

describe('API keys', () => {
  it('runs a workflow end to end when client and worker carry a key for the namespace', async () => {
    const c = await client('team-a', teamA.key);
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address: service.address, apiKey: teamA.key }),
      namespace: 'team-a',
      taskQueue: 'keyed',
      workflowsPath,
      activities,
      shutdownSignals: [],
    });
    expect(await worker.runUntil(c.workflow.execute('hello', { taskQueue: 'keyed', workflowId: 'keyed-1', args: ['Keel'] }))).toBe('Hello, Keel!');
  });

  it('refuses calls without a key, or with one the service does not know, as UNAUTHENTICATED', async () => {
    expect(await codeOf((await client('team-a')).workflow.getHandle('keyed-1').describe())).toBe('UNAUTHENTICATED');
    expect(await codeOf((await client('team-a', 'keel_not-a-key')).workflow.getHandle('keyed-1').describe())).toBe('UNAUTHENTICATED');
  });

  it("keeps a key out of other namespaces: it can neither read nor change anything there", async () => {
    const foreign = await client('team-b', teamA.key);
    expect(await codeOf(foreign.workflow.start('hello', { taskQueue: 'keyed', workflowId: 'keyed-b', args: ['x'] }))).toBe('PERMISSION_DENIED');
    expect(await codeOf(foreign.workflow.count())).toBe('PERMISSION_DENIED');
    expect(await codeOf(foreign.workflow.getHandle('keyed-1').describe())).toBe('PERMISSION_DENIED');
    // A key granted every namespace reaches team-a's workflow, and sees nothing of it in team-b.
    expect((await (await client('team-a', admin.key)).workflow.getHandle('keyed-1').describe()).status.name).toBe('COMPLETED');
    expect(await codeOf((await client('team-b', admin.key)).workflow.getHandle('keyed-1').describe())).toBe('WorkflowNotFoundError');
  });

  it('serves the UI and the OpenAPI document without a key; the CLI takes the key from KEEL_API_KEY', async () => {
    expect((await fetch(`${service.url}/`)).status).toBe(200);
    expect((await fetch(`${service.url}/api/v1/openapi.json`)).status).toBe(200);

    const denied = await keel('workflow', 'describe', '--address', service.address, '--namespace', 'team-a', '-w', 'keyed-1');
    expect(denied.code).not.toBe(0);
    expect(denied.err).toMatch(/API key/);
    process.env['KEEL_API_KEY'] = teamA.key;
    try {
      const described = await keel('workflow', 'describe', '--address', service.address, '--namespace', 'team-a', '-w', 'keyed-1', '--output', 'json');
      expect(described.code).toBe(0);
      expect(JSON.parse(described.out)).toMatchObject({ status: 'COMPLETED' });
    } finally {
      delete process.env['KEEL_API_KEY'];
    }
  });
});

describe('the auth matrix', () => {
  it('refuses every route without a key, with a wrong key, and with a key of another namespace, and nothing is started', async () => {
    const wrong: string[] = [];
    for (const [name, endpoint] of Object.entries(Api)) {
      const path = endpoint.path.replace(/\{(\w+)\}/g, 'keyed-matrix');
      for (const [label, key, expected] of [
        ['no key', undefined, 401],
        ['a wrong key', 'keel_wrong', 401],
        ["team-a's key in team-b", teamA.key, 403],
      ] as const) {
        // Listing namespaces is outside any namespace: team-a's key may list (only its own, below).
        if (name === 'listNamespaces' && key === teamA.key) continue;
        const base = 'scope' in endpoint && endpoint.scope === 'service' ? API_PREFIX : namespacePath('team-b');
        const res = await fetch(`${service.url}${base}${path}${endpoint.method === 'GET' ? '?kind=workflow' : ''}`, {
          method: endpoint.method,
          headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(endpoint.method === 'POST' ? { 'content-type': 'application/json' } : {}) },
          ...(endpoint.method === 'POST' ? { body: JSON.stringify({ workflowId: 'keyed-matrix', workflowType: 'hello', taskQueue: 'keyed', signalName: 's' }) } : {}),
        });
        if (res.status !== expected) wrong.push(`${name} with ${label}: ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
    expect((await (await client('team-b', admin.key)).workflow.count()).count).toBe(0);
    const listed = await fetch(`${service.url}${API_PREFIX}/namespaces`, { headers: { authorization: `Bearer ${teamA.key}` } });
    expect(((await listed.json()) as { namespaces: Array<{ name: string }> }).namespaces.map((n) => n.name)).not.toContain('team-b');
  });

  it('a service with keys but no KEEL_TOKEN_SECRET refuses to serve, naming the secret', async () => {
    const unsafe = await startLocalService({ uiDir: false, bindings: { KEEL_API_KEYS: JSON.stringify([admin.grant]), KEEL_TOKEN_SECRET: '' } });
    try {
      const res = await fetch(`${unsafe.url}${namespacePath('default')}/workflow-count`, { headers: { authorization: `Bearer ${admin.key}` } });
      expect(res.status).toBe(500);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/KEEL_TOKEN_SECRET is set/);
    } finally {
      await unsafe.stop();
    }
  });
});
