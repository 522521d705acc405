// A task handed to a poll whose worker is gone (protocol 2, src/engine/hand-off.ts), on a real
// local service (miniflare, real alarms): it goes back to its queue within handOffAckMs, and
// `keel workflow describe` shows the lost attempt — "worker lost" and the dead worker's identity.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { keel } from './fixtures/keel-cli.js';
import { waitFor } from './fixtures/wait.js';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('a dispatch that did not reach a worker', () => {
  it('goes back to its queue at once and shows in describe as a "worker lost" attempt with the worker', async () => {
    const c = env.nativeConnection;
    const at = (taskQueue: string) => ({ namespace: env.namespace, params: { taskQueue } });
    const taskQueue = 'worker-lost';
    await c.call('startWorkflow', { workflowId: 'worker-lost-1', workflowType: 'order', taskQueue, input: [] }, { namespace: env.namespace });
    const wt = (await c.call('pollWorkflowTask', { identity: 'live-worker' }, at(taskQueue))).task!;
    await c.call('completeWorkflowTask', {
      taskToken: wt.taskToken,
      commands: [{ type: 'ScheduleActivityTask', activityId: 'a1', activityType: 'charge', input: [], startToCloseTimeoutMs: 60_000 }],
    }, { namespace: env.namespace });

    // A worker that promised to acknowledge takes the activity, and is never heard of again.
    const lost = (await c.call('pollActivityTask', { identity: 'dead-worker@host', pollerId: 'dead', acknowledgesHandOff: true }, at(taskQueue))).task!;
    expect(lost.attempt).toBe(1);

    // Back on the queue after about a second, not after its 60 s start-to-close timeout.
    const again = await waitFor('the activity to be handed out again', async () => (await c.call('pollActivityTask', { identity: 'live-worker' }, at(taskQueue))).task, 10_000);
    expect(again.attempt).toBe(2);

    const text = await keel(['workflow', 'describe', '-w', 'worker-lost-1'], { KEEL_ADDRESS: env.address });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/a1\s+charge\s+STARTED\s+2\b/);
    expect(text.stdout).toContain('worker lost');
    expect(text.stdout).toContain('dead-worker@host');
  });
});
