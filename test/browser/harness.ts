// What every browser test needs: a Keel service (`keel dev` once the CLI is built, else
// keel/testing's startLocalService), a client and worker connection to it, Debian's Chromium
// driven by playwright-core, and screenshots under test-output/screenshots/.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Client } from 'keel/client';
import { startLocalService } from 'keel/testing';
import { NativeConnection, Worker, type WorkerOptions } from 'keel/worker';
import { waitFor } from '../node/fixtures/wait.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env['KEEL_CHROMIUM'] ?? '/usr/bin/chromium';
/** The suite needs Debian's chromium package; .ci/run installs it. */
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`\n[browser tests] skipped: no Chromium at ${CHROMIUM}. Install it with \`apt-get install -y chromium\` (or set KEEL_CHROMIUM).\n`);

export const SCREENSHOTS = path.join(root, 'test-output', 'screenshots');
const CLI = path.join(root, 'dist', 'cli', 'keel.js');

export interface Service {
  url: string;
  address: string;
  /** `keel dev` or `startLocalService`: what the tests ran against. */
  kind: string;
  stop(): Promise<void>;
}

/**
 * Starts `keel dev --port 0 --db-dir <tmp>` when the CLI is built (its address read from what it prints,
 * so no other process can take the port between a probe and its bind) (as users run the UI),
 * else an in-process local service; `KEEL_BROWSER_SERVICE=local` forces the latter.
 */
export async function startService(): Promise<Service> {
  if (!existsSync(CLI) || process.env['KEEL_BROWSER_SERVICE'] === 'local') {
    // A private copy of the UI, so that a rebuild of dist/ meanwhile cannot pull files away.
    const uiDir = mkdtempSync(path.join(tmpdir(), 'keel-browser-ui-'));
    cpSync(path.join(root, 'dist', 'ui'), uiDir, { recursive: true });
    const s = await startLocalService({ uiDir });
    return {
      ...s,
      kind: 'startLocalService',
      stop: async () => {
        await s.stop();
        rmSync(uiDir, { recursive: true, force: true });
      },
    };
  }
  const dbDir = mkdtempSync(path.join(tmpdir(), 'keel-browser-'));
  const child: ChildProcess = spawn(process.execPath, [CLI, 'dev', '--port', '0', '--db-dir', dbDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let address = '';
  try {
    await waitFor('keel dev to serve', async () => {
      if (child.exitCode !== null) throw new Error(`keel dev exited with ${child.exitCode}:\n${output}`);
      address = /Address:\s+(\S+)/.exec(output)?.[1] ?? '';
      return address !== '' && (await fetch(`http://${address}/api/v1/health`)).ok;
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  return {
    url: `http://${address}`,
    address,
    kind: 'keel dev',
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dbDir, { recursive: true, force: true });
    },
  };
}

export interface Harness {
  service: Service;
  client: Client;
  connection: NativeConnection;
  browser: Browser;
  stop(): Promise<void>;
}

/** A worker the harness runs for the whole file: its task queue, and its workflows (default: fixtures/workflows.ts) and activities. */
export type HarnessWorkerOptions = Pick<WorkerOptions, 'taskQueue' | 'activities'> & { workflowsPath?: string };

/**
 * The service, a client and Chromium; with `worker`, also a worker polling its task queue, which
 * `stop()` shuts down first.
 */
export async function startHarness(options: { worker?: HarnessWorkerOptions } = {}): Promise<Harness> {
  const service = await startService();
  console.log(`[browser tests] against ${service.kind} at ${service.url}`);
  const connection = await NativeConnection.connect({ address: service.address });
  const client = new Client({ connection, namespace: 'default' });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const worker = options.worker ? await Worker.create({ connection, workflowsPath, ...options.worker, shutdownSignals: [] }) : undefined;
  const running = worker?.run();
  return {
    service,
    client,
    connection,
    browser,
    stop: async () => {
      worker?.shutdown();
      await running?.catch(() => undefined);
      await browser.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
      await service.stop();
    },
  };
}

/** A page of the UI that fails the test on any uncaught error in the page. */
export async function openPage(h: Harness, pathAndQuery: string, options: { initScript?: string; colorScheme?: 'light' | 'dark' } = {}): Promise<{ page: Page; errors: string[] }> {
  const { initScript, colorScheme = 'light' } = options;
  const context = await h.browser.newContext({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1, colorScheme });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.setDefaultTimeout(15_000);
  if (initScript) await page.addInitScript(initScript);
  await page.goto(`${h.service.url}${pathAndQuery}`);
  return { page, errors };
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

export const workflowsPath = fileURLToPath(new URL('./fixtures/workflows.ts', import.meta.url));
