import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QueueParking } from './queue-parking.js';

function parking(canPark = () => true) {
  const stop = new AbortController();
  const p = new QueueParking({ canPark, checkIntervalMs: 60_000, stop: stop.signal });
  return { p, stop };
}

/** Whether `ready`'s promise has resolved (after the microtasks queued so far). */
async function resolved(promise: Promise<void> | undefined): Promise<boolean> {
  if (promise === undefined) return true;
  let done = false;
  void promise.then(() => (done = true));
  await Promise.resolve();
  await Promise.resolve();
  return done;
}

describe('QueueParking', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('an empty poll parks the queue: loops wait before their next poll, until a wake', async () => {
    const { p } = parking();
    const poll = p.beginPoll();
    expect(poll.waitMs).toBeUndefined();
    p.endPoll(poll, false);
    expect(p.isParked).toBe(true);
    const waiting = [p.ready(), p.ready()];
    expect(await resolved(waiting[0])).toBe(false);
    p.wake();
    expect(p.isParked).toBe(false);
    expect(await Promise.all(waiting.map(resolved))).toEqual([true, true]);
    expect(p.ready()).toBeUndefined();
  });

  it('a wake that came while the empty poll was on its way keeps the queue polled (the task it announced may have missed that poll)', () => {
    const { p } = parking();
    const poll = p.beginPoll();
    p.wake();
    p.endPoll(poll, false);
    expect(p.isParked).toBe(false);
    // The next empty poll, sent after the wake, parks it.
    p.endPoll(p.beginPoll(), false);
    expect(p.isParked).toBe(true);
  });

  it('a check (a channel opened, the backstop) lets one loop poll once without waiting; it stays parked unless that poll brings a task', async () => {
    const { p } = parking();
    p.endPoll(p.beginPoll(), false);
    const [a, b] = [p.ready(), p.ready()];
    p.check();
    expect([await resolved(a), await resolved(b)]).toEqual([true, false]);
    const check = p.beginPoll();
    expect(check.waitMs).toBe(0);
    p.endPoll(check, false);
    expect(p.isParked).toBe(true);
    expect(p.stats.checks).toBe(1);
    // The backstop: a minute later, the loop still waiting polls once.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await resolved(b)).toBe(true);
    // A check that brings a task unparks the queue.
    p.endPoll(p.beginPoll(), true);
    expect(p.isParked).toBe(false);
  });

  it('does not park while the service sends no wakes (or the channels are off), nor once the worker stops', async () => {
    let can = false;
    const { p, stop } = parking(() => can);
    p.endPoll(p.beginPoll(), false);
    expect(p.isParked).toBe(false);
    can = true;
    p.endPoll(p.beginPoll(), false);
    const waiting = p.ready();
    stop.abort();
    expect(p.isParked).toBe(false);
    expect(await resolved(waiting)).toBe(true);
    p.endPoll(p.beginPoll(), false);
    expect(p.isParked).toBe(false);
    expect(p.ready()).toBeUndefined();
  });
});
