import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WorkflowTask } from '../../protocol/index.js';
import type { TaskRef } from '../task-token.js';
import { ShardPolls } from './shard-polls.js';

const task = (workflowId: string) => ({ workflowExecution: { workflowId, runId: 'r' }, startedTime: new Date().toISOString() }) as WorkflowTask;
const ref = (workflowId: string): TaskRef => ({ namespace: 'default', workflowId, runId: 'r', kind: 'workflow', scheduledEventId: 2, attempt: 1, seq: 1 });
/** Offers `workflowId`'s first task to the polls at the shard. */
const offer = (polls: ShardPolls, taskQueue: string, workflowId: string) => polls.offer(taskQueue, task(workflowId), ref(workflowId));

describe('ShardPolls: the workflow-task polls waiting at a shard', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('hands a task to the newest poll of its queue, and to no poll of another queue', async () => {
    const polls = new ShardPolls(0);
    const older = polls.wait('q', 'p1', 1000);
    const newer = polls.wait('q', 'p2', 1000);
    const other = polls.wait('other', 'p3', 1000);
    expect(offer(polls, 'q', 'a')).toBe('taken');
    expect(await newer).toEqual([task('a')]);
    expect(offer(polls, 'q', 'b')).toBe('taken');
    expect(await older).toEqual([task('b')]);
    expect(offer(polls, 'q', 'c')).toBe('none');
    expect(polls.size).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(await other).toEqual([]);
    expect(polls.size).toBe(0);
  });

  it('a poll answers empty at its bound, and is not given a task after', async () => {
    const polls = new ShardPolls(0);
    const polled = polls.wait('q', 'p1', 500);
    vi.advanceTimersByTime(499);
    expect(polls.waits('q')).toBe(true);
    vi.advanceTimersByTime(1);
    expect(await polled).toEqual([]);
    expect(polls.waits('q')).toBe(false);
    expect(offer(polls, 'q', 'a')).toBe('none');
  });

  it('cancel ends a worker’s polls on every queue at once, and leaves other workers’ polls', async () => {
    const polls = new ShardPolls();
    const a = polls.wait('q', 'stopping', 1000);
    const b = polls.wait('other', 'stopping', 1000);
    const c = polls.wait('q', 'staying', 1000);
    expect(polls.cancel('stopping')).toBe(2);
    expect(await Promise.all([a, b])).toEqual([[], []]);
    expect(polls.size).toBe(1);
    // Its bound passing later answers nothing twice.
    vi.advanceTimersByTime(1000);
    expect(await c).toEqual([]);
    expect(polls.cancel('stopping')).toBe(0);
  });

  it('a poll whose `ended` signal aborts (its channel closed) answers empty at once, its queue’s offers are not held for it, and other polls of its worker stay', async () => {
    const polls = new ShardPolls(25);
    const first = polls.wait('q', 'p1', 1000);
    offer(polls, 'q', 'a');
    await first;
    const channel = new AbortController();
    const onChannel = polls.wait('q', 'p1', 1000, 1, channel.signal);
    const overHttp = polls.wait('other', 'p1', 1000);
    channel.abort();
    expect(await onChannel).toEqual([]);
    expect(polls.size).toBe(1);
    // Answered once a poll of the queue came back, an offer would now be held; its poll's channel is gone, so it is not.
    expect(offer(polls, 'q', 'b')).toBe('none');
    // A poll started on a channel already closed ends at once.
    expect(await polls.wait('q', 'p1', 1000, 1, channel.signal)).toEqual([]);
    expect(polls.size).toBe(1);
    polls.cancel('p1');
    expect(await overHttp).toEqual([]);
  });

  it('a poll answered before its channel closes is not answered again', async () => {
    const polls = new ShardPolls(0);
    const channel = new AbortController();
    const polled = polls.wait('q', 'p1', 1000, 1, channel.signal);
    expect(offer(polls, 'q', 'a')).toBe('taken');
    channel.abort();
    expect(await polled).toEqual([task('a')]);
    expect(polls.cancel('p1')).toBe(0);
  });

  it('while a poll of the queue is on its way back (one was answered lately), an offer no poll waits for is held for the next poll, which takes several at once', async () => {
    const polls = new ShardPolls(25);
    const first = polls.wait('q', 'p1', 1000);
    expect(offer(polls, 'q', 'a')).toBe('taken');
    expect(await first).toEqual([task('a')]);
    const held = [offer(polls, 'q', 'b'), offer(polls, 'q', 'c'), offer(polls, 'q', 'd')];
    // Another queue's offers are not held: no poll of it came here.
    expect(offer(polls, 'other', 'x')).toBe('none');
    // The next poll takes as many as it asks for, oldest first; the rest wait for the one after.
    expect(await polls.wait('q', 'p1', 1000, 2)).toEqual([task('b'), task('c')]);
    expect(await Promise.all(held.slice(0, 2))).toEqual(['taken', 'taken']);
    expect(await polls.wait('q', 'p1', 1000, 8)).toEqual([task('d')]);
    expect(await held[2]).toBe('taken');
  });

  it('a held offer no poll takes within the hold goes to its queue', async () => {
    const polls = new ShardPolls(25);
    const first = polls.wait('q', 'p1', 1000);
    offer(polls, 'q', 'a');
    await first;
    const held = offer(polls, 'q', 'b');
    vi.advanceTimersByTime(26);
    expect(await held).toBe('none');
    const next = polls.wait('q', 'p1', 10);
    vi.advanceTimersByTime(10);
    expect(await next).toEqual([]);
  });

  it('with no poll of the queue answered within a second (its workers gone), an offer goes to the queue at once', async () => {
    const polls = new ShardPolls(25);
    const first = polls.wait('q', 'p1', 1000);
    offer(polls, 'q', 'a');
    await first;
    vi.advanceTimersByTime(1000);
    expect(offer(polls, 'q', 'b')).toBe('none');
  });

  it('a stopping worker’s cancelled poll ends the holding for its queue', async () => {
    const polls = new ShardPolls(25);
    const first = polls.wait('q', 'p1', 1000);
    offer(polls, 'q', 'a');
    await first;
    const waiting = polls.wait('q', 'p1', 1000);
    polls.cancel('p1');
    expect(await waiting).toEqual([]);
    expect(offer(polls, 'q', 'b')).toBe('none');
  });
});
