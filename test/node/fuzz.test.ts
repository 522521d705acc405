// Property-based requests against a real local service, generated from its own OpenAPI document
// (test/node/fixtures/openapi-arbitrary.ts): every route, mostly well-formed bodies with hostile
// values mixed in. fast-check is the well-kept choice here: arbitraries compose from schemas, runs
// are reproducible from a seed, and a failure is shrunk to the smallest request that shows it.
// What must hold: no 5xx (other than the coded, designed 504s of a query or update no worker
// answered), no change to a workflow from a refused request, and the service healthy after.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService, type LocalService } from 'keel/testing';
import { requestArbitrary, type GeneratedRequest } from './fixtures/openapi-arbitrary.js';

let service: LocalService;
beforeAll(async () => {
  // Long polls end at once, so a poll or a query with no worker answers fast.
  service = await startLocalService({ uiDir: false, bindings: { KEEL_LONG_POLL_MS: '20' } });
});
afterAll(async () => {
  await service?.stop();
});

const api = (path: string, init?: RequestInit) => fetch(`${service.url}/api/v1/namespaces/default${path}`, init);
const json = { 'content-type': 'application/json' };

/** What a refused request must not change: the sentinel's history and status. */
async function sentinelState(): Promise<string> {
  const history = (await (await api('/workflows/fuzz-sentinel/history?pageSize=1000')).json()) as { events: unknown[] };
  const described = (await (await api('/workflows/fuzz-sentinel')).json()) as { status: string };
  return `${described.status}:${history.events.length}`;
}

async function send(r: GeneratedRequest): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${service.url}/api/v1${r.path}`, { method: r.method, ...(r.body !== undefined ? { body: r.body, headers: { 'content-type': r.contentType } } : {}) });
  const text = await res.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status: res.status, ...(code ? { code } : {}) };
}

describe('oversized bodies over a real connection', () => {
  it('answers 413 PAYLOAD_TOO_LARGE to bodies of 3, 5 and 20 MB instead of a 500 or a reset connection', async () => {
    for (const n of [3_000_000, 5_000_000, 20_000_000]) {
      const body = JSON.stringify({ workflowId: `big-${n}`, workflowType: 't', taskQueue: 'q', input: [{ data: 'A'.repeat(n) }] });
      const res = await api('/workflows', { method: 'POST', headers: json, body });
      expect(res.status, `${n} bytes`).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    }
  });
});

describe('fuzzing the HTTP API from its OpenAPI document', () => {
  it('answers thousands of generated requests without a 5xx, changes nothing when it refuses, and stays healthy', { timeout: 300_000 }, async () => {
    expect((await api('/workflows', { method: 'POST', headers: json, body: JSON.stringify({ workflowId: 'fuzz-sentinel', workflowType: 't', taskQueue: 'fuzz-q' }) })).status).toBe(200);
    const doc = (await (await fetch(`${service.url}/api/v1/openapi.json`)).json()) as Record<string, any>;
    const namespaces = fc.oneof({ weight: 8, arbitrary: fc.constant('default') }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 10 }) });
    const fiveHundreds: string[] = [];
    let before = await sentinelState();
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(requestArbitrary(doc, namespaces), async (r) => {
        const { status, code } = await send(r);
        const designedTimeout = status === 504 && (code === 'QUERY_TIMEOUT' || code === 'UPDATE_TIMEOUT');
        if (status >= 500 && !designedTimeout) fiveHundreds.push(`${status} ${code} ${r.method} ${r.path.slice(0, 200)} ${r.body?.slice(0, 300)}`);
        if (!r.path.includes('fuzz-sentinel')) return;
        const after = await sentinelState();
        if (status >= 400) {
          refused++;
          expect(after, `${r.method} ${r.path} was refused (${status} ${code}) but changed the workflow`).toBe(before);
        }
        before = after;
      }),
      { numRuns: Number(process.env.KEEL_FUZZ_RUNS ?? 2000), seed: process.env.KEEL_FUZZ_SEED ? Number(process.env.KEEL_FUZZ_SEED) : undefined },
    );
    expect(fiveHundreds).toEqual([]);
    expect(refused).toBeGreaterThan(0);
    // Healthy after: the health check, and a workflow started and described as usual.
    expect((await fetch(`${service.url}/api/v1/health`)).status).toBe(200);
    expect((await api('/workflows', { method: 'POST', headers: json, body: JSON.stringify({ workflowId: 'after-fuzz', workflowType: 't', taskQueue: 'q' }) })).status).toBe(200);
    expect((await api('/workflows/after-fuzz')).status).toBe(200);
  });
});
