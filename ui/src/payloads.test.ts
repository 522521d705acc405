import { describe, expect, it } from 'vitest';
import { codecDecode, collectPayloads, decodeForDisplay, decodeLocal, isPayload, withDecodedPayloads } from './payloads.js';

const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));
const unb64 = (s: string) => new TextDecoder().decode(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));
const json = (v: unknown) => ({ metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(v)) });
const encrypted = (tag: string) => ({ metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64('k1') }, data: b64(`secret:${tag}`) });

describe('payloads in the UI', () => {
  it('decodes by metadata.encoding: JSON, null, bytes; names what it cannot read', () => {
    expect(decodeLocal(json({ a: 'é' }))).toEqual({ kind: 'json', value: { a: 'é' }, encoding: 'json/plain' });
    expect(decodeLocal({ metadata: { encoding: b64('binary/null') }, data: '' })).toEqual({ kind: 'null' });
    expect(decodeLocal({ metadata: { encoding: b64('binary/plain') }, data: b64('abc') })).toMatchObject({ kind: 'binary', bytes: 3 });
    expect(decodeLocal(encrypted('x'))).toEqual({ kind: 'opaque', encoding: 'binary/encrypted', reason: 'encrypted' });
    expect(decodeLocal({ metadata: { encoding: b64('json/plain') }, data: b64('{oops') })).toMatchObject({ kind: 'error', encoding: 'json/plain' });
  });

  it('finds payloads anywhere in events and failures, and only payloads', () => {
    expect(isPayload(json(1))).toBe(true);
    expect(isPayload({ metadata: {}, data: 'AA==', extra: 1 })).toBe(false);
    expect(isPayload({ data: 'AA==' })).toBe(false);
    const attrs = { input: [json(1), json(2)], failure: { message: 'm', applicationFailureInfo: { details: [json('d')] } }, memo: { k: json('m') } };
    expect(collectPayloads(attrs)).toHaveLength(4);
    expect(withDecodedPayloads(attrs)).toEqual({ input: [1, 2], failure: { message: 'm', applicationFailureInfo: { details: ['d'] } }, memo: { k: 'm' } });
  });

  it("sends what it cannot read to the codec endpoint by Temporal's protocol, once each", async () => {
    const calls: Array<{ url: string; body: { payloads: unknown[] }; headers: Record<string, string> }> = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body)) as { payloads: Array<{ data: string }> };
      calls.push({ url, body, headers: init.headers as Record<string, string> });
      const payloads = body.payloads.map((p) => json({ was: unb64(p.data) }));
      return new Response(JSON.stringify({ payloads }), { status: 200 });
    }) as unknown as typeof fetch;
    const value = { input: [encrypted('a'), json('plain'), encrypted('b'), encrypted('a')] };
    const shown = await decodeForDisplay(value, { endpoint: 'http://codec.test/', namespace: 'ns1', fetch: fakeFetch });
    expect(shown).toEqual({ value: { input: [{ was: 'secret:a' }, 'plain', { was: 'secret:b' }, { was: 'secret:a' }] } });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe('http://codec.test/decode');
    expect(calls[0]!.headers['x-namespace']).toBe('ns1');
    expect(calls[0]!.body.payloads).toHaveLength(2);
    // Cached: the same payloads are not sent again.
    await codecDecode([encrypted('a')], { endpoint: 'http://codec.test', namespace: 'ns1', fetch: fakeFetch });
    expect(calls).toHaveLength(1);
  });

  it('shows a codec failure as a note, with the payloads left encoded', async () => {
    const failing = (async () => new Response('no', { status: 502, statusText: 'Bad Gateway' })) as unknown as typeof fetch;
    const shown = await decodeForDisplay([encrypted('zzz')], { endpoint: 'http://codec.test', namespace: 'n', fetch: failing });
    expect(shown.codecError).toMatch(/502/);
    expect(shown.value).toEqual(['<encrypted: binary/encrypted — set a codec endpoint in Settings to decode>']);
  });
});
