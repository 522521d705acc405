// Extracts the names that Temporal's TypeScript SDK packages export, for the export check
// (test/node/temporal-exports.test.ts) and the difference table of docs/temporal-differences.md.
//
//   node scripts/temporal-exports/extract.mjs [version-range]    (default 1.13.x)
//
// It `npm pack`s @temporalio/{client,worker,workflow,activity,testing,common} into a temporary
// directory (they never become dependencies), lays them out as node_modules so that their
// re-exports of one another resolve, and asks the TypeScript checker for each package's exports
// (following `export *`). Writes scripts/temporal-exports/temporal-<version>.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

export const PACKAGES = ['client', 'worker', 'workflow', 'activity', 'testing', 'common'];
const range = process.argv[2] ?? '1.13.x';
const here = path.dirname(new URL(import.meta.url).pathname);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'keel-temporal-exports-'));

try {
  const roots = {};
  let version;
  for (const p of PACKAGES) {
    const tarball = execFileSync('npm', ['pack', `@temporalio/${p}@${range}`, '--silent'], { cwd: tmp, encoding: 'utf8' }).trim().split('\n').at(-1);
    const dir = path.join(tmp, 'node_modules', '@temporalio', p);
    mkdirSync(dir, { recursive: true });
    execFileSync('tar', ['xzf', path.join(tmp, tarball), '-C', dir, '--strip-components=1']);
    version ??= JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
    roots[p] = path.join(dir, 'lib', 'index.d.ts');
  }
  const program = ts.createProgram(Object.values(roots), { noEmit: true, skipLibCheck: true, moduleResolution: ts.ModuleResolutionKind.Node10, types: [] });
  const checker = program.getTypeChecker();
  const out = { version, packages: {} };
  for (const [p, file] of Object.entries(roots)) {
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(file));
    const names = {};
    for (const sym of checker.getExportsOfModule(moduleSymbol)) {
      const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
      names[sym.name] = target.flags & ts.SymbolFlags.Value ? 'value' : 'type';
    }
    out.packages[p] = Object.fromEntries(Object.entries(names).sort(([a], [b]) => a.localeCompare(b)));
  }
  const target = path.join(here, `temporal-${range.replace(/\.x$/, '')}.json`);
  writeFileSync(target, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), target)} (@temporalio/* ${version}: ${PACKAGES.map((p) => `${p} ${Object.keys(out.packages[p]).length}`).join(', ')})`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
