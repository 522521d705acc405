/**
 * Applies the visibility store's migrations from inside the Worker, for local services
 * only: `keel dev` and keel/testing pass `migrations/*.sql` in the KEEL_VISIBILITY_MIGRATIONS
 * variable, and the Worker brings the D1 database up to date before its first use there —
 * which costs the launch nothing, where applying them from Node (through miniflare's proxy)
 * would cost ~150 ms of every start. Deployed Workers have no such variable: their tables
 * come from `wrangler d1 migrations apply`, which keeps the same `d1_migrations` record.
 */
import type { Env } from '../env.js';

export interface Migration {
  name: string;
  statements: string[];
}

const applying = new Map<string, Promise<void>>();

/**
 * The VISIBILITY database, its migrations applied first when the deployment passes them
 * (once per isolate; a failed attempt is tried again on the next use). Undefined without
 * the binding.
 */
export async function visibilityDb(env: Pick<Env, 'VISIBILITY' | 'KEEL_VISIBILITY_MIGRATIONS'>): Promise<D1Database | undefined> {
  const db = env.VISIBILITY;
  const migrations = env.KEEL_VISIBILITY_MIGRATIONS;
  if (!db || !migrations) return db;
  let done = applying.get(migrations);
  if (!done) {
    done = applyMigrations(db, JSON.parse(migrations) as Migration[]);
    applying.set(migrations, done);
    done.catch(() => applying.delete(migrations));
  }
  await done;
  return db;
}

/** Applies the migrations not yet recorded in `d1_migrations`, each with its record in one batch, as wrangler does. */
export async function applyMigrations(db: D1Database, migrations: Migration[]): Promise<void> {
  await db.prepare(`CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`).run();
  const applied = async () => new Set((await db.prepare(`SELECT name FROM d1_migrations`).all<{ name: string }>()).results.map((r) => r.name));
  const done = await applied();
  for (const m of migrations) {
    if (done.has(m.name)) continue;
    try {
      await db.batch([...m.statements.map((s) => db.prepare(s)), db.prepare(`INSERT INTO d1_migrations (name) VALUES (?)`).bind(m.name)]);
    } catch (err) {
      // Another isolate applied it meanwhile: its record refuses ours, and that is fine.
      if (!(await applied()).has(m.name)) throw err;
    }
  }
}
