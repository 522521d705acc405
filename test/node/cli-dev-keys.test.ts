// `keel dev --api-key-file` checks API keys exactly as a deployed service does, and says in its
// banner how it signs task tokens: with a development secret it keeps, private, in its data dir.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeelDev, keel } from './fixtures/keel-cli.js';

let dataDir: string;
let dev: KeelDev;
let key: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'keel-dev-keys-'));
  const created = await keel(['api-key', 'create', '--namespace', 'default', '--output', 'json']);
  const { key: k, grant } = JSON.parse(created.stdout) as { key: string; grant: unknown };
  key = k;
  // The grant exactly as `keel api-key create` printed it: one object, not yet a list.
  writeFileSync(path.join(dataDir, 'grants.json'), JSON.stringify(grant));
  dev = await KeelDev.start({ dataDir, args: ['--api-key-file', path.join(dataDir, 'grants.json')] });
});
afterAll(async () => {
  await dev?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('keel dev with API keys', () => {
  it('refuses calls without the key and serves them with it', async () => {
    expect(dev.output).toMatch(/API keys:\s+required, as in production/);
    const url = `http://${dev.address}/api/v1/namespaces/default/workflow-count`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(`http://${dev.address}/api/v1/namespaces/other/workflow-count`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(403);
    expect((await fetch(url, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    const listed = await keel(['workflow', 'count', '--address', dev.address], { KEEL_API_KEY: key });
    expect(listed.code).toBe(0);
  });

  it('signs task tokens with a development secret of its own, readable only by its user, and says so', () => {
    expect(dev.output).toMatch(/Tokens:\s+signed with a development secret \(.*token-secret\); set KEEL_TOKEN_SECRET in production/);
    expect(statSync(path.join(dataDir, 'token-secret')).mode & 0o077).toBe(0);
  });
});
