// Three suites, each its own vitest project:
//   unit    pure modules (protocol, engine logic, SDK internals) in Node
//   workerd the service's Durable Objects inside workerd (@cloudflare/vitest-pool-workers)
//   e2e     the SDK end to end against a real local service (miniflare) in Node
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';

const sdk = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const alias = {
  'keel/client': sdk('./sdk/client/index.ts'),
  'keel/worker': sdk('./sdk/worker/index.ts'),
  'keel/workflow': sdk('./sdk/workflow/index.ts'),
  'keel/activity': sdk('./sdk/activity/index.ts'),
  'keel/testing': sdk('./sdk/testing/index.ts'),
  'keel/common': sdk('./sdk/common/index.ts'),
  'keel/protocol': sdk('./protocol/index.ts'),
};

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          environment: 'node',
          include: ['protocol/**/*.test.ts', 'src/**/*.test.ts', 'sdk/**/*.test.ts', 'cli/**/*.test.ts'],
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            // Long polls, history waits and queries give up after 1 s instead of 20 s.
            miniflare: { bindings: { KEEL_LONG_POLL_MS: '1000' } },
          }),
        ],
        test: { name: 'workerd', include: ['test/workerd/**/*.test.ts'] },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/node/**/*.test.ts'],
          globalSetup: ['test/node/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
