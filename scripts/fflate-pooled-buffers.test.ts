import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as fflate from 'fflate';
import { pooledFflateSource } from './fflate-pooled-buffers.mjs';

const dir = mkdtempSync(path.join(tmpdir(), 'fflate-pooled-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The service bundle's fflate (its esm build, which the worker bundle takes), rewritten by the plugin. */
async function pooled(): Promise<typeof fflate> {
  const source = readFileSync(path.join(import.meta.dirname, '../node_modules/fflate/esm/browser.js'), 'utf8');
  const file = path.join(dir, 'fflate-pooled.mjs');
  writeFileSync(file, pooledFflateSource(source));
  return (await import(pathToFileURL(file).href)) as typeof fflate;
}

describe("fflate's deflate with its buffers pooled (the service's bundles)", () => {
  it('writes the same bytes as fflate as published, call after call, whatever the calls before left in the buffers', async () => {
    const p = await pooled();
    const dictionary = fflate.strToU8('{"eventType":"WorkflowTaskCompleted","scheduledEventId":2,"identity":"w"}'.repeat(20));
    const texts = [
      JSON.stringify({ a: 'x'.repeat(40_000), b: [...Array(2000).keys()] }),
      '{"eventType":"WorkflowTaskCompleted","scheduledEventId":7,"identity":"another worker"}',
      JSON.stringify([...Array(300).keys()].map((i) => ({ id: crypto.randomUUID(), i }))),
      '',
      'a',
    ];
    for (let round = 0; round < 2; round++) {
      for (const text of texts) {
        for (const options of [{ level: 6 as const, dictionary }, { level: 6 as const }, { level: 1 as const, dictionary }]) {
          const data = fflate.strToU8(text);
          const out = p.deflateSync(data, options);
          expect(out).toEqual(fflate.deflateSync(data, options));
          expect(fflate.strFromU8(fflate.inflateSync(out, 'dictionary' in options ? { dictionary } : {}))).toBe(text);
        }
      }
    }
  });

  it('refuses an fflate whose code is not the one it rewrites', () => {
    expect(() => pooledFflateSource('var dflt = function (dat) {};')).toThrow(/fflate's code changed/);
  });
});
