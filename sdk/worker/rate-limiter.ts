// Owns spacing out starts to at most N a second (the worker's `maxActivitiesPerSecond`): each
// acquire reserves the next free moment, one interval after the previous one, and waits for it.
// Time is injected so the spacing is tested without waiting.

/** The clock and the wait a {@link RateLimiter} uses. */
export interface RateLimiterClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: RateLimiterClock = { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

export class RateLimiter {
  private readonly intervalMs: number;
  private nextFreeAt = 0;

  /** @throws {RangeError} when `perSecond` is not a positive number. */
  constructor(perSecond: number, private readonly clock: RateLimiterClock = realClock) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`A rate must be a positive number per second, got ${perSecond}`);
    this.intervalMs = 1000 / perSecond;
  }

  /** Resolves at this caller's moment: now, or one interval after the moment given before it. */
  async acquire(): Promise<void> {
    const now = this.clock.now();
    const at = Math.max(now, this.nextFreeAt);
    this.nextFreeAt = at + this.intervalMs;
    if (at > now) await this.clock.sleep(at - now);
  }
}
