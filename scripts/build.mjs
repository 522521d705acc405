// Builds what runs outside the repository's TypeScript sources:
//   dist/worker/index.js  the Keel Worker bundle that `keel dev` and keel/testing run in workerd
//   dist/sdk/**, dist/protocol/**  the subpaths of package.json's exports as ESM (shared chunks, so classes are one copy)
//   dist/cli/keel.js      the `keel` command
//   dist/ui/**            the web UI's static assets (scripts/build-ui.mjs)
// esbuild because it is what wrangler itself bundles with, and it bundles this in well under a second.
import { build } from 'esbuild';
import { chmodSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { buildUi } from './build-ui.mjs';
import { packageExports } from './package-exports.mjs';

const root = new URL('..', import.meta.url).pathname;
// dist/ui is replaced whole by buildUi (a running service reads it per request), not emptied first.
for (const entry of existsSync(`${root}dist`) ? readdirSync(`${root}dist`) : []) if (entry !== 'ui') rmSync(`${root}dist/${entry}`, { recursive: true, force: true });

const worker = build({
  entryPoints: [`${root}src/index.ts`],
  outfile: `${root}dist/worker/index.js`,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  conditions: ['workerd', 'worker', 'browser'],
  mainFields: ['module', 'main'],
  // node:zlib is workerd's own (the service runs with nodejs_compat: src/storage/row-codec.ts).
  external: ['cloudflare:*', 'node:*'],
  // Whitespace and syntax only, names kept (stack traces stay readable): every `keel dev` and
  // keel/testing start hands the bundle to workerd in its config and compiles it, and 1.2 MB
  // → 0.9 MB is measurably less of both (bench/RESULTS.md, keel dev time-to-ready).
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  logLevel: 'warning',
});

const sdk = build({
  // cli/keel.ts shares the SDK's chunks; its commands are split off and loaded only when run.
  // The OpenTelemetry package's workflow interceptors module is loaded by path into workflow bundles.
  entryPoints: [...packageExports().map((e) => e.source), `${root}sdk/workflow/runtime-entry.ts`, `${root}sdk/interceptors-opentelemetry/workflow-interceptors.ts`, `${root}cli/keel.ts`],
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

await Promise.all([worker, sdk, buildUi()]);
chmodSync(`${root}dist/cli/keel.js`, 0o755);
