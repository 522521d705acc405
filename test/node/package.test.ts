// The keel package as a new user gets it: `npm pack`, then `npm install ./keel-*.tgz` in an
// empty project, where `npx keel dev` serves and every `keel/*` import loads; then
// `npx keel init my-app`, whose project installs, passes its own test, type-checks against the
// package's built declarations, and whose wrangler.toml is ready for `wrangler deploy` (a dry
// run: it bundles the service and lists its bindings, without an account). Installs prefer the
// local npm cache; nothing but the npm registry is reached.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeelDev } from './fixtures/keel-cli.js';

const exec = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string; exports: Record<string, unknown> };
let work: string;
let tarball: string;

/** The environment of a child npm: ours without the npm_* variables `npm test` set for us. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
const run = (cmd: string, args: string[], cwd: string) => exec(cmd, args, { cwd, env: { ...env, WRANGLER_SEND_METRICS: 'false' }, maxBuffer: 16 << 20 });
const npmInstall = (cwd: string, ...args: string[]) => run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...args], cwd);

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'keel-package-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the keel package', () => {
  it('packs the built code, its declarations, the migrations and the init template: no sources, tests or source maps', async () => {
    // prepack is `scripts/build.mjs` + the declarations; dist/ was built by this suite's global
    // setup, and rebuilding it here would pull it from under the tests running beside this one.
    // `npm test` (scripts/test.mjs) writes the declarations beside its type-check, and says so.
    if (process.env['KEEL_DIST_BUILT'] !== '1') await run('npm', ['run', 'build:types'], repo);
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], repo);
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(work, packed!.filename);
    const files = packed!.files.map((f) => f.path);
    for (const subpath of Object.keys(pkg.exports)) {
      const target = pkg.exports[subpath] as { types: string; default: string };
      expect(files).toContain(target.default.slice(2));
      expect(files).toContain(target.types.slice(2));
    }
    expect(files).toEqual(expect.arrayContaining(['dist/cli/keel.js', 'dist/worker/index.js', 'dist/ui/index.html', 'migrations/0001_visibility.sql', 'templates/app/wrangler.toml', 'README.md']));
    expect(files.filter((f) => !/^(dist|migrations|templates)\//.test(f))).toEqual(expect.arrayContaining(['package.json', 'README.md']));
    expect(files.filter((f) => f.endsWith('.map') || /^(src|sdk|cli|protocol|test|ui|bench|scripts|examples)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('templates/')))).toEqual([]);
  }, 300_000);

  it('installs into an empty project: every keel/* import loads, and `npx keel dev` serves', async () => {
    const app = path.join(work, 'empty');
    mkdirSync(app);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'empty', private: true, type: 'module' }));
    await npmInstall(app, tarball);

    const specifiers = Object.keys(pkg.exports).map((s) => `keel${s.slice(1)}`);
    writeFileSync(path.join(app, 'imports.mjs'), `for (const s of ${JSON.stringify(specifiers)}) console.log(s, Object.keys(await import(s)).length);\n`);
    const { stdout } = await run(process.execPath, ['imports.mjs'], app);
    expect(stdout.trim().split('\n').map((l) => l.split(' ')[0])).toEqual(specifiers);
    expect(stdout).not.toMatch(/ 0$/m);

    // What `npx keel` runs: the package's bin, linked into node_modules/.bin.
    const dev = await KeelDev.start({ cli: path.join(app, 'node_modules/.bin/keel'), dataDir: path.join(app, '.keel'), timeoutMs: 60_000 });
    try {
      expect(await (await fetch(`http://${dev.address}/api/v1/health`)).json()).toEqual({ ok: true });
      expect((await fetch(`http://${dev.address}/`)).headers.get('content-type')).toMatch(/text\/html/);
    } finally {
      expect(await dev.stop('SIGTERM')).toBe(0);
    }
  }, 300_000);

  it('`npx keel init my-app` writes a project that installs, passes its test, type-checks and is ready for wrangler deploy', async () => {
    const empty = path.join(work, 'empty');
    const { stdout: said } = await run(path.join(empty, 'node_modules/.bin/keel'), ['init', 'my-app', '--keel-version', `file:${tarball}`], empty);
    expect(said).toMatch(/^Wrote my-app in my-app: package\.json, \.gitignore, README\.md, src\/activities\.ts, src\/client\.ts, src\/worker\.ts, src\/workflows\.ts, test\/workflows\.test\.ts, tsconfig\.json, wrangler\.toml\n/);
    const app = path.join(empty, 'my-app');
    await npmInstall(app);

    // Three independent checks of the project, side by side.
    const [{ stdout: tested }, { stdout: traced }, { stdout: deployed }] = await Promise.all([
      run('npm', ['test'], app),
      // Its types come from the package's .d.ts files (exports' `types`), not from sources.
      run('npx', ['tsc', '--noEmit', '--traceResolution'], app),
      run('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', path.join(work, 'wrangler-out')], app),
    ]);
    expect(tested).toMatch(/^# pass 1$/m);
    expect(tested).toMatch(/^# fail 0$/m);
    expect(traced).toMatch(/Module name 'keel\/client' was successfully resolved to '[^']*node_modules\/keel\/dist\/sdk\/client\/index\.d\.ts'/);
    expect(deployed).toMatch(/env\.WORKFLOWS \(WorkflowObject\)\s+Durable Object/);
    expect(deployed).toMatch(/env\.VISIBILITY \(my-app-keel-visibility\)\s+D1 Database/);
    expect(deployed).toMatch(/env\.ASSETS\s+Assets/);
  }, 400_000);
});
