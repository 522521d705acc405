// Namespaces and deletion as a user drives them: `keel operator namespace …` and `keel workflow
// delete` (the built CLI as a child process) against a local service; a short retention with the
// workflow's clock moved (time skipping), not waited for; and `keel dev --namespace … 
// --no-auto-create-namespaces`, which refuses other namespaces as a deployed service does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NamespaceNotFoundError } from 'keel/common';
import { Client } from 'keel/client';
import { TestWorkflowEnvironment } from 'keel/testing';
import { KeelDev, keel } from './fixtures/keel-cli.js';

const HOUR = 3_600_000;
let env: TestWorkflowEnvironment;
const address = () => ({ KEEL_ADDRESS: env.address });

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('keel operator namespace', () => {
  it('creates, describes, lists and updates a namespace with Temporal CLI\'s flags', async () => {
    const created = await keel(['operator', 'namespace', 'create', 'cli-orders', '--retention', '1h', '--description', 'order processing', '--email', 'ops@example.com', '--data', 'team=billing'], address());
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/Namespace 'cli-orders' created/);
    expect(created.stdout).toMatch(/Retention\s+1h/);

    const described = JSON.parse((await keel(['operator', 'namespace', 'describe', 'cli-orders', '-o', 'json'], address())).stdout) as Record<string, unknown>;
    expect(described).toMatchObject({ name: 'cli-orders', description: 'order processing', ownerEmail: 'ops@example.com', data: { team: 'billing' }, retentionMs: HOUR, state: 'REGISTERED' });

    const updated = await keel(['operator', 'namespace', 'update', '--namespace', 'cli-orders', '--retention', '3d', '--data', 'team='], address());
    expect(updated.code).toBe(0);
    const after = JSON.parse((await keel(['operator', 'namespace', 'describe', '-n', 'cli-orders', '-o', 'json'], address())).stdout) as Record<string, unknown>;
    expect(after).toMatchObject({ retentionMs: 3 * 24 * HOUR, data: {}, description: 'order processing' });

    const list = await keel(['operator', 'namespace', 'list'], address());
    expect(list.stdout).toMatch(/cli-orders\s+REGISTERED\s+72h\s+order processing/);
    expect(list.stdout).toMatch(/^default\s/m);

    const again = await keel(['operator', 'namespace', 'create', 'cli-orders'], address());
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already registered.*\(NAMESPACE_ALREADY_EXISTS\)/);
    const nothing = await keel(['operator', 'namespace', 'update', 'cli-orders'], address());
    expect(nothing.code).not.toBe(0);
    expect(nothing.stderr).toMatch(/nothing to change/);
  });
});

describe('retention and keel workflow delete', () => {
  it('deletes a closed run once the namespace\'s retention has passed on its clock', async () => {
    expect((await keel(['operator', 'namespace', 'create', 'cli-short', '--retention', '1h'], address())).code).toBe(0);
    const ns = { ...address(), KEEL_NAMESPACE: 'cli-short' };
    expect((await keel(['workflow', 'start', '--type', 'order', '-t', 'cli-ret', '-w', 'ret-1'], ns)).code).toBe(0);
    expect((await keel(['workflow', 'terminate', '-w', 'ret-1'], ns)).code).toBe(0);
    const advance = (byMs: number) => env.client.connection.call('advanceWorkflowTime', { byMs }, { namespace: 'cli-short', params: { workflowId: 'ret-1' } });

    await advance(HOUR - 60_000);
    expect(JSON.parse((await keel(['workflow', 'describe', '-w', 'ret-1', '-o', 'json'], ns)).stdout)).toMatchObject({ status: 'TERMINATED' });
    await advance(2 * 60_000);
    const gone = await keel(['workflow', 'describe', '-w', 'ret-1'], ns);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/Workflow 'ret-1' not found/);
  });

  it('terminates and deletes a running run', async () => {
    expect((await keel(['workflow', 'start', '--type', 'order', '-t', 'cli-del', '-w', 'del-1'], address())).code).toBe(0);
    const deleted = await keel(['workflow', 'delete', '-w', 'del-1'], address());
    expect(deleted.stderr).toBe('');
    expect(deleted.stdout).toMatch(/Workflow execution deleted/);
    expect((await keel(['workflow', 'describe', '-w', 'del-1'], address())).stderr).toMatch(/Workflow 'del-1' not found/);
    expect((await keel(['workflow', 'list', '-q', "WorkflowId = 'del-1'", '-o', 'json'], address())).stdout.trim()).toBe('[]');
  });
});

describe('keel dev --namespace --no-auto-create-namespaces', () => {
  let dataDir: string;
  let dev: KeelDev | undefined;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'keel-dev-ns-'));
    dev = await KeelDev.start({ dataDir, args: ['--namespace', 'team-a', '--no-auto-create-namespaces'] });
  });
  afterAll(async () => {
    await dev?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('has the namespaces it was given and default, and refuses any other', async () => {
    const at = { KEEL_ADDRESS: dev!.address };
    expect(dev!.output).toMatch(/Namespaces: team-a\s+\(others: NAMESPACE_NOT_FOUND until created\)/);
    const listed = await keel(['operator', 'namespace', 'list', '-o', 'json'], at);
    expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((n) => n.name)).toEqual(['default', 'team-a']);
    expect((await keel(['workflow', 'start', '--type', 'order', '-t', 'q', '-n', 'team-a'], at)).code).toBe(0);
    const typo = await keel(['workflow', 'start', '--type', 'order', '-t', 'q', '-n', 'team-b'], at);
    expect(typo.code).toBe(1);
    // The CLI goes through the SDK, which gives Temporal's error (and its message).
    expect(typo.stderr).toMatch(/Namespace not found: 'team-b'/);
    const client = new Client({ address: dev!.address, namespace: 'team-b' });
    await expect(client.workflow.start('order', { taskQueue: 'q', workflowId: 'x' })).rejects.toBeInstanceOf(NamespaceNotFoundError);
    await client.connection.close();
  });
});
