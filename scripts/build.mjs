// Builds what runs outside the repository's TypeScript sources:
//   dist/worker/index.js  the Keel Worker bundle that `keel dev` and keel/testing run in workerd
//   dist/sdk/**, dist/protocol/**  the SDK subpaths as ESM (shared chunks, so classes are one copy)
//   dist/cli/keel.js      the `keel` command
// esbuild because it is what wrangler itself bundles with, and it bundles this in well under a second.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
rmSync(`${root}dist`, { recursive: true, force: true });

const worker = build({
  entryPoints: [`${root}src/index.ts`],
  outfile: `${root}dist/worker/index.js`,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  conditions: ['workerd', 'worker', 'browser'],
  mainFields: ['module', 'main'],
  external: ['cloudflare:*'],
  sourcemap: true,
  logLevel: 'warning',
});

const sdkEntries = ['client', 'worker', 'workflow', 'activity', 'testing', 'common'].map((p) => `${root}sdk/${p}/index.ts`);
const sdk = build({
  entryPoints: [...sdkEntries, `${root}protocol/index.ts`, `${root}sdk/workflow/runtime-entry.ts`],
  outdir: `${root}dist`,
  outbase: root,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'sdk/chunks/[name]-[hash]',
  sourcemap: true,
  logLevel: 'warning',
});

await Promise.all([worker, sdk]);
