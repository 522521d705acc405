import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WorkflowTask } from '../../protocol/index.js';
import type { UnsignedWorkflowTask } from '../started-task.js';
import { signTaskToken, verifyTaskToken, withStartedAt, type TaskRef, type TaskTokenData } from '../task-token.js';
import { ShardPolls } from './shard-polls.js';

const ref = (workflowId: string): TaskRef => ({ namespace: 'default', workflowId, runId: 'r', kind: 'workflow', scheduledEventId: 2, attempt: 1, seq: 1 });
const tokenData = (workflowId: string): TaskTokenData => ({ ...ref(workflowId), startedEventId: 3 });
/** A first workflow task as its object offers it (not signed), started now. */
const unsigned = (workflowId: string): UnsignedWorkflowTask => {
  const startedTime = new Date().toISOString();
  const history = [{ eventId: 3, eventTime: startedTime, eventType: 'WorkflowTaskStarted', attributes: {} }];
  return { kind: 'unsigned', task: { workflowExecution: { workflowId, runId: 'r' }, startedEventId: 3, history, startedTime } as unknown as UnsignedWorkflowTask['task'], token: tokenData(workflowId) };
};
/** Offers `workflowId`'s first task to the polls at the shard. */
const offer = (polls: ShardPolls, taskQueue: string, workflowId: string) => polls.offer(taskQueue, unsigned(workflowId), ref(workflowId));
/** The workflows of the tasks a poll got. */
const ids = async (tasks: Promise<WorkflowTask[]>) => (await tasks).map((t) => t.workflowExecution.workflowId);

describe('ShardPolls: the workflow-task polls waiting at a shard', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('hands a task to the newest poll of its queue, and to no poll of another queue', async () => {
    const polls = new ShardPolls(0);
    const older = polls.wait('q', 'p1', 1000);
    const newer = polls.wait('q', 'p2', 1000);
    const other = polls.wait('other', 'p3', 1000);
    expect(offer(polls, 'q', 'a')).toBe('taken');
    expect(await ids(newer)).toEqual(['a']);
    expect(offer(polls, 'q', 'b')).toBe('taken');
    expect(await ids(older)).toEqual(['b']);
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
    expect(await ids(polled)).toEqual(['a']);
    expect(polls.cancel('p1')).toBe(0);
  });

  it('while a poll of the queue is on its way back (one was answered lately), an offer no poll waits for is held for the next poll, which takes several at once', async () => {
    const polls = new ShardPolls(25);
    const first = polls.wait('q', 'p1', 1000);
    expect(offer(polls, 'q', 'a')).toBe('taken');
    expect(await ids(first)).toEqual(['a']);
    const held = [offer(polls, 'q', 'b'), offer(polls, 'q', 'c'), offer(polls, 'q', 'd')];
    // Another queue's offers are not held: no poll of it came here.
    expect(offer(polls, 'other', 'x')).toBe('none');
    // The next poll takes as many as it asks for, oldest first; the rest wait for the one after.
    expect(await ids(polls.wait('q', 'p1', 1000, 2))).toEqual(['b', 'c']);
    expect(await Promise.all(held.slice(0, 2))).toEqual(['taken', 'taken']);
    expect(await ids(polls.wait('q', 'p1', 1000, 8))).toEqual(['d']);
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

  describe('an offer’s token is signed once, by the poll that takes it', () => {
    const secret = 'shard-secret';
    const signs = () => vi.spyOn(crypto.subtle, 'sign');
    afterEach(() => vi.restoreAllMocks());

    it('taken by a waiting poll: signed then, with the offer’s data, as the object signed it before', async () => {
      const polls = new ShardPolls(25, secret);
      const polled = polls.wait('q', 'p1', 1000);
      const sign = signs();
      expect(offer(polls, 'q', 'a')).toBe('taken');
      const [task] = await polled;
      expect(sign).toHaveBeenCalledTimes(1);
      expect(task!.taskToken).toBe(await signTaskToken(tokenData('a'), secret));
      expect(await verifyTaskToken(task!.taskToken, secret, 'default')).toEqual(tokenData('a'));
      expect(Object.keys(task!)[0]).toBe('taskToken');
    });

    it('held, then taken: signed once, when taken, into the token the offer’s token signed again with the take’s moment was (withStartedAt), and its history says that moment', async () => {
      const polls = new ShardPolls(25, secret);
      const first = polls.wait('q', 'p1', 1000);
      offer(polls, 'q', 'a');
      await first;
      const sign = signs();
      const held = offer(polls, 'q', 'b');
      expect(sign).not.toHaveBeenCalled();
      vi.advanceTimersByTime(7);
      const takenAt = Date.now();
      const [task] = await polls.wait('q', 'p1', 1000);
      expect(await held).toBe('taken');
      expect(sign).toHaveBeenCalledTimes(1);
      expect(task!.taskToken).toBe(await withStartedAt(await signTaskToken(tokenData('b'), secret), takenAt, secret));
      expect(await verifyTaskToken(task!.taskToken, secret, 'default')).toEqual({ ...tokenData('b'), startedAtMs: takenAt });
      expect(task!.startedTime).toBe(new Date(takenAt).toISOString());
      expect(task!.history.at(-1)!.eventTime).toBe(new Date(takenAt).toISOString());
    });

    it('held and taken within the millisecond it started: signed once, without startedAtMs (its start stands)', async () => {
      const polls = new ShardPolls(25, secret);
      const first = polls.wait('q', 'p1', 1000);
      offer(polls, 'q', 'a');
      await first;
      const sign = signs();
      void offer(polls, 'q', 'b');
      const [task] = await polls.wait('q', 'p1', 1000);
      expect(sign).toHaveBeenCalledTimes(1);
      expect(await verifyTaskToken(task!.taskToken, secret, 'default')).toEqual(tokenData('b'));
    });

    it('no poll takes it (it goes to its queue, whose sender signs it): not signed here', async () => {
      const polls = new ShardPolls(25, secret);
      const sign = signs();
      expect(offer(polls, 'q', 'a')).toBe('none');
      const first = polls.wait('q', 'p1', 10);
      vi.advanceTimersByTime(10);
      await first;
      expect(sign).not.toHaveBeenCalled();
    });
  });
});
