// The package's subpath exports, read from package.json's "exports": the one list of them. A
// subpath added there is built (scripts/build.mjs), gets its declarations (tsconfig.build.json
// covers sdk/ and protocol/) and resolves to its sources in the repository's tests
// (vitest.config.ts; tsconfig.json's `keel/*` paths). Each `./x` is built from the TypeScript
// module its `default` names under dist/, and its `types` are the .d.ts beside that.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url);

/** Every subpath export: its specifier (`keel/client`) and the absolute path of its source module. */
export function packageExports() {
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
  return Object.entries(pkg.exports).map(([subpath, target]) => {
    const built = /^\.\/dist\/(.+)\.js$/.exec(target.default)?.[1];
    if (!built || target.types !== `./dist/${built}.d.ts`) {
      throw new Error(`package.json exports["${subpath}"] must be { "types": "./dist/<path>.d.ts", "default": "./dist/<path>.js" }, built from <path>.ts`);
    }
    return { specifier: `${pkg.name}${subpath.slice(1)}`, source: fileURLToPath(new URL(`${built}.ts`, root)) };
  });
}
