/**
 * Visibility with an object per workflow (KEEL_WORKFLOW_SHARDS = 0, the workerd-objects project):
 * summaries reach D1 through each object's outbox — a running run's after RUNNING_SUMMARY_DELAY_MS,
 * a failed write retried by the alarm, D1 never taking an older summary over a newer one. (With
 * shards a summary is written to its shard in its change's transaction: visibility-shards.test.ts.)
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { StateTable } from '../../src/storage/state-table.js';
import { RUNNING_SUMMARY_DELAY_MS, VisibilityOutbox } from '../../src/visibility/outbox.js';
import { D1SummaryStore, type SummaryStore } from '../../src/visibility/store.js';
import type { ExecutionSummary } from '../../src/visibility/summary.js';
import { unique, inWorkflow, fireAlarm, hostStorage } from './helpers.js';
import { Space, complete } from './visibility-helpers.js';

const db = (env as unknown as { VISIBILITY: D1Database }).VISIBILITY;
/** The workflow's outbox to D1 (this project keeps every workflow in an object of its own). */
const outbox = (o: WorkflowHost) => o.visibility as VisibilityOutbox;

describe('summaries reach D1 through the outbox', () => {
  it('lists a started run once RUNNING_SUMMARY_DELAY_MS has passed; a run that closes sooner is written to D1 once, closed', async () => {
    const s = new Space();
    const writes: string[] = [];
    const counted = (wid: string) =>
      inWorkflow(s.ns, wid, (o: WorkflowHost) => {
        const d1 = new D1SummaryStore(db);
        // The suite runs with the delay off (vitest.config.ts); these objects have the default.
        outbox(o).runningDelayMs = RUNNING_SUMMARY_DELAY_MS;
        outbox(o).store = { write: (summary) => (writes.push(`${summary.workflowId} ${summary.status}`), d1.write(summary)), remove: (ns, runId) => d1.remove(ns, runId) };
      });
    await counted('quick');
    await counted('slow');
    const started = (wid: string) => s.ok('POST', '/workflows', { workflowId: wid, workflowType: 'order', taskQueue: s.queueOf(wid), input: [] });
    const deliver = (wid: string) => inWorkflow(s.ns, wid, (o: WorkflowHost) => o.deliverOutbox());

    // A run that closes within the delay: one write, of its closed summary.
    await started('quick');
    await deliver('quick');
    expect(await s.ids()).toEqual([]);
    await s.completeTask('quick', complete);
    expect(writes).toEqual(['quick COMPLETED']);
    expect((await s.list()).executions).toMatchObject([{ execution: { workflowId: 'quick' }, status: 'COMPLETED' }]);

    // A run still running when the delay has passed: its alarm, set for that moment, writes it.
    await started('slow');
    await deliver('slow');
    expect(await s.ids()).toEqual(['quick']);
    const { now, alarm } = await inWorkflow(s.ns, 'slow', async (o: WorkflowHost) => ({ now: o.clock.now(), alarm: await hostStorage(o).getAlarm() }));
    expect(alarm).not.toBeNull();
    expect(alarm! - now).toBeLessThanOrEqual(RUNNING_SUMMARY_DELAY_MS);
    await inWorkflow(s.ns, 'slow', (o: WorkflowHost) => o.clock.advance(RUNNING_SUMMARY_DELAY_MS));
    await fireAlarm('slow', s.ns);
    await deliver('slow');
    expect(writes).toEqual(['quick COMPLETED', 'slow RUNNING']);
    expect(await s.ids()).toEqual(['slow', 'quick']);
  });

  it('a summary written twice, or an older one after a newer, leaves the newest', async () => {
    const ns = unique('vis-direct');
    const store = new D1SummaryStore(db);
    const base: ExecutionSummary = {
      namespace: ns, workflowId: 'w', runId: 'r1', firstRunId: 'r1', workflowType: 't', taskQueue: 'q',
      status: 'RUNNING', startTime: 1000, executionTime: 1000, historyLength: 2, version: 2,
      searchAttributes: { Stage: 'one' },
    };
    const closed: ExecutionSummary = { ...base, status: 'COMPLETED', closeTime: 2000, historyLength: 7, version: 7, searchAttributes: { Stage: 'two' } };
    await store.write(closed);
    await store.write(base);
    await store.write(closed);
    const rows = await db.prepare('SELECT status, version, close_time FROM executions WHERE namespace = ?').bind(ns).all();
    expect(rows.results).toEqual([{ status: 'COMPLETED', version: 7, close_time: 2000 }]);
    const attrs = await db.prepare('SELECT name, str FROM search_attributes WHERE namespace = ?').bind(ns).all();
    expect(attrs.results).toEqual([{ name: 'Stage', str: 'two' }]);
  });
});

describe('a failed write is retried by the alarm and never lost', () => {
  it('keeps the summary in the outbox while D1 fails, and the alarm delivers it later', async () => {
    const s = new Space();
    const wid = 'flaky';
    let failures = 0;
    const failing: SummaryStore = {
      write: async () => {
        failures++;
        throw new Error('D1 is unavailable');
      },
      remove: async () => {
        throw new Error('D1 is unavailable');
      },
    };
    // The object's store is swapped before the run starts, so its first write fails.
    await inWorkflow(s.ns, wid, (o: WorkflowHost) => {
      outbox(o).store = failing;
    });
    const runId = await s.start(wid);
    expect(failures).toBeGreaterThanOrEqual(1);
    expect(await s.ids()).toEqual([]);
    // (The alarm may already have retried in real time: attempts counts every failure.)
    const pending = () => inWorkflow(s.ns, wid, (o: WorkflowHost, state) => new StateTable(state.storage.sql, [], hostStorage(o).scope, undefined, hostStorage(o).tables).range('v/').map((r) => ({ run_id: r.k.slice(2), version: (JSON.parse(r.v) as { version: number }).version, attempts: (JSON.parse(r.v) as { attempts: number }).attempts })));
    expect(await pending()).toEqual([{ run_id: runId, version: 2, attempts: failures }]);
    expect(await inWorkflow(s.ns, wid, (o) => hostStorage(o).getAlarm())).not.toBeNull();

    // While D1 is down the run closes: the newer summary replaces the pending one.
    await s.terminate(wid);
    expect(await pending()).toMatchObject([{ run_id: runId, version: 3 }]);

    // D1 is back; the alarm, once the back-off has passed, writes the newest summary.
    await inWorkflow(s.ns, wid, (o: WorkflowHost) => {
      outbox(o).store = new D1SummaryStore(db);
      o.clock.advance(60_000);
    });
    await fireAlarm(wid, s.ns);
    await s.settle(wid);
    expect(await pending()).toEqual([]);
    expect((await s.list()).executions).toMatchObject([{ execution: { workflowId: wid, runId }, status: 'TERMINATED', historyLength: 3 }]);
  });
});

