// Three suites, each its own vitest project:
//   unit    pure modules (protocol, engine logic, SDK internals) in Node
//   workerd the service's Durable Objects inside workerd (@cloudflare/vitest-pool-workers)
//   e2e     the SDK end to end against a real local service (miniflare) in Node
//   e2e-runtime  the e2e files that install the process's Runtime, each in a process of its own
//   browser the web UI in Debian's Chromium (playwright-core) against a local service
//   faults  `keel dev` and worker processes SIGKILLed during a run; every history checked (test/faults)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { packageExports } from './scripts/package-exports.mjs';

const sdk = (p: string) => fileURLToPath(new URL(p, import.meta.url));
// `keel/*` imports resolve to the sources of package.json's exports.
const alias = Object.fromEntries(packageExports().map((e) => [e.specifier, e.source]));
// e2e files that install the process's one Runtime (Runtime.install throws once any Worker has
// made it): each runs in a process of its own, in the e2e-runtime project.
const RUNTIME_FILES = ['test/node/logging.test.ts', 'test/node/worker-metrics.test.ts'];
const e2e = { environment: 'node' as const, globalSetup: ['test/node/global-setup.ts'], testTimeout: 60_000, hookTimeout: 60_000 };

// The workerd pool serves wrangler.toml's [assets] (the built UI), which must exist before it starts.
if (!existsSync(sdk('./dist/ui/index.html'))) execFileSync(process.execPath, [sdk('./scripts/build-ui.mjs')], { stdio: 'inherit' });

/** The suites about an object of one's own: its schema and migrations, its footprint, its cost, emptying it, its D1 outbox. */
const OWN_OBJECT_SUITES = ['test/workerd/storage.test.ts', 'test/workerd/retention.test.ts', 'test/workerd/cost.test.ts', 'test/workerd/visibility-outbox.test.ts'];
/**
 * Suites both layouts run: visibility is kept apart by layout (a shard's table, or D1), and read through the same API;
 * a deflated run row's close time is read by each layout's retention (a shard's sweep, an object's alarm).
 */
const BOTH_LAYOUT_SUITES = ['test/workerd/visibility.test.ts', 'test/workerd/upsert.test.ts', 'test/workerd/metrics.test.ts', 'test/workerd/hostile-input.test.ts', 'test/workerd/run-row-codec.test.ts'];

export default defineConfig({
  test: {
    // vitest's default on 2 cores is one file at a time; most files wait on the services and worker
    // processes they start, so two at a time use the second core (browser files stay one at a time).
    maxWorkers: 2,
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          environment: 'node',
          include: ['protocol/**/*.test.ts', 'src/**/*.test.ts', 'sdk/**/*.test.ts', 'cli/**/*.test.ts', 'ui/**/*.test.ts', 'bench/*.test.ts', 'scripts/*.test.ts'],
        },
      },
      // Workflows kept in shards, as `keel dev` keeps them (src/workflow-object.ts): every suite.
      workerdProject('workerd', '4', { exclude: OWN_OBJECT_SUITES }),
      // Workflows in objects of their own (KEEL_WORKFLOW_SHARDS=0, the layout of deployments from
      // before shards): the suites about that layout's storage, and visibility (D1 in this layout).
      workerdProject('workerd-objects', '0', { include: [...OWN_OBJECT_SUITES, ...BOTH_LAYOUT_SUITES] }),
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          ...e2e,
          include: ['test/node/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...RUNTIME_FILES],
          // Files share their worker process (each still starts and stops its own service): a
          // process per file imported the SDK, miniflare and esbuild again for each of 55 files,
          // most of the project's time on 2 cores (vitest's "import": 216 s of 510 s).
          isolate: false,
        },
      },
      {
        resolve: { alias },
        test: { name: 'e2e-runtime', ...e2e, include: RUNTIME_FILES },
      },
      {
        resolve: { alias },
        test: {
          name: 'faults',
          environment: 'node',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/node/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'browser',
          environment: 'node',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/node/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One browser and one service per file; files run one at a time (2 cores).
          fileParallelism: false,
        },
      },
    ],
  },
});

function workerdProject(name: string, workflowShards: string, files: { include?: string[]; exclude?: string[] }) {
  return {
    plugins: [
      cloudflareTest(async () => ({
        wrangler: { configPath: './wrangler.toml' },
        // Long polls, history waits and queries give up after 1 s instead of 20 s.
        // TEST_MIGRATIONS: the visibility store's migrations, applied by the setup file.
        // One partition per task queue, so tests look at a queue's one object; the queues of
        // test/workerd/partitions.test.ts have four, as every queue has by default.
        miniflare: {
          // Workers Analytics Engine, as wrangler.toml's commented-out [[analytics_engine_datasets]]
          // binds it on Cloudflare (test/workerd/analytics.test.ts); miniflare's local dataset
          // accepts writes and keeps nothing.
          analyticsEngineDatasets: { ANALYTICS: { dataset: 'keel_task_queues' } },
          bindings: {
            KEEL_LONG_POLL_MS: '1000',
            // A running run's summary goes to D1 at once, not a second later by the alarm, which
            // would fire in the middle of what tests look at (test/workerd/visibility.test.ts
            // sets the default back on the objects of the test that checks the delay).
            KEEL_RUNNING_SUMMARY_DELAY_MS: '0',
            // Namespaces are created on first use, as under `keel dev`: each test makes up its own
            // (test/workerd/namespaces.test.ts turns it off to see NAMESPACE_NOT_FOUND).
            KEEL_NAMESPACE_AUTO_CREATE: '1',
            KEEL_WORKFLOW_SHARDS: workflowShards,
            KEEL_TASK_QUEUE_PARTITIONS: JSON.stringify({ default: 1, queues: { 'four-partitions-drain': 4, 'four-partitions-worker': 4, 'four-partitions-quiet': 4 } }),
            TEST_MIGRATIONS: await readD1Migrations(sdk('./migrations')),
          },
        },
      })),
    ],
    test: {
      name,
      include: files.include ?? ['test/workerd/**/*.test.ts'],
      exclude: files.exclude ?? [],
      setupFiles: ['test/workerd/apply-migrations.ts'],
      // A bound for a hang, not a budget: vitest's 5 s default failed a test of some fifty RPCs
      // (test/workerd/partitions.test.ts, 1 s alone) in a full run on the shared 2-core machine
      // at load 10–12; a poll that misses its task now fails its assertion, not the clock.
      testTimeout: 30_000,
    },
  };
}
