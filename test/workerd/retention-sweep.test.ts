/**
 * Retention in a shard (the workerd project: 4 shards): a closed run is deleted by its shard's
 * retention sweep (src/workflow-object/retention-sweep.ts), which finds runs past their namespace's
 * retention in the shard's `visibility` table — not by a slot of its own written at its close. The
 * sweep's clock is moved and the sweep run (no waiting); its namespace's retention is read when it runs.
 */
import { runInDurableObject } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { forgetNamespaces } from '../../src/namespaces/cache.js';
import { workflowObjectStub, workflowShardStubs } from '../../src/stubs.js';
import type { WorkflowObject } from '../../src/workflow-object.js';
import { keyScope } from '../../src/workflow-object/host-storage.js';
import { NEXT_PAGE_MS, SWEEP_EVERY_MS, SWEEP_SCOPE, type RetentionSweep } from '../../src/workflow-object/retention-sweep.js';
import { shardOf, workflowShards } from '../../src/workflow-shards.js';
import { expectError, inWorkflow, rowsWrittenBy, shardSlot, testEnv, untilWallClock } from './helpers.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { complete, spaceWithRetention, type Space } from './visibility-helpers.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * A namespace whose shards keep new workflows in `state`, as every workflow was before day tables
 * (src/storage/day-tables.ts): the runs this sweep deletes one by one (test/workerd/day-tables.test.ts
 * has the day tables' drop).
 */
async function space(retentionMs: number): Promise<Space> {
  const s = await spaceWithRetention(retentionMs);
  for (const stub of workflowShardStubs(testEnv, s.ns)) await runInDurableObject(stub, (o: WorkflowObject) => void ((o as unknown as { days: { newInDays: boolean } }).days.newInDays = false));
  return s;
}

const service = () => (exports as unknown as { default: Fetcher }).default;

/** `n` workflow ids of one shard. */
function sameShard(prefix: string, n: number): string[] {
  const shards = workflowShards(testEnv);
  const ids = [`${prefix}-0`];
  for (let i = 1; ids.length < n; i++) if (shardOf(`${prefix}-${i}`, shards) === shardOf(ids[0]!, shards)) ids.push(`${prefix}-${i}`);
  return ids;
}

/** Runs `fn` on the shard that keeps `workflowId`, with its sweep. */
const inShard = <T>(s: Space, workflowId: string, fn: (sweep: RetentionSweep, sql: SqlStorage) => T | Promise<T>) =>
  runInDurableObject(workflowObjectStub(testEnv, s.ns, workflowId), (o: WorkflowObject, state) => fn((o as unknown as { sweep: RetentionSweep }).sweep, state.storage.sql));

/** Moves the shard's sweep clock by `ms` and runs a sweep; the runs it deleted. */
const sweepAfter = (s: Space, workflowId: string, ms: number) =>
  inShard(s, workflowId, (sweep) => {
    sweep.clock.advance(ms);
    return sweep.run();
  });

/** The shard's slots: the sweep's, and the workflow's (null: none). */
const slots = (s: Space, workflowId: string) =>
  runInDurableObject(workflowObjectStub(testEnv, s.ns, workflowId), (o: WorkflowObject, state) => ({ sweep: shardSlot(o, state, SWEEP_SCOPE), workflow: shardSlot(o, state, keyScope(workflowId)) }));

/** The workflow's rows in its shard. */
const rowsOf = (s: Space, workflowId: string) =>
  inShard(s, workflowId, (_sweep, sql) => {
    const scope = keyScope(workflowId);
    return sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM state WHERE k >= ? AND k < ?`, scope, scope.slice(0, -1) + '0').one().n;
  });

const describeRun = (s: Space, workflowId: string) => s.call('GET', `/workflows/${workflowId}`);

describe("a shard's retention sweep", () => {
  it("a close clears the workflow's slot and arms the shard's sweep at its deletion; later closes leave the sweep's slot as it is", async () => {
    const s = await space(HOUR);
    const [a, b] = sameShard('arm', 2) as [string, string];
    await s.start(a);
    const before = Date.now();
    await s.completeTask(a, complete);
    const first = await slots(s, a);
    expect(first.workflow).toBeNull();
    expect(first.sweep).toBeGreaterThanOrEqual(before + HOUR);
    expect(first.sweep).toBeLessThanOrEqual(Date.now() + HOUR);

    await s.start(b);
    await s.terminate(b);
    expect(await slots(s, b)).toEqual({ sweep: first.sweep, workflow: null });
  });

  it('deletes a closed run once its retention has passed — its history, rows and visibility row — and no sooner', async () => {
    const s = await space(HOUR);
    const runId = await s.start('order');
    await s.completeTask('order', complete);

    expect(await sweepAfter(s, 'order', HOUR - MINUTE)).toBe(0);
    expect((await describeRun(s, 'order')).body).toMatchObject({ status: 'COMPLETED', execution: { runId } });
    // Not due yet: the sweep comes back at the run's deletion.
    expect((await slots(s, 'order')).sweep).not.toBeNull();

    expect(await sweepAfter(s, 'order', 2 * MINUTE)).toBe(1);
    expectError(await describeRun(s, 'order'), 'WORKFLOW_NOT_FOUND');
    expectError(await s.call('GET', '/workflows/order/history'), 'WORKFLOW_NOT_FOUND');
    expect(await s.ids()).toEqual([]);
    expect(await rowsOf(s, 'order')).toBe(0);
    // No closed run left: the sweep's slot goes too.
    expect(await slots(s, 'order')).toEqual({ sweep: null, workflow: null });
  });

  it("a workflow whose runs all go is emptied in the deletion's transaction: a row written per row it kept and per list entry, and no other", async () => {
    const s = await space(HOUR);
    const [once, twice] = sameShard('rows', 2) as [string, string];
    await s.start(once);
    await s.completeTask(once, complete);
    // A reused id: two closed runs, and the row naming the workflow that a second run writes.
    await s.start(twice);
    await s.terminate(twice);
    await s.start(twice);
    await s.completeTask(twice, complete);
    const kept = (await rowsOf(s, once)) + (await rowsOf(s, twice));
    expect(kept).toBeGreaterThanOrEqual(4);
    const written = await inShard(s, once, async (sweep, sql) => {
      sweep.clock.advance(HOUR + MINUTE);
      const { result: deleted, written } = await rowsWrittenBy(sql, () => sweep.run());
      expect(deleted).toBe(3);
      return written;
    });
    // Before, a first run's deletion wrote the row naming its workflow, which the emptying then deleted: two more.
    expect(written).toBe(kept + 3);
    expect((await rowsOf(s, once)) + (await rowsOf(s, twice))).toBe(0);
    expect(await s.ids()).toEqual([]);
    expectError(await describeRun(s, once), 'WORKFLOW_NOT_FOUND');
    expectError(await describeRun(s, twice), 'WORKFLOW_NOT_FOUND');
    expect(await slots(s, once)).toEqual({ sweep: null, workflow: null });
    // The id starts afresh.
    await s.start(once);
    expect((await describeRun(s, once)).body.status).toBe('RUNNING');
  });

  it('an emptying whose transaction fails leaves the workflow as it was, rows, list entry and memory; the next sweep deletes it', async () => {
    const s = await space(HOUR);
    const runId = await s.start('unlucky');
    await s.completeTask('unlucky', complete);
    const kept = await rowsOf(s, 'unlucky');
    await inWorkflow(s.ns, 'unlucky', (o: WorkflowHost) => {
      // The list entry's deletion is written, then emptying the workflow's rows throws (once).
      const storage = (o.deletion as unknown as { host: { storage: { deleteAll: () => Promise<void> } } }).host.storage;
      const deleteAll = storage.deleteAll;
      storage.deleteAll = () => {
        storage.deleteAll = deleteAll;
        throw new Error('storage failed mid-deletion');
      };
    });
    expect(await sweepAfter(s, 'unlucky', HOUR + MINUTE)).toBe(0);
    expect((await describeRun(s, 'unlucky')).body).toMatchObject({ status: 'COMPLETED', execution: { runId } });
    expect(await s.ids()).toEqual(['unlucky']);
    expect(await rowsOf(s, 'unlucky')).toBe(kept);
    // The sweep comes back a minute later (its retry), and this time the workflow goes.
    expect(await sweepAfter(s, 'unlucky', 2 * MINUTE)).toBe(1);
    expectError(await describeRun(s, 'unlucky'), 'WORKFLOW_NOT_FOUND');
    expect(await s.ids()).toEqual([]);
    expect(await rowsOf(s, 'unlucky')).toBe(0);
  });

  it('never deletes a running run, however long ago it started; its closed shard-mate goes', async () => {
    const s = await space(HOUR);
    const [running, closed] = sameShard('running', 2) as [string, string];
    const runningId = await s.start(running);
    await s.start(closed);
    await s.terminate(closed);
    expect(await sweepAfter(s, closed, 100 * HOUR)).toBe(1);
    expect((await describeRun(s, running)).body).toMatchObject({ status: 'RUNNING', execution: { runId: runningId } });
    expect(await s.ids()).toEqual([running]);
    expect(await sweepAfter(s, running, 1000 * HOUR)).toBe(0);
    expect((await describeRun(s, running)).body.status).toBe('RUNNING');
    expect(await rowsOf(s, running)).toBeGreaterThan(0);
  });

  it('reads the retention when it runs: a longer one set after the close postpones the deletion, and the sweep comes back for it', async () => {
    const s = await space(HOUR);
    await s.start('kept');
    await s.terminate('kept');
    const r = await service().fetch(`http://keel.test/api/v1/namespaces/${s.ns}/update`, { method: 'POST', body: JSON.stringify({ retentionMs: 3 * HOUR }), headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(200);
    forgetNamespaces();
    expect(await sweepAfter(s, 'kept', 2 * HOUR)).toBe(0);
    expect((await describeRun(s, 'kept')).body.status).toBe('TERMINATED');
    // Armed at the run's deletion by the new retention, an hour after this sweep's time.
    expect((await slots(s, 'kept')).sweep).toBeGreaterThan(Date.now() + HOUR - 2 * MINUTE);
    expect(await sweepAfter(s, 'kept', HOUR + MINUTE)).toBe(1);
    expectError(await describeRun(s, 'kept'), 'WORKFLOW_NOT_FOUND');
  });

  it('deletes many closed runs page by page, each sweep at most its page, coming back until none is left', async () => {
    const s = await space(HOUR);
    const ids = sameShard('many', 7);
    for (const id of ids) {
      await s.start(id);
      await s.terminate(id);
    }
    // Every sweep is recorded, whether the test ran it or the shard's timer did (a full page comes back a second later).
    const sizes = await inShard(s, ids[0]!, (sweep) => {
      const record: number[] = [];
      const run = sweep.run.bind(sweep);
      sweep.run = () => run().then((n) => (record.push(n), n));
      sweep.page = 3;
      sweep.clock.advance(2 * HOUR);
      return record;
    });
    let left = ids.length;
    for (let i = 0; left > 0 && i < ids.length; i++) {
      await inShard(s, ids[0]!, (sweep) => sweep.run());
      left = (await s.count()).count;
    }
    expect(left).toBe(0);
    expect(sizes[0]).toBe(3);
    expect(sizes.every((n) => n <= 3)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(ids.length);
    expect(await slots(s, ids[0]!)).toEqual({ sweep: null, workflow: null });
    for (const id of ids) expect(await rowsOf(s, id)).toBe(0);
  });

  it("comes back for a full page's rest NEXT_PAGE_MS later by the shard's clock, not the wall clock", async () => {
    const s = await space(HOUR);
    const ids = sameShard('page-clock', 2);
    for (const id of ids) {
      await s.start(id);
      await s.terminate(id);
    }
    // The shard's clock stopped (moved only by `advance`; its wall clock, which slots are in, with it)...
    const stopped = await inShard(s, ids[0]!, (sweep) => {
      const at = Date.now();
      let offset = 0;
      Object.assign(sweep.clock, { now: () => at + offset, advance: (ms: number) => void (offset += ms), toWallClock: (t: number) => t - offset });
      return at;
    });
    // ...while the wall clock runs on.
    await untilWallClock(stopped + 1);
    const next = await runInDurableObject(workflowObjectStub(testEnv, s.ns, ids[0]!), async (o: WorkflowObject, state) => {
      const sweep = (o as unknown as { sweep: RetentionSweep }).sweep;
      sweep.page = 1;
      sweep.clock.advance(HOUR + MINUTE);
      expect(await sweep.run()).toBe(1);
      return shardSlot(o, state, SWEEP_SCOPE);
    });
    expect(next).toBe(stopped + NEXT_PAGE_MS);
  });

  it('deletes nothing while the registry cannot be read, and sweeps again a minute later', async () => {
    // Longer than the default 72 h, which a sweep that guessed would use.
    const s = await space(100 * HOUR);
    await s.start('unreadable');
    await s.terminate('unreadable');
    const down = { prepare: () => { throw new Error('D1 is unavailable'); }, batch: () => Promise.reject(new Error('D1 is unavailable')) };
    const saved = await inShard(s, 'unreadable', (sweep) => {
      const env = (sweep as unknown as { env: Record<string, unknown> }).env;
      (sweep as unknown as { env: Record<string, unknown> }).env = { ...env, VISIBILITY: down };
      forgetNamespaces();
      return env;
    });
    const before = Date.now();
    expect(await sweepAfter(s, 'unreadable', 80 * HOUR)).toBe(0);
    expect((await describeRun(s, 'unreadable')).body.status).toBe('TERMINATED');
    expect((await slots(s, 'unreadable')).sweep).toBeGreaterThanOrEqual(before + MINUTE);
    await inShard(s, 'unreadable', (sweep) => {
      (sweep as unknown as { env: Record<string, unknown> }).env = saved;
    });
    // Read now: 100 h have not passed; then they have.
    expect(await sweepAfter(s, 'unreadable', MINUTE)).toBe(0);
    expect((await describeRun(s, 'unreadable')).body.status).toBe('TERMINATED');
    expect(await sweepAfter(s, 'unreadable', 20 * HOUR)).toBe(1);
    expectError(await describeRun(s, 'unreadable'), 'WORKFLOW_NOT_FOUND');
  });

  it('comes back no sooner than SWEEP_EVERY_MS for runs not yet due', async () => {
    const s = await space(HOUR);
    const [early, late] = sameShard('spacing', 2) as [string, string];
    await s.start(early);
    await s.terminate(early);
    await s.start(late, { minutesLater: 1 });
    await s.terminate(late);
    // The first run's retention has passed; the second's is a minute away: the sweep comes back SWEEP_EVERY_MS later.
    const at = Date.now();
    expect(await sweepAfter(s, early, HOUR + 30_000)).toBe(1);
    expect((await slots(s, late)).sweep).toBeGreaterThanOrEqual(at + SWEEP_EVERY_MS);
    expect((await describeRun(s, late)).body.status).toBe('TERMINATED');
  });
});
