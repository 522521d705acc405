/**
 * The visibility store's D1 migrations (`migrations/*.sql` of the keel package), read for
 * a local service, whose Worker applies them as `wrangler d1 migrations apply` would: in
 * file order, each in one batch with its record in `d1_migrations`, so that a migration is
 * applied once however often the service starts, and wrangler sees the same record.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The binding and the local database name the Worker's visibility store has. */
export const VISIBILITY_BINDING = 'VISIBILITY';
export const VISIBILITY_DATABASE = 'keel-visibility';

export interface Migration {
  name: string;
  statements: string[];
}

/** `migrations/` of the keel package this module belongs to, from sources or from dist/. */
export function migrationsDir(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'keel') return path.join(dir, 'migrations');
    if (path.dirname(dir) === dir) throw new Error('The keel package root was not found above ' + fileURLToPath(import.meta.url));
  }
}

/** The migrations in `dir`, ordered by their number (`0001_…sql`), as wrangler orders them. */
export function readMigrations(dir = migrationsDir()): Migration[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10))
    .map((name) => ({ name, statements: splitSql(readFileSync(path.join(dir, name), 'utf8')) }));
}

/**
 * The value of the Worker's KEEL_VISIBILITY_MIGRATIONS variable: the migrations as JSON,
 * which the Worker applies to its VISIBILITY database before first using it (see
 * src/visibility/migrations.ts). Read at each start, so a new migration is applied by the
 * next start of a service with an existing data directory.
 */
export function migrationsVariable(dir = migrationsDir()): string {
  return JSON.stringify(readMigrations(dir));
}

/**
 * Splits a SQL file into statements at `;`, leaving out comments; a `;` inside a quoted
 * string, a quoted name or a comment does not split.
 */
export function splitSql(text: string): string[] {
  const statements: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end - 1;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 1;
      current += ' ';
      continue;
    }
    if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      let j = i + 1;
      while (j < text.length && !(text[j] === close && text[j + 1] !== close)) j += text[j] === close ? 2 : 1;
      current += text.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === ';') {
      if (current.trim()) statements.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}
