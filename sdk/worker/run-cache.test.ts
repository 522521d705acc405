import { describe, expect, it } from 'vitest';
import type { WorkflowRunMachine } from './history-machine.js';
import { RunCache } from './run-cache.js';

const run = () => ({ dispose() {} }) as unknown as WorkflowRunMachine;
const settled = async (p: Promise<void> | undefined) => p === undefined || (await Promise.race([p.then(() => true), new Promise<false>((r) => setImmediate(() => r(false)))]));

describe('RunCache.holding (when the sticky queue is polled)', () => {
  it('waits while no run is held and resolves when one is', async () => {
    const cache = new RunCache(2);
    const wait = cache.holding();
    expect(wait).toBeInstanceOf(Promise);
    expect(await settled(wait)).toBe(false);
    cache.set('a', run());
    expect(await settled(wait)).toBe(true);
    expect(cache.holding()).toBeUndefined();
  });

  it('waits again once the last run held closed', async () => {
    const cache = new RunCache(2);
    cache.set('a', run());
    cache.evict('a', true);
    expect(await settled(cache.holding())).toBe(false);
  });

  it('never waits again once a run left without closing: the service may still send its tasks', async () => {
    const evicted = new RunCache(2);
    evicted.set('a', run());
    evicted.evict('a');
    expect(evicted.holding()).toBeUndefined();
    // Made room for another, which then closed.
    const full = new RunCache(1);
    full.set('a', run());
    full.set('b', run());
    full.evict('b', true);
    expect(full.holding()).toBeUndefined();
  });

  it('every wait ends on release, and none begins after it', async () => {
    const cache = new RunCache(2);
    const wait = cache.holding();
    cache.release();
    expect(await settled(wait)).toBe(true);
    expect(cache.holding()).toBeUndefined();
  });
});
