import { describe, expect, it } from 'vitest';
import { Api, Limits } from '../../protocol/index.js';
import { describeRun } from './describe.js';
import { completeTask } from './engine-test-kit.js';
import { acknowledgeTask } from './hand-off.js';
import { fireDue } from './lifecycle.js';
import { MemoryStore } from './memory-store.js';
import type { Txn } from './transaction.js';
import { startPolledTask } from './polled-task.js';
import { signalWorkflow } from './run-control.js';
import { startWorkflow } from './start.js';
import { offerWorkflowTask } from './task-offer.js';
import { OFFER_HOLD_MS } from './run-state.js';

const TQ = 'orders';

/** A run started with its first task offered to `TQ`; the offer as the change left it. */
function offered() {
  const store = new MemoryStore();
  const req = Api.startWorkflow.request.parse({ workflowId: 'wf', workflowType: 'order', taskQueue: TQ, input: [] });
  const { runId, offer } = store.change((tx) => ({ ...startWorkflow(offerWorkflowTask(tx, TQ), 'default', req, 'run-0'), offer: tx.offeredWorkflowTask }));
  return { store, runId, offer: offer!, run: () => store.loadRun(runId)! };
}

describe('a first workflow task offered to a poll waiting on its queue', () => {
  it('is started in the start’s change for no worker in particular, reserved, and dispatched through no outbox row', () => {
    const s = offered();
    expect(s.store.dispatched).toEqual([]);
    expect(s.offer).toMatchObject({ runId: s.runId, taskQueue: TQ, token: { scheduledEventId: 2, startedEventId: 3, attempt: 1 }, ref: { kind: 'workflow', runId: s.runId, scheduledEventId: 2, attempt: 1, seq: s.run().workflowTask!.seq } });
    expect(s.run().workflowTask).toMatchObject({ startedEventId: 3, startedTime: s.store.now, handOff: { ackBy: s.store.now + OFFER_HOLD_MS + Limits.handOffAckMs, taskQueue: TQ, inAnswer: true, offered: true } });
    expect(s.run().workflowTask!.identity).toBeUndefined();
    expect(s.store.eventTypes(s.runId)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);
    // Not known to be with a worker until one acknowledges it.
    expect(describeRun(s.run()).pendingWorkflowTask).toEqual({ state: 'SCHEDULED', scheduledTime: new Date(s.store.now).toISOString(), attempt: 1 });
  });

  it('taken: its start is written with the identity of the worker that completes it', () => {
    const s = offered();
    completeTask(s.store, s.runId, s.offer.token, [], { identity: 'poller-7' });
    expect(s.store.readEvents(s.runId, 1, 100).slice(2, 4)).toMatchObject([
      { eventId: 3, eventType: 'WorkflowTaskStarted', attributes: { scheduledEventId: 2, identity: 'poller-7' } },
      { eventId: 4, eventType: 'WorkflowTaskCompleted', attributes: { identity: 'poller-7' } },
    ]);
  });

  it('held by its queue and taken later: its start is written at the moment the token names (when the queue handed it out), bounded by now', () => {
    const s = offered();
    const offeredAt = s.store.now;
    s.store.now += 700;
    completeTask(s.store, s.runId, { ...s.offer.token, startedAtMs: offeredAt + 300 }, [], { identity: 'poller-7' });
    expect(s.store.readEvents(s.runId, 1, 100)[2]).toMatchObject({ eventType: 'WorkflowTaskStarted', eventTime: new Date(offeredAt + 300).toISOString() });
    const t = offered();
    t.store.change((tx) => acknowledgeTask(tx, tx.loadRun(t.runId), { ...t.offer.token, startedAtMs: t.store.now + 60_000 }, 'poller-7'));
    expect(t.store.readEvents(t.runId, 1, 100)[2]).toMatchObject({ eventType: 'WorkflowTaskStarted', eventTime: new Date(t.store.now).toISOString() });
  });

  it('taken and acknowledged: its start is written then, with the identity the acknowledgement gives', () => {
    const s = offered();
    s.store.change((tx) => acknowledgeTask(tx, tx.loadRun(s.runId), s.offer.token, 'poller-7'));
    expect(s.store.readEvents(s.runId, 1, 100)[2]).toMatchObject({ eventId: 3, eventType: 'WorkflowTaskStarted', attributes: { identity: 'poller-7' } });
    expect(s.run().workflowTask!.handOff).toBeUndefined();
  });

  it('not taken: the poll that takes its ref from the backlog starts it, after the events that came meanwhile', () => {
    const s = offered();
    s.store.now += 200;
    s.store.change((tx) => signalWorkflow(tx, tx.loadRun(s.runId)!, 'approve', []));
    expect(s.store.eventTypes(s.runId)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);
    s.store.now += 100;
    const polled = s.store.change((tx) => startPolledTask(tx, s.offer.ref, 'poller-2', TQ, { acknowledges: true, pollerId: 'p2', pollSeq: 5 }));
    expect(polled).toMatchObject({ kind: 'workflow', token: { scheduledEventId: 2, startedEventId: 4, attempt: 1 } });
    expect(s.run().workflowTask).toMatchObject({ startedEventId: 4, startedTime: s.store.now, identity: 'poller-2', handOff: { pollerId: 'p2', pollSeq: 5, taskQueue: TQ } });
    expect(s.run().workflowTask!.handOff!.offered).toBeUndefined();
    // A poll that does not acknowledge gets it written at once, as before.
    const t = offered();
    t.store.change((tx) => startPolledTask(tx, t.offer.ref, 'old-worker', TQ, { acknowledges: false }));
    expect(t.store.readEvents(t.runId, 1, 100)[2]).toMatchObject({ eventId: 3, eventType: 'WorkflowTaskStarted', attributes: { identity: 'old-worker' } });
    // The ref is used up: a second poll gets nothing.
    expect(t.store.change((tx) => startPolledTask(tx, t.offer.ref, 'other', TQ, undefined))).toBeNull();
  });

  it('known to wait in the backlog: an input event drops its reserved start and is written at once; the hand-off window ends with nothing to do', () => {
    const s = offered();
    const queued = (seq: number) => (tx: Txn) => (tx.offerQueued = (runId, q) => runId === s.runId && q === seq, tx);
    // Not this offer (another dispatch sequence): the signal waits for the task it may be in.
    s.store.change((tx) => signalWorkflow(queued(s.offer.ref.seq! + 1)(tx), tx.loadRun(s.runId)!, 'early', []));
    expect(s.store.eventTypes(s.runId)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);
    s.store.change((tx) => signalWorkflow(queued(s.offer.ref.seq!)(tx), tx.loadRun(s.runId)!, 'later', []));
    expect(s.store.eventTypes(s.runId)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowExecutionSignaled', 'WorkflowExecutionSignaled']);
    expect(s.run().workflowTask).toMatchObject({ dispatched: true, seq: s.offer.ref.seq });
    expect(s.run().workflowTask!.startedEventId).toBeUndefined();
    expect(s.run().workflowTask!.handOff).toBeUndefined();
    expect(s.store.change((tx) => startPolledTask(tx, s.offer.ref, 'poller', TQ, undefined))).toMatchObject({ token: { startedEventId: 5 } });

    const t = offered();
    t.store.now += OFFER_HOLD_MS + Limits.handOffAckMs;
    t.store.change((tx) => fireDue(queued(t.offer.ref.seq!)(tx), tx.loadRun(t.runId)!));
    expect(t.run().workflowTask).toMatchObject({ dispatched: true, seq: t.offer.ref.seq });
    expect(t.run().workflowTask!.startedEventId).toBeUndefined();
    expect([...s.store.dispatched, ...t.store.dispatched]).toEqual([]);
  });

  it('not acknowledged within the hand-off window: back to its queue unstarted, with no worker called lost', () => {
    const s = offered();
    s.store.now += OFFER_HOLD_MS + Limits.handOffAckMs;
    const lost = s.store.change((tx) => (fireDue(tx, tx.loadRun(s.runId)!), tx.lostHandOffs));
    expect(lost).toEqual([]);
    expect(s.store.dispatched).toMatchObject([{ taskQueue: TQ, kind: 'workflow', ref: { scheduledEventId: 2, attempt: 1, seq: s.offer.ref.seq! + 1 } }]);
    expect(s.run().workflowTask).toMatchObject({ dispatched: true, attempt: 1 });
    expect(s.run().workflowTask!.startedEventId).toBeUndefined();
    // The offer's ref is stale now; the token too.
    expect(s.store.change((tx) => startPolledTask(tx, s.offer.ref, 'late', TQ, undefined))).toBeNull();
    expect(() => completeTask(s.store, s.runId, s.offer.token, [])).toThrow(/not found/);
    expect(s.store.eventTypes(s.runId)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);
  });
});
