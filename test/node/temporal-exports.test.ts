// Every name that @temporalio/{client,worker,workflow,activity,testing,common} 1.13 exports must be
// exported by the matching keel/* subpath, unless scripts/temporal-exports/exceptions.json lists it
// with its reason. Types are checked with the TypeScript checker over the SDK's sources; values are
// also imported at run time. The difference table of docs/temporal-differences.md must match the list.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { DOC, load, renderTable, withTable } from '../../scripts/temporal-exports/differences-table.mjs';

const { temporal, exceptions } = load() as {
  temporal: { version: string; packages: Record<string, Record<string, 'value' | 'type'>> };
  exceptions: Record<string, Record<string, string>>;
};
const root = fileURLToPath(new URL('../../', import.meta.url));
const entry = (pkg: string) => `${root}sdk/${pkg}/index.ts`;
const packages = Object.keys(temporal.packages);
/** Declared as values in Temporal's types (`declare const … : unique symbol`) but absent at run time there too. */
const DECLARED_ONLY = new Set(['NotAnActivityMethod']);

const program = ts.createProgram(packages.map(entry), {
  noEmit: true,
  skipLibCheck: true,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  target: ts.ScriptTarget.ES2022,
  types: ['node'],
});
const checker = program.getTypeChecker();
const keelExports = (pkg: string) => new Set(checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(entry(pkg))!)!).map((s) => s.name));

describe(`keel/* exports every name of @temporalio/* ${temporal.version}`, () => {
  for (const pkg of packages) {
    it(`keel/${pkg}`, async () => {
      const have = keelExports(pkg);
      const excepted = exceptions[pkg] ?? {};
      const missing = Object.keys(temporal.packages[pkg]!).filter((n) => !have.has(n) && !(n in excepted));
      expect(missing, `add these to keel/${pkg}, or to scripts/temporal-exports/exceptions.json with the reason`).toEqual([]);
      const nowExported = Object.keys(excepted).filter((n) => have.has(n));
      expect(nowExported, 'Keel exports these now: remove them from exceptions.json and regenerate the docs table').toEqual([]);

      const module = (await import(`keel/${pkg}`)) as Record<string, unknown>;
      const values = Object.entries(temporal.packages[pkg]!).filter(([n, kind]) => kind === 'value' && !(n in excepted) && !DECLARED_ONLY.has(n)).map(([n]) => n);
      expect(values.filter((n) => module[n] === undefined), 'declared but undefined at run time').toEqual([]);
    });
  }

  it('lists every exception with its reason in docs/temporal-differences.md', () => {
    const doc = readFileSync(DOC, 'utf8');
    expect(doc, 'run node scripts/temporal-exports/differences-table.mjs').toBe(withTable(doc, renderTable(exceptions, temporal.version)));
  });
});
