// The end-to-end suite runs the service from the built Worker bundle, exactly as
// `keel dev` and `keel/testing` users do, so build it first.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
