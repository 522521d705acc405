// Programs written as Temporal's documentation writes them, with only `@temporalio/` changed to
// `keel/` in their imports: a client configured by envconfig, sinks, and a worker that runs a
// bundle built ahead of time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection, WithStartWorkflowOperation, WorkflowUpdateStage } from 'keel/client';
import { IllegalStateError, WorkflowExecutionAlreadyStartedError } from 'keel/common';
import { loadClientConnectConfig } from 'keel/envconfig';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker, bundleWorkflowCode, type InjectedSinks } from 'keel/worker';
import type { WorkflowInfo } from 'keel/workflow';
import * as activities from './fixtures/compat-activities.js';
import { addItem, cart, checkout, type AlertSinks } from './fixtures/compat-workflows.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'keel-temporal-programs-'));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
  rmSync(tmp, { recursive: true, force: true });
});

describe('a client configured with keel/envconfig', () => {
  it('connects with loadClientConnectConfig() from the config file and TEMPORAL_* variables', async () => {
    const configFile = path.join(tmp, 'temporal.toml');
    writeFileSync(configFile, '[profile.default]\naddress = "127.0.0.1:1"\nnamespace = "envconfig-ns"\n');
    const saved = { file: process.env['TEMPORAL_CONFIG_FILE'], address: process.env['TEMPORAL_ADDRESS'] };
    process.env['TEMPORAL_CONFIG_FILE'] = configFile;
    process.env['TEMPORAL_ADDRESS'] = env.address; // the environment wins over the file
    try {
      const config = loadClientConnectConfig();
      const connection = await Connection.connect(config.connectionOptions);
      const client = new Client({ connection, namespace: config.namespace });
      const worker = await Worker.create({ connection, namespace: 'envconfig-ns', taskQueue: 'envconfig', workflowsPath: fixture('compat-workflows.ts'), activities, shutdownSignals: [] });
      const result = await worker.runUntil(client.workflow.execute('loggingWorkflow', { taskQueue: 'envconfig', workflowId: 'envconfig-1', args: [0] }));
      expect(result).toBe('charged order-1');
      expect(client.options.namespace).toBe('envconfig-ns');
    } finally {
      for (const [k, v] of [['TEMPORAL_CONFIG_FILE', saved.file], ['TEMPORAL_ADDRESS', saved.address]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

describe('sinks', () => {
  it('calls injected sinks on the worker, once per call, and during replay only when asked to', async () => {
    const sent: string[] = [];
    const recorded: Array<[number, string]> = [];
    const sinks: InjectedSinks<AlertSinks> = {
      alerts: { send: { fn: (_info: WorkflowInfo, message: string) => void sent.push(message) } },
      audit: { record: { fn: (info: WorkflowInfo, step: number) => void recorded.push([step, info.workflowType]), callDuringReplay: true } },
    };
    // No cache: every workflow task replays the history before it, so the first calls are made again.
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'sinks', workflowsPath: fixture('compat-workflows.ts'), activities, sinks, maxCachedWorkflows: 0, shutdownSignals: [] });
    await worker.runUntil(env.client.workflow.execute('sinkWorkflow', { taskQueue: 'sinks', workflowId: 'sinks-1' }));
    expect(sent).toEqual(['started', 'finished']);
    expect(recorded).toEqual([
      [1, 'sinkWorkflow'],
      [1, 'sinkWorkflow'],
      [2, 'sinkWorkflow'],
    ]);
  });
});

describe('a bundle built ahead of time', () => {
  it('runs from workflowBundle: { codePath }, bundled with ignoreModules', async () => {
    const workflowsPath = fixture('prebuilt-workflows.ts');
    await expect(bundleWorkflowCode({ workflowsPath })).rejects.toThrow(/imports 'node:crypto'/);
    const { code } = await bundleWorkflowCode({ workflowsPath, ignoreModules: ['node:crypto'] });
    const codePath = path.join(tmp, 'workflow-bundle.js');
    writeFileSync(codePath, code);
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'prebuilt', workflowBundle: { codePath }, shutdownSignals: [] });
    const result = await worker.runUntil(env.client.workflow.execute('prebuilt', { taskQueue: 'prebuilt', workflowId: 'prebuilt-1', args: ['Ada'] }));
    expect(result).toBe('prebuilt says hello to Ada');
  });

  it('runs from a WorkflowBundleWithSourceMap', async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: fixture('prebuilt-workflows.ts'), ignoreModules: ['node:crypto'], sourceMap: false });
    const sourceMap = JSON.stringify({ version: 3, sources: [], names: [], mappings: '' });
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'prebuilt-map', workflowBundle: { code, sourceMap }, shutdownSignals: [] });
    const result = await worker.runUntil(env.client.workflow.execute('prebuilt', { taskQueue: 'prebuilt-map', workflowId: 'prebuilt-2', args: ['Grace'] }));
    expect(result).toBe('prebuilt says hello to Grace');
  });
});

describe('update-with-start', () => {
  it('starts the workflow with the update, then updates the running run, as Temporal does', async () => {
    const taskQueue = 'update-with-start';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: fixture('compat-workflows.ts'), activities, shutdownSignals: [] });
    await worker.runUntil(async () => {
      const options = { workflowId: 'cart-1', taskQueue, args: ['user-7'] as [string], workflowIdConflictPolicy: 'USE_EXISTING' as const };
      const startWorkflowOperation = new WithStartWorkflowOperation(cart, options);
      expect(await env.client.workflow.executeUpdateWithStart(addItem, { args: ['book'], startWorkflowOperation })).toBe(1);
      const handle = await startWorkflowOperation.workflowHandle();
      expect((await handle.describe()).status.name).toBe('RUNNING');
      await expect(env.client.workflow.executeUpdateWithStart(addItem, { args: ['again'], startWorkflowOperation })).rejects.toBeInstanceOf(IllegalStateError);

      const second = new WithStartWorkflowOperation(cart, options);
      const update = await env.client.workflow.startUpdateWithStart(addItem, { args: ['pen'], waitForStage: WorkflowUpdateStage.ACCEPTED, startWorkflowOperation: second });
      expect(await update.result()).toBe(2);
      expect((await second.workflowHandle()).firstExecutionRunId).toBe(handle.firstExecutionRunId);

      const refused = new WithStartWorkflowOperation(cart, { ...options, workflowIdConflictPolicy: 'FAIL' });
      await expect(env.client.workflow.executeUpdateWithStart(addItem, { args: ['x'], startWorkflowOperation: refused })).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
      await expect(refused.workflowHandle()).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);

      await handle.signal(checkout);
      expect(await handle.result()).toEqual(['book', 'pen']);
    });
  });
});
