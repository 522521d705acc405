import { describe, expect, it } from 'vitest';
import { migrationsVariable, readMigrations, splitSql } from './visibility-migrations.js';

describe('the visibility store\'s migrations, read for a local service', () => {
  it('reads migrations/ in order, split into statements as wrangler splits them', () => {
    const [first] = readMigrations();
    expect(first!.name).toBe('0001_visibility.sql');
    // Two tables and eight indexes; the comments (semicolons in them too) are left out.
    expect(first!.statements).toHaveLength(10);
    expect(first!.statements.every((s) => /^CREATE (TABLE|INDEX) IF NOT EXISTS/.test(s))).toBe(true);
    expect(JSON.parse(migrationsVariable())).toEqual(readMigrations());
  });

  it('splits only at semicolons outside strings, quoted names and comments', () => {
    expect(splitSql("-- a; comment\nINSERT INTO t VALUES ('a;b', \"c;d\"); /* x; y */ SELECT `e;f`, [g;h];\n\n")).toEqual([
      "INSERT INTO t VALUES ('a;b', \"c;d\")",
      'SELECT `e;f`, [g;h]',
    ]);
    expect(splitSql("SELECT 'it''s; fine'")).toEqual(["SELECT 'it''s; fine'"]);
  });
});
