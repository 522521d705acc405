import { describe, expect, it } from 'vitest';
import { Limits } from '../../protocol/index.js';
import { completeTask, started, takeWorkflowTask } from './engine-test-kit.js';
import { fireDue } from './lifecycle.js';
import { claimForStickyWorker, handOverRefused, releaseStickyTask } from './sticky-hand-over.js';

const STICKY = 'worker-1-sticky';

/** A run whose first task completed with a 1 s timer on the sticky worker; `acknowledges`: its completion said so. */
function sleeping(acknowledges: boolean) {
  const s = started();
  const token = takeWorkflowTask(s.store, s.runId)!;
  completeTask(s.store, s.runId, token, [{ type: 'StartTimer', timerId: 't1', startToFireTimeoutMs: 1_000 }], {
    stickyAttributes: { workerTaskQueue: STICKY },
    identity: 'worker-1',
    ...(acknowledges ? { acknowledgesHandOff: true } : {}),
  });
  s.store.dispatched.length = 0;
  s.store.now += 1_000;
  return s;
}

/** The alarm's change: claim for the sticky worker, fire what is due; the task it started, if any. */
const alarm = (s: ReturnType<typeof sleeping>) =>
  s.store.change((tx) => {
    const run = tx.loadRun(s.runId)!;
    claimForStickyWorker(tx, run);
    fireDue(tx, run);
    return tx.claimedWorkflowTask;
  });

describe('the alarm starts the sticky worker its workflow task', () => {
  it('a timer firing starts the task for the worker in the same change, stamped with the firing time, and dispatches nothing', () => {
    const s = sleeping(true);
    const claimed = alarm(s)!;
    expect(claimed.token).toMatchObject({ kind: 'workflow', scheduledEventId: 7, startedEventId: 8, attempt: 1 });
    expect(s.store.dispatched).toEqual([]);
    expect(s.run().workflowTask).toMatchObject({ taskQueue: STICKY, sticky: true, startedTime: s.store.now, identity: 'worker-1', handOff: { ackBy: s.store.now + Limits.handOffAckMs, taskQueue: STICKY, inAnswer: true } });
    // Reserved until the worker acknowledges or completes it, as any handed-off first attempt.
    expect(s.store.eventTypes(s.runId).slice(4)).toEqual(['TimerStarted', 'TimerFired', 'WorkflowTaskScheduled']);
  });

  it('a worker that does not acknowledge hand-offs gets its task through the sticky queue, as before', () => {
    const s = sleeping(false);
    expect(alarm(s)).toBeUndefined();
    expect(s.store.dispatched).toMatchObject([{ taskQueue: STICKY, kind: 'workflow', ref: { scheduledEventId: 7 } }]);
  });

  it('refused by the queue, or given back by a closed queue, the task goes to the normal queue unstarted; a stale token changes nothing', () => {
    for (const giveBack of ['refused', 'released'] as const) {
      const s = sleeping(true);
      const claimed = alarm(s)!;
      if (giveBack === 'refused') {
        s.store.change((tx) => handOverRefused(tx, tx.loadRun(s.runId), { ...claimed.token, attempt: 2 }));
        expect(s.store.dispatched).toEqual([]);
        s.store.change((tx) => handOverRefused(tx, tx.loadRun(s.runId), claimed.token));
      } else {
        s.store.change((tx) => releaseStickyTask(tx, tx.loadRun(s.runId)!, { seq: s.run().workflowTask!.seq + 1 }, STICKY));
        expect(s.store.dispatched).toEqual([]);
        s.store.change((tx) => releaseStickyTask(tx, tx.loadRun(s.runId)!, { seq: s.run().workflowTask!.seq }, STICKY));
      }
      expect(s.store.dispatched).toMatchObject([{ taskQueue: 'orders', kind: 'workflow', ref: { scheduledEventId: 7, attempt: 1 } }]);
      const wt = s.run().workflowTask!;
      expect(wt).toMatchObject({ taskQueue: 'orders', sticky: false });
      expect([wt.startedEventId, wt.handOff]).toEqual([undefined, undefined]);
      expect(s.run().sticky).toBeUndefined();
    }
  });
});
