// dataConverter.payloadConverterPath (Temporal's): the worker bundles the converter module into the
// workflow sandbox and uses it for its activities, so a custom encoding works end to end.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'keel/client';
import { base64ToUtf8 } from 'keel/common';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import * as activities from './fixtures/tagged-activities.js';
import { payloadConverter } from './fixtures/tagged-converter.js';
import { echoTagged } from './fixtures/tagged-workflows.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/tagged-workflows.ts', import.meta.url));
const payloadConverterPath = fileURLToPath(new URL('./fixtures/tagged-converter.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('payloadConverterPath', () => {
  it('runs the converter module in the workflow sandbox and for activities', async () => {
    const taskQueue = 'converter-path';
    const client = new Client({ connection: env.nativeConnection, dataConverter: { payloadConverter } });
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, dataConverter: { payloadConverterPath }, shutdownSignals: [] });
    const handle = await client.workflow.start(echoTagged, { taskQueue, workflowId: 'converter-path-1', args: [{ text: 'hi' }] });
    expect(await worker.runUntil(handle.result())).toBe('HI!');
    // Every payload the workflow and the activity wrote is in the custom encoding.
    const { events } = keelHistory(await handle.fetchHistory());
    const encodings = events.flatMap((e) => {
      const a = e.attributes as { input?: Array<{ metadata: Record<string, string> }>; result?: { metadata: Record<string, string> } };
      return [...(a.input ?? []), ...(a.result ? [a.result] : [])].map((p) => base64ToUtf8(p.metadata['encoding']!));
    });
    expect(encodings.length).toBeGreaterThanOrEqual(4);
    expect(new Set(encodings)).toEqual(new Set(['json/tagged']));
  });

  it('refuses a module that exports no payloadConverter', async () => {
    await expect(Worker.create({ taskQueue: 'x', workflowsPath, dataConverter: { payloadConverterPath: workflowsPath }, connection: env.nativeConnection })).rejects.toThrow(/does not export payloadConverter/);
  });
});
