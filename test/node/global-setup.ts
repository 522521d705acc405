// The e2e, faults and browser suites run the built Worker bundle, CLI and UI, exactly as
// `keel dev` and `keel/testing` users do, so build first — unless `npm test` (scripts/test.mjs)
// has just built dist/ and the package's declarations, which a rebuild here would delete.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  if (process.env['KEEL_DIST_BUILT'] === '1') return;
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
