/**
 * Retention and deletion: a closed run is deleted once its namespace's retention has passed since
 * its close (fired by the object's alarm, with the object's clock moved — no waiting), and when
 * asked (DeleteWorkflowExecution). History, state and visibility row go; the object's storage is
 * emptied once it keeps nothing, and a run of a reused workflow id that is not past retention stays.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { forgetNamespaces } from '../../src/namespaces/cache.js';
import { expectError, inWorkflow, wfObject, fireAlarm } from './helpers.js';
import { complete, spaceWithRetention as space, type Space } from './visibility-helpers.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const service = () => (exports as unknown as { default: Fetcher }).default;

/** What the object's database holds: its tables (none once emptied) and its alarm. */
function storage(s: Space, workflowId: string) {
  return inWorkflow(s.ns, workflowId, async (_o: WorkflowHost, state) => ({
    tables: state.storage.sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'`).toArray().map((r) => r.name),
    alarm: await state.storage.getAlarm(),
  }));
}

/** Moves the object's clock and runs its alarm if it has one. */
async function after(s: Space, workflowId: string, ms: number): Promise<void> {
  await inWorkflow(s.ns, workflowId, (o: WorkflowHost) => o.clock.advance(ms));
  await fireAlarm(workflowId, s.ns);
}

const describeRun = (s: Space, workflowId: string, runId?: string) => s.call('GET', `/workflows/${workflowId}`, runId ? { runId } : {});

describe('a closed run is deleted when its namespace\'s retention has passed', () => {
  it('keeps the run until then, then deletes its history, state and visibility row and empties the object', async () => {
    const s = await space(HOUR);
    const runId = await s.start('order');
    await s.completeTask('order', complete);
    expect(await s.ids()).toEqual(['order']);

    await after(s, 'order', HOUR - MINUTE);
    expect((await describeRun(s, 'order')).body).toMatchObject({ status: 'COMPLETED', execution: { runId } });

    await after(s, 'order', 2 * MINUTE);
    expectError(await describeRun(s, 'order'), 'WORKFLOW_NOT_FOUND');
    expectError(await s.call('GET', '/workflows/order/history'), 'WORKFLOW_NOT_FOUND');
    expect(await s.ids()).toEqual([]);
    expect(await storage(s, 'order')).toEqual({ tables: [], alarm: null });
  });

  it('keeps a newer run of a reused workflow id, deleting only the closed run past retention', async () => {
    const s = await space(HOUR);
    const first = await s.start('reused');
    await s.terminate('reused');
    await after(s, 'reused', 30 * MINUTE);
    const second = await s.start('reused');
    await after(s, 'reused', 31 * MINUTE);

    expectError(await describeRun(s, 'reused', first), 'WORKFLOW_NOT_FOUND');
    expect((await describeRun(s, 'reused')).body).toMatchObject({ status: 'RUNNING', execution: { runId: second } });
    expect((await s.list()).executions.map((e) => e.execution.runId)).toEqual([second]);
    expect((await storage(s, 'reused')).tables).not.toEqual([]);

    // The second run closes and is deleted in its turn; then nothing is left.
    await s.terminate('reused');
    await after(s, 'reused', HOUR + MINUTE);
    expectError(await describeRun(s, 'reused'), 'WORKFLOW_NOT_FOUND');
    expect(await storage(s, 'reused')).toEqual({ tables: [], alarm: null });
  });

  it('uses the retention as it is when the deletion comes due: a longer one set after the close postpones it', async () => {
    const s = await space(HOUR);
    await s.start('kept');
    await s.terminate('kept');
    const r = await service().fetch(`http://keel.test/api/v1/namespaces/${s.ns}/update`, { method: 'POST', body: JSON.stringify({ retentionMs: 3 * HOUR }), headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(200);
    await after(s, 'kept', 2 * HOUR);
    expect((await describeRun(s, 'kept')).body.status).toBe('TERMINATED');
    expect((await storage(s, 'kept')).alarm).not.toBeNull();
    await after(s, 'kept', HOUR + MINUTE);
    expectError(await describeRun(s, 'kept'), 'WORKFLOW_NOT_FOUND');
  });

  it('never guesses the retention: nothing is deleted while the registry cannot be read', async () => {
    // Longer than the default 72 h, which an object that knows nothing would otherwise assume.
    const s = await space(100 * HOUR);
    await s.start('unreadable');
    await s.terminate('unreadable');
    // The object's registry reads fail, and nothing is cached: the retention is unknown.
    const down = { prepare: () => { throw new Error('D1 is unavailable'); }, batch: () => Promise.reject(new Error('D1 is unavailable')) };
    const host = (o: WorkflowHost) => (o.deletion as unknown as { host: { env: Record<string, unknown> } }).host;
    let saved: unknown;
    await inWorkflow(s.ns, 'unreadable', (o: WorkflowHost) => {
      saved = host(o).env;
      host(o).env = { ...(saved as object), VISIBILITY: down };
      forgetNamespaces();
    });
    await after(s, 'unreadable', 80 * HOUR);
    await inWorkflow(s.ns, 'unreadable', (o: WorkflowHost) => {
      host(o).env = saved as Record<string, unknown>;
    });
    expect((await describeRun(s, 'unreadable')).body.status).toBe('TERMINATED');
    // Read again a minute later, with the registry back: 100 h have not passed yet.
    await after(s, 'unreadable', 61_000);
    expect((await describeRun(s, 'unreadable')).body.status).toBe('TERMINATED');
    await after(s, 'unreadable', 20 * HOUR);
    expectError(await describeRun(s, 'unreadable'), 'WORKFLOW_NOT_FOUND');
  });

  it('a deletion whose transaction fails leaves the run, in storage and in what the object holds in memory', async () => {
    const s = await space(HOUR);
    const runId = await s.start('half-deleted');
    await s.terminate('half-deleted');
    const failed = await inWorkflow(s.ns, 'half-deleted', (o: WorkflowHost) => {
      // The run's rows and its visibility deletion are written, then the transaction throws.
      const visibility = (o as unknown as { visibility: { enqueueDeletion: (...a: unknown[]) => void } }).visibility;
      const enqueue = visibility.enqueueDeletion.bind(visibility);
      visibility.enqueueDeletion = (...a) => {
        enqueue(...a);
        throw new Error('storage failed mid-deletion');
      };
      try {
        o.deletion.delete([runId]);
        return 'no throw';
      } catch (err) {
        return (err as Error).message;
      } finally {
        visibility.enqueueDeletion = enqueue;
      }
    });
    expect(failed).toBe('storage failed mid-deletion');
    // Nothing pending in memory that storage does not have: no deletion is delivered to the listing.
    await inWorkflow(s.ns, 'half-deleted', (o: WorkflowHost) => (o as unknown as { deliverOutbox: () => Promise<void> }).deliverOutbox());
    expect((await describeRun(s, 'half-deleted')).body).toMatchObject({ status: 'TERMINATED', execution: { runId } });
    expect(await s.ids()).toEqual(['half-deleted']);
  });

  it('starts a new run of the id after the object was emptied', async () => {
    const s = await space(HOUR);
    await s.start('again');
    await s.terminate('again');
    await after(s, 'again', 2 * HOUR);
    expect((await storage(s, 'again')).tables).toEqual([]);
    const runId = await s.start('again');
    expect((await describeRun(s, 'again')).body).toMatchObject({ status: 'RUNNING', execution: { runId } });
    expect(await s.ids()).toEqual(['again']);
  });
});

describe('DeleteWorkflowExecution', () => {
  it('terminates a running run, then deletes it and empties the object', async () => {
    const s = await space(72 * HOUR);
    const runId = await s.start('running');
    expect((await s.call('POST', '/workflows/running/delete', {})).status).toBe(200);
    expectError(await describeRun(s, 'running', runId), 'WORKFLOW_NOT_FOUND');
    expect(await s.ids()).toEqual([]);
    expect(await storage(s, 'running')).toEqual({ tables: [], alarm: null });
    expectError(await s.call('POST', '/workflows/running/delete', {}), 'WORKFLOW_NOT_FOUND');
  });

  it('deletes the run named, keeping the others of the id', async () => {
    const s = await space(72 * HOUR);
    const first = await s.start('two');
    await s.completeTask('two', complete);
    const second = await s.start('two');
    expect((await s.call('POST', '/workflows/two/delete', { runId: first })).status).toBe(200);
    expectError(await describeRun(s, 'two', first), 'WORKFLOW_NOT_FOUND');
    expect((await describeRun(s, 'two')).body).toMatchObject({ status: 'RUNNING', execution: { runId: second } });
    expect((await s.list()).executions.map((e) => e.execution.runId)).toEqual([second]);
  });
});
