import { describe, expect, it } from 'vitest';
import { completeActivity, failActivity, heartbeatActivity, startActivity } from './activities.js';
import { decide, scheduleActivity, started } from './engine-test-kit.js';
import { fireDue, nextWakeup } from './lifecycle.js';

/** A run whose first task scheduled activity 'a' with `options`; returns its scheduled event id 5. */
function withActivity(options: Record<string, unknown> = {}) {
  const s = started();
  decide(s.store, s.runId, [scheduleActivity('a', options)]);
  return s;
}

const start = (s: ReturnType<typeof withActivity>, attempt = 1) => s.store.change((tx) => startActivity(tx, tx.loadRun(s.runId)!, { scheduledEventId: 5, attempt }, 'worker'));

describe('activities', () => {
  it('is scheduled into the outbox, started once per attempt, and completed with ActivityTaskStarted then Completed', () => {
    const s = withActivity();
    expect(s.store.dispatched.at(-1)).toMatchObject({ kind: 'activity', taskQueue: 'orders', ref: { scheduledEventId: 5, attempt: 1 } });
    expect(start(s)).toMatchObject({ attempt: 1, startedTime: s.store.now });
    expect(start(s)).toBeUndefined();
    s.store.change((tx) => {
      const run = tx.loadRun(s.runId)!;
      completeActivity(tx, run, run.activities[5]!, undefined, 'worker');
    });
    expect(s.store.eventTypes(s.runId).slice(5)).toEqual(['ActivityTaskStarted', 'ActivityTaskCompleted', 'WorkflowTaskScheduled']);
    expect(s.run().activities).toEqual({});
  });

  it('a failed attempt waits out the retry back-off with no event, then goes out again as attempt 2', () => {
    const s = withActivity({ retryPolicy: { initialIntervalMs: 2_000, maximumAttempts: 3 } });
    start(s);
    s.store.change((tx) => {
      const run = tx.loadRun(s.runId)!;
      failActivity(tx, run, run.activities[5]!, { message: 'declined' }, undefined, 'worker');
    });
    expect(s.store.eventTypes(s.runId)).toHaveLength(5);
    expect(s.store.change((tx) => nextWakeup(tx, tx.loadRun(s.runId)!))).toBe(s.store.now + 2_000);
    const dispatched = s.store.dispatched.length;
    s.store.now += 2_000;
    s.store.change((tx) => fireDue(tx, tx.loadRun(s.runId)!));
    expect(s.store.dispatched.slice(dispatched)).toMatchObject([{ kind: 'activity', ref: { scheduledEventId: 5, attempt: 2 } }]);
    expect(start(s, 1)).toBeUndefined();
    expect(start(s, 2)).toMatchObject({ attempt: 2 });
  });

  it('times out after its start-to-close timeout and, with no attempts left, the workflow hears ActivityTaskTimedOut', () => {
    const s = withActivity({ startToCloseTimeoutMs: 5_000, retryPolicy: { maximumAttempts: 1 } });
    start(s);
    s.store.now += 4_999;
    s.store.change((tx) => fireDue(tx, tx.loadRun(s.runId)!));
    expect(s.store.eventTypes(s.runId)).toHaveLength(5);
    s.store.now += 1;
    s.store.change((tx) => fireDue(tx, tx.loadRun(s.runId)!));
    expect(s.store.eventTypes(s.runId).slice(5)).toEqual(['ActivityTaskStarted', 'ActivityTaskTimedOut', 'WorkflowTaskScheduled']);
  });

  it('a heartbeat keeps the details and answers whether cancellation was requested', () => {
    const s = withActivity({ heartbeatTimeoutMs: 1_000 });
    start(s);
    const details = [{ metadata: {}, data: 'AQ==' }];
    const answer = s.store.change((tx) => {
      const run = tx.loadRun(s.runId)!;
      return heartbeatActivity(tx, run, run.activities[5]!, details);
    });
    expect(answer).toEqual({ cancelRequested: false });
    expect(s.run().activities[5]).toMatchObject({ heartbeatDetails: details, lastHeartbeatTime: s.store.now });
  });
});
