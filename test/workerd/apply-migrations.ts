// Setup file of the workerd suite: creates the visibility store's tables in the D1 binding
// from migrations/ (read in Node by vitest.config.ts), as `wrangler d1 migrations apply` would.
import { applyD1Migrations, env } from 'cloudflare:test';

const { VISIBILITY, TEST_MIGRATIONS } = env as unknown as { VISIBILITY: D1Database; TEST_MIGRATIONS: Parameters<typeof applyD1Migrations>[1] };
try {
  await applyD1Migrations(VISIBILITY, TEST_MIGRATIONS);
} catch {
  // Test files start together and may share the database: another one applied them first
  // (the migrations are idempotent; their record refuses a second insert). Check, once more.
  await applyD1Migrations(VISIBILITY, TEST_MIGRATIONS);
}
