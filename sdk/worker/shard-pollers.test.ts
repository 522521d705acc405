import { describe, expect, it, vi } from 'vitest';
import type { WorkflowTask } from '../../protocol/index.js';
import { pollLoop, Slots } from './poller.js';
import { ServiceHealth } from './service-health.js';
import { ShardPollers } from './shard-pollers.js';

const quietLog = { warn: () => {}, info: () => {} };
/** Lets every promise chain that can move on do so (the loops wait on nothing else). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** ShardPollers over the real poll loops and slots; `answer` stands in for the service's shard polls. */
function shardPollers(answer: (shard: number, call: number) => WorkflowTask[]) {
  const stop = new AbortController();
  const slots = new Slots(8);
  const health = new ServiceHealth(quietLog);
  const calls: number[] = [];
  const pollers = new ShardPollers(
    {
      loop: (name, poll, ready) =>
        pollLoop<WorkflowTask>({ name, poll: (_, max) => poll(max), acquire: async () => (await ready(), slots.acquire()), handle: async () => {}, signal: stop.signal, health }),
      poll: async (shard) => {
        calls[shard] = (calls[shard] ?? 0) + 1;
        // A loop that never parks would poll without end: bounded, so such a test fails instead of hanging.
        if (calls[shard]! > 100) stop.abort();
        await new Promise((resolve) => setImmediate(resolve));
        return answer(shard, calls[shard]!);
      },
    },
    stop.signal,
  );
  return { pollers, calls, stop, slots };
}

const task = { taskToken: 't' } as unknown as WorkflowTask;

describe('shard polls of an idle worker', () => {
  it('a shard whose poll ran out empty polls no more, holding no slot, until a task comes through the queue', async () => {
    const { pollers, calls, stop, slots } = shardPollers(() => []);
    pollers.learn(2);
    await vi.waitFor(() => expect(pollers.parkedShards).toBe(2), { timeout: 2000, interval: 1 });
    await settle();
    expect(calls).toEqual([1, 1]);
    expect(slots.used).toBe(0);

    pollers.wake();
    await vi.waitFor(() => expect(calls).toEqual([2, 2]), { timeout: 2000, interval: 1 });
    stop.abort();
    await pollers.done();
  });

  it('a shard whose poll brought tasks polls again at once', async () => {
    const { pollers, calls, stop } = shardPollers((shard, call) => (shard === 0 && call <= 3 ? [task] : []));
    pollers.learn(2);
    await vi.waitFor(() => expect(pollers.parkedShards).toBe(2), { timeout: 2000, interval: 1 });
    // Shard 0 brought a task three times and polled after each; shard 1 parked after its first.
    expect(calls).toEqual([4, 1]);
    stop.abort();
    await pollers.done();
  });

  it('a stopping worker ends its parked loops', async () => {
    const { pollers, stop } = shardPollers(() => []);
    pollers.learn(3);
    await vi.waitFor(() => expect(pollers.parkedShards).toBe(3), { timeout: 2000, interval: 1 });
    stop.abort();
    await pollers.done();
    expect(pollers.running).toBe(true);
  });
});
