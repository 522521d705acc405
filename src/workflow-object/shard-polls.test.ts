import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WorkflowTask } from '../../protocol/index.js';
import { ShardPolls } from './shard-polls.js';

const task = (workflowId: string) => ({ workflowExecution: { workflowId, runId: 'r' } }) as WorkflowTask;

describe('ShardPolls: the workflow-task polls waiting at a shard', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('hands a task to the newest poll of its queue, and to no poll of another queue', async () => {
    const polls = new ShardPolls();
    const older = polls.wait('q', 'p1', 1000);
    const newer = polls.wait('q', 'p2', 1000);
    const other = polls.wait('other', 'p3', 1000);
    expect(polls.answer('q', task('a'))).toBe(true);
    expect(await newer).toEqual([task('a')]);
    expect(polls.answer('q', task('b'))).toBe(true);
    expect(await older).toEqual([task('b')]);
    expect(polls.answer('q', task('c'))).toBe(false);
    expect(polls.size).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(await other).toEqual([]);
    expect(polls.size).toBe(0);
  });

  it('a poll answers empty at its bound, and is not given a task after', async () => {
    const polls = new ShardPolls();
    const polled = polls.wait('q', 'p1', 500);
    vi.advanceTimersByTime(499);
    expect(polls.waits('q')).toBe(true);
    vi.advanceTimersByTime(1);
    expect(await polled).toEqual([]);
    expect(polls.waits('q')).toBe(false);
    expect(polls.answer('q', task('a'))).toBe(false);
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
});
