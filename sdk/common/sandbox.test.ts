// Checks the promise of keel/common: it loads and works inside a bare `node:vm` context, as the
// workflow sandbox runs it.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as common from './index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const sources = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

describe('keel/common in the workflow sandbox', () => {
  it('imports no node:* module and uses no Buffer or process', () => {
    expect(sources.length).toBeGreaterThan(5);
    for (const file of sources) {
      const code = readFileSync(here + file, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
      expect(code, file).not.toMatch(/from\s+['"]node:|require\(|import\(['"]node:/);
      expect(code, file).not.toMatch(/\bBuffer\b|\bprocess\b|\batob\b|\bbtoa\b/);
    }
  });

  it('bundles for a neutral platform and runs in a bare vm context', async () => {
    const result = await build({
      entryPoints: [here + 'index.ts'],
      bundle: true,
      format: 'iife',
      globalName: 'keelCommon',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.text;
    // The sandbox evaluates this bundle for every workflow context: it must stay small, with no
    // dependency (zod, via protocol/payload.ts, once made it 840 KB).
    const inputs = Object.keys(result.metafile!.inputs);
    expect(inputs.filter((f) => f.includes('node_modules'))).toEqual([]);
    expect(code.length).toBeLessThan(100_000);
    // Only what the sandbox provides: no Buffer, no process, no crypto.
    const context = vm.createContext({ TextEncoder, TextDecoder });
    vm.runInContext(code, context);
    const out = vm.runInContext(
      `(() => {
        const c = keelCommon;
        const pc = c.defaultPayloadConverter;
        const value = pc.fromPayload(pc.toPayload({ greeting: 'héllo' }));
        const bytes = pc.fromPayload(pc.toPayload(new Uint8Array([1, 2, 3])));
        const err = c.failureToError(c.errorToFailure(c.ApplicationFailure.nonRetryable('no', 'Declined', 1), pc), pc);
        return {
          value,
          bytes: Array.from(bytes),
          ms: c.msToNumber('1 minute'),
          err: { isApp: err instanceof c.ApplicationFailure, type: err.type, details: err.details },
          failure: err,
        };
      })()`,
      context,
    );
    expect(JSON.parse(JSON.stringify(out.value))).toEqual({ greeting: 'héllo' });
    expect(out.bytes).toEqual([1, 2, 3]);
    expect(out.ms).toBe(60_000);
    expect(JSON.parse(JSON.stringify(out.err))).toEqual({ isApp: true, type: 'Declined', details: [1] });
    // A failure made by the sandbox's copy of the SDK is an instance of the host's class.
    expect(out.failure).toBeInstanceOf(common.ApplicationFailure);
    expect(common.errorToFailure(out.failure, common.defaultPayloadConverter).applicationFailureInfo).toMatchObject({
      type: 'Declined',
      nonRetryable: true,
    });
  });
});

describe('keel/common exports', () => {
  it('re-exports the protocol enums with Temporal names', () => {
    expect(common.WorkflowIdReusePolicy.REJECT_DUPLICATE).toBe('REJECT_DUPLICATE');
    expect(common.WorkflowIdConflictPolicy.USE_EXISTING).toBe('USE_EXISTING');
    expect(common.ActivityCancellationType.TRY_CANCEL).toBe('TRY_CANCEL');
    expect(common.ParentClosePolicy.ABANDON).toBe('ABANDON');
    expect(common.RetryState.TIMEOUT).toBe('TIMEOUT');
    expect(common.TimeoutType.HEARTBEAT).toBe('HEARTBEAT');
  });
});
