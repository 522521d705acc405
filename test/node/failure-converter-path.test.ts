// dataConverter.failureConverterPath (Temporal's): the worker bundles the failure converter module
// into the workflow sandbox and uses it for its activities, so failure messages that must not be
// stored in clear (encodeCommonAttributes) are encoded on every side and read back by the client.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, WorkflowFailedError } from 'keel/client';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import { failureConverter } from './fixtures/encoded-failure-converter.js';
import * as activities from './fixtures/failure-converter-activities.js';
import { payOrder } from './fixtures/failure-converter-workflows.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/failure-converter-workflows.ts', import.meta.url));
const failureConverterPath = fileURLToPath(new URL('./fixtures/encoded-failure-converter.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('failureConverterPath', () => {
  it('runs the failure converter in the workflow sandbox and for activities: no message is stored in clear', async () => {
    const taskQueue = 'failure-converter-path';
    const client = new Client({ connection: env.nativeConnection, dataConverter: { failureConverter } });
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, dataConverter: { failureConverterPath }, shutdownSignals: [] });
    const handle = await client.workflow.start(payOrder, { taskQueue, workflowId: 'failure-converter-1', args: ['4242'] });
    const err = await worker.runUntil(handle.result().then(() => undefined, (e: unknown) => e));
    // The client, with the same converter, reads what the workflow read from the activity's failure.
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toMatchObject({ message: 'order not paid: card 4242 declined', type: 'PaymentFailed' });

    // History holds neither message: the activity's failure (worker side) and the workflow's
    // (sandbox side) were both encoded.
    const { events } = keelHistory(await handle.fetchHistory());
    const failures = events.flatMap((e) => {
      const f = (e.attributes as { failure?: { message: string; encodedAttributes?: unknown } }).failure;
      return f && (e.eventType === 'ActivityTaskFailed' || e.eventType === 'WorkflowExecutionFailed') ? [f] : [];
    });
    expect(failures).toHaveLength(2);
    for (const f of failures) {
      expect(f.message).toBe('Encoded failure');
      expect(f.encodedAttributes).toBeDefined();
    }
    expect(JSON.stringify(events)).not.toContain('4242 declined');
  });

  it('refuses a module that does not export failureConverter', async () => {
    await expect(
      Worker.create({ connection: env.nativeConnection, taskQueue: 'no-converter', activities, dataConverter: { failureConverterPath: fileURLToPath(new URL('./fixtures/failure-converter-activities.ts', import.meta.url)) } }),
    ).rejects.toThrow(/does not export failureConverter/);
  });
});
