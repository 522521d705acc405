// The vitest suite that docs/testing.md shows for users to copy (verbatim; docs.test.ts checks):
// the approval example tested with keel/testing — a real local service, a real worker,
// activities that record what they did, and time moved forward instead of waited for.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import { createActivities } from '../../examples/approval/activities.js';
import { approve, expenseApproval, getState, reject } from '../../examples/approval/workflows.js';

const workflowsPath = fileURLToPath(new URL('../../examples/approval/workflows.ts', import.meta.url));
const report = { id: 'r1', employee: 'ada', amount: 120, description: 'train' };
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

/** A worker on a task queue of its own, with activities that record what they did. */
async function startWorker(taskQueue: string) {
  const log: string[] = [];
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath,
    activities: createActivities((line) => log.push(line)),
    shutdownSignals: [],
  });
  return { worker, log };
}

describe('expenseApproval', () => {
  it('pays once approved', async () => {
    const { worker, log } = await startWorker('approve');
    const outcome = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(expenseApproval, { taskQueue: 'approve', workflowId: 'approve-1', args: [report] });
      expect(await handle.query(getState)).toEqual({ status: 'PENDING' });
      await handle.signal(approve, 'grace');
      return handle.result();
    });
    expect(outcome).toEqual({ status: 'APPROVED', decidedBy: 'grace' });
    expect(log.some((line) => line.startsWith('[payments] paid 120 EUR'))).toBe(true);
  });

  it('does not pay when rejected', async () => {
    const { worker, log } = await startWorker('reject');
    const outcome = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(expenseApproval, { taskQueue: 'reject', workflowId: 'reject-1', args: [report] });
      await handle.signal(reject, 'grace', 'not a business trip');
      return handle.result();
    });
    expect(outcome).toEqual({ status: 'REJECTED', decidedBy: 'grace', reason: 'not a business trip' });
    expect(log.some((line) => line.startsWith('[payments]'))).toBe(false);
  });

  it('expires after 7 days without a decision — without waiting 7 days', async () => {
    const { worker } = await startWorker('expire');
    const outcome = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(expenseApproval, { taskQueue: 'expire', workflowId: 'expire-1', args: [report] });
      // Once the workflow waits on its 7-day timer, skip the week.
      const waiting = async () => (await handle.fetchHistory()).events.some((e) => e.eventType === 'EVENT_TYPE_TIMER_STARTED');
      while (!(await waiting())) await new Promise((r) => setTimeout(r, 20));
      await env.advanceTime('expire-1', '7 days');
      return handle.result();
    });
    expect(outcome).toEqual({ status: 'EXPIRED' });
  });
});
