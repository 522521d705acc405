// The workflow against a real local Keel service (the same Worker `keel dev` runs), with the
// real worker: `npm test`. No `keel dev` needed; each run starts and stops its own service.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import { createActivities } from '../src/activities';
import { greet } from '../src/workflows';

const workflowsPath = fileURLToPath(new URL('../src/workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

before(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
after(async () => {
  await env?.teardown();
});

test('greet composes its greeting with the activity', async () => {
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'test', workflowsPath, activities: createActivities('Ahoy'), shutdownSignals: [] });
  const result = await worker.runUntil(env.client.workflow.execute(greet, { taskQueue: 'test', workflowId: 'greet-test', args: ['Keel'] }));
  assert.equal(result, 'Ahoy, Keel!');
});
