// `npm test`: builds, type-checks and runs every suite (unit, workerd, e2e), then prints
// one closing line, "N passed, N failed, N skipped", that CI reads. Exits non-zero on
// any failure.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;
const bin = (name) => `node_modules/.bin/${name}`;

for (const [what, status] of [
  ['build', () => run(process.execPath, ['scripts/build.mjs'])],
  ['type-check', () => run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']) || run(bin('tsc'), ['-p', 'src/tsconfig.json', '--noEmit']) || run(bin('tsc'), ['-p', 'ui/tsconfig.json', '--noEmit'])],
]) {
  if (status() !== 0) {
    console.error(`\n${what} failed`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

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
