// Owns finding the keel package this code belongs to, whether it runs from the repository's
// sources (cli/) or from a built chunk in an installed package (node_modules/keel/dist/…).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface KeelPackage {
  /** The directory holding its package.json. */
  root: string;
  version: string;
  devDependencies: Record<string, string>;
}

/** The nearest package.json named `keel` above this module. @throws {Error} when there is none. */
export function keelPackage(): KeelPackage {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string; devDependencies?: Record<string, string> };
    if (pkg.name === 'keel') return { root: dir, version: pkg.version ?? 'unknown', devDependencies: pkg.devDependencies ?? {} };
  }
  throw new Error(`The keel package was not found above ${fileURLToPath(import.meta.url)}`);
}
