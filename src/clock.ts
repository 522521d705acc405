/**
 * The time a workflow object computes with. In production it is the wall clock; tests
 * move it forward (through `runInDurableObject`) and then run the alarm, so timeouts
 * and back-off are exercised without waiting for them.
 */
export class Clock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
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
