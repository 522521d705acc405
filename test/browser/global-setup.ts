// The browser suite runs the built Worker and UI (and `keel dev`, once built), so build first.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
