import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import * as activities from './fixtures/activities.js';
import { approval, approve, status } from './fixtures/workflows.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('hello world end to end', () => {
  it('runs a workflow that calls an activity and returns its result', async () => {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'hello', workflowsPath, activities, shutdownSignals: [] });
    const result = await worker.runUntil(env.client.workflow.execute('hello', { taskQueue: 'hello', workflowId: 'hello-1', args: ['Keel'] }));
    expect(result).toBe('Hello, Keel!');
  });

  it('delivers signals and answers queries', async () => {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'approval', workflowsPath, activities, shutdownSignals: [] });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(approval, { taskQueue: 'approval', workflowId: 'approval-1' });
      expect(await handle.query(status)).toBe('waiting');
      await handle.signal(approve, true);
      expect(await handle.result()).toBe('approved');
    });
  });
});
