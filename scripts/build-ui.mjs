// Builds the web UI (ui/) into dist/ui/, the static assets the Keel Worker serves:
//   dist/ui/index.html               the one page (every UI route falls back to it)
//   dist/ui/assets/app-[hash].js|css Preact app and styles, bundled and minified by esbuild
// Hashed names let a browser keep them forever; index.html is revalidated by ETag. A service
// that is running keeps serving across a rebuild of unchanged sources (restart it after
// changing ui/: it lists the asset files when it starts).
// Run on its own (`node scripts/build-ui.mjs`, what wrangler.toml's [build] runs) or from build.mjs.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Bundles ui/ into `target` (default dist/ui) and writes index.html pointing at the hashed files.
 * It builds aside, then moves the files into `target` one by one, index.html last, and removes
 * files of earlier builds. `target` itself is never replaced: a running service (keel dev, a
 * test) serves from a handle on that directory, and would lose it if the directory were swapped.
 */
export async function buildUi(target = path.join(root, 'dist', 'ui')) {
  const outDir = `${target}.${process.pid}.tmp`;
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const result = await build({
    entryPoints: { app: path.join(root, 'ui/src/main.tsx') },
    outdir: path.join(outDir, 'assets'),
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    // The UI may import only zod-free protocol modules at run time (types from anywhere).
    plugins: [noZod],
  });
  // Metafile paths are relative to the working directory.
  const outputs = Object.keys(result.metafile.outputs).map((f) => path.relative(outDir, path.resolve(f)).split(path.sep).join('/'));
  const js = outputs.find((f) => f.endsWith('.js'));
  const css = outputs.find((f) => f.endsWith('.css'));
  if (!js || !css) throw new Error(`UI build produced no ${js ? 'CSS' : 'JS'}`);
  const html = readFileSync(path.join(root, 'ui/index.html'), 'utf8').replace('%APP_JS%', `/${js}`).replace('%APP_CSS%', `/${css}`);
  writeFileSync(path.join(outDir, 'index.html'), html);

  mkdirSync(path.join(target, 'assets'), { recursive: true });
  for (const f of outputs) renameSync(path.join(outDir, f), path.join(target, f));
  renameSync(path.join(outDir, 'index.html'), path.join(target, 'index.html'));
  // The security headers, where the platform serves the assets itself (src/security-headers.ts says why).
  copyFileSync(path.join(root, 'ui/_headers'), path.join(target, '_headers'));
  const keep = new Set([...outputs, 'index.html']);
  for (const f of readdirSync(path.join(target, 'assets'))) if (!keep.has(`assets/${f}`)) rmSync(path.join(target, 'assets', f), { force: true });
  rmSync(outDir, { recursive: true, force: true });
  return target;
}

/** Keeps zod (and so the protocol's schemas) out of the browser bundle. */
const noZod = {
  name: 'no-zod',
  setup(b) {
    b.onResolve({ filter: /^zod($|\/)/ }, (args) => ({
      errors: [{ text: `The UI must not import zod (imported by ${path.relative(root, args.importer)}); import protocol types with \`import type\`, values only from zod-free modules (protocol/enums.ts, protocol/errors.ts).` }],
    }));
  },
};

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildUi();
