import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

/** A clock that only moves when a waiter sleeps, and records when each waiter was let go. */
function fakeClock() {
  let now = 1_000;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

describe('RateLimiter', () => {
  it('lets the first start go at once and spaces the rest one interval apart', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(4, clock);
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      await limiter.acquire();
      times.push(clock.now());
    }
    expect(times).toEqual([1_000, 1_250, 1_500, 1_750]);
  });

  it('does not bank unused time: after a quiet spell the next start goes at once', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(2, clock);
    await limiter.acquire();
    await clock.sleep(5_000);
    const before = clock.now();
    await limiter.acquire();
    expect(clock.now()).toBe(before);
    await limiter.acquire();
    expect(clock.now()).toBe(before + 500);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RateLimiter(0)).toThrow(RangeError);
  });
});
