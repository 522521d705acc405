// `npm test`: builds, type-checks and runs every suite (unit, workerd, e2e), then prints
// one closing line, "N passed, N failed, N skipped", that CI reads. Exits non-zero on
// any failure.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;
const bin = (name) => `node_modules/.bin/${name}`;
const runAsync = (cmd, args) => new Promise((resolve) => spawn(cmd, args, { stdio: 'inherit' }).once('close', (code) => resolve(code ?? 1)));
/** Runs the commands one after another; resolves with the first non-zero status, else 0. */
const lane = async (...commands) => {
  for (const [cmd, args] of commands) {
    const status = await runAsync(cmd, args);
    if (status !== 0) return status;
  }
  return 0;
};

const fail = (what) => {
  console.error(`\n${what} failed`);
  console.log('0 passed, 1 failed');
  process.exit(1);
};

if (run(process.execPath, ['scripts/build.mjs']) !== 0) fail('build');
// Each tsc uses one core: two lanes on 2 cores. The second also writes the package's declarations
// (`npm run build:types`), which test/node/package.test.ts packs. Told by KEEL_DIST_BUILT that dist/
// and the declarations are fresh, the suites' global setup does not build again (a build empties
// dist/, declarations included) and the package test does not write them again.
const tsc = (project, ...flags) => [bin('tsc'), ['-p', project, ...flags]];
const [checked, declared] = await Promise.all([
  lane(tsc('tsconfig.json', '--noEmit')),
  lane(tsc('src/tsconfig.json', '--noEmit'), tsc('ui/tsconfig.json', '--noEmit'), tsc('tsconfig.build.json')),
]);
if (checked !== 0 || declared !== 0) fail('type-check');
process.env['KEEL_DIST_BUILT'] = '1';

mkdirSync('test-output', { recursive: true });
const report = 'test-output/vitest.json';
const status = run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]);
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`\n${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
} else {
  console.log('\n0 passed, 1 failed');
}
process.exit(status);
