import { describe, expect, it } from 'vitest';
import { authorize, parseApiKeyGrants, sha256Hex } from './auth.js';
import { ServiceError } from './service-error.js';

const grantsFor = async (entries: Array<{ key: string; namespaces: string[]; name?: string }>) =>
  JSON.stringify(await Promise.all(entries.map(async (e) => ({ ...(e.name ? { name: e.name } : {}), sha256: await sha256Hex(e.key), namespaces: e.namespaces }))));

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return err instanceof ServiceError ? err.code : String(err);
  }
};

describe('API keys', () => {
  it('leaves the service open when no grants are configured', async () => {
    expect(await codeOf(authorize(undefined, null, 'default'))).toBe('OK');
    expect(await codeOf(authorize('', null, 'default'))).toBe('OK');
  });

  it('accepts a key only in the namespaces its grant names; "*" names them all', async () => {
    const secret = await grantsFor([
      { key: 'key-a', namespaces: ['team-a'], name: 'a' },
      { key: 'key-admin', namespaces: ['*'] },
    ]);
    expect(await codeOf(authorize(secret, 'Bearer key-a', 'team-a'))).toBe('OK');
    expect(await codeOf(authorize(secret, 'bearer   key-a ', 'team-a'))).toBe('OK');
    expect(await codeOf(authorize(secret, 'Bearer key-a', 'team-b'))).toBe('PERMISSION_DENIED');
    expect(await codeOf(authorize(secret, 'Bearer key-admin', 'team-b'))).toBe('OK');
  });

  it('refuses a missing, malformed or unknown key as UNAUTHENTICATED', async () => {
    const secret = await grantsFor([{ key: 'key-a', namespaces: ['default'] }]);
    for (const header of [null, '', 'key-a', 'Basic a2V5LWE=', 'Bearer ', 'Bearer key-b']) {
      expect(await codeOf(authorize(secret, header, 'default')), String(header)).toBe('UNAUTHENTICATED');
    }
  });

  it('fails closed on grants that do not parse, saying what is wrong', () => {
    const bad: Array<[string, RegExp]> = [
      ['{', /not JSON/],
      ['{}', /not a JSON array/],
      ['[{"sha256":"abc","namespaces":["x"]}]', /entry 0 has no sha256/],
      [`[{"sha256":"${'a'.repeat(64)}","namespaces":[]}]`, /entry 0 has no list of namespaces/],
    ];
    for (const [raw, message] of bad) {
      let thrown: unknown;
      try {
        parseApiKeyGrants(raw);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ServiceError);
      expect((thrown as ServiceError).code).toBe('INTERNAL');
      expect((thrown as Error).message).toMatch(message);
    }
  });
});
