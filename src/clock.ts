/**
 * Time, injected. `wallClock` is the one reader of the wall clock in the service; everything else is
 * given a clock by its owner: an object's `Clock`, or a `now: () => number` taken from one.
 */
export const wallClock = (): number => Date.now();

/**
 * The time an object computes with. In production it is the wall clock; tests move it forward
 * (through `runInDurableObject`) and then run the alarm, so timeouts and back-off are exercised
 * without waiting for them. `wall()` is the wall clock under it, which moving it does not move: the
 * time of what workerd runs (an alarm, a timer) and of values kept in wall-clock ms.
 */
export class Clock {
  private offsetMs = 0;

  now(): number {
    return this.wall() + this.offsetMs;
  }

  /** The wall clock, not moved by `advance` (a test may replace it to move what runs on it). */
  wall(): number {
    return wallClock();
  }

  /** Moves this object's time forward. For tests. */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** How far this clock is ahead of the wall clock. */
  get offset(): number {
    return this.offsetMs;
  }

  /** The wall-clock moment for an alarm due at `t` in this clock's time. */
  toWallClock(t: number): number {
    return t - this.offsetMs;
  }
}
