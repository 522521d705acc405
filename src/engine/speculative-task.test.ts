import { describe, expect, it } from 'vitest';
import { Api, type HistoryEnd } from '../../protocol/index.js';
import type { TaskTokenData } from '../task-token.js';
import { scheduleActivity, started, takeWorkflowTask } from './engine-test-kit.js';
import { completeWorkflowTask } from './lifecycle.js';
import { heartbeatActivity } from './activities.js';
import { requestCancelWorkflow, signalWorkflow } from './run-control.js';
import { completeActivityTask, historyEndOf } from './speculative-task.js';

const STICKY = 'orders/sticky/w1';
const result = { metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'InIi' };

/**
 * A run the worker holds on STICKY, waiting for activity a1, which its completion started eagerly:
 * what the worker knows (`end`) and the activity's token.
 */
function heldRun() {
  const s = started();
  const token = takeWorkflowTask(s.store, s.runId)!;
  const req = Api.completeWorkflowTask.request.parse({ taskToken: 't', commands: [scheduleActivity('a1', { requestEagerExecution: true })], identity: 'w1', stickyAttributes: { workerTaskQueue: STICKY }, acknowledgesHandOff: true, speculates: true });
  const { historyEnd, eager } = s.store.change((tx) => {
    tx.acknowledgesAnswer = true;
    completeWorkflowTask(tx, tx.loadRun(s.runId), token, req);
    return { ...historyEndOf(tx, tx.loadRun(s.runId)), eager: tx.eagerActivities };
  });
  const activity: TaskTokenData = { namespace: 'default', workflowId: 'wf', runId: s.runId, kind: 'activity', scheduledEventId: eager[0]!.scheduledEventId, attempt: 1, startedEventId: 0 };
  return { ...s, end: historyEnd!, activity };
}

/** The speculative completion a worker sends from what it knows, with the task run `ranAfterMs` after the last change. */
function speculation(end: HistoryEnd, commands: Array<Record<string, unknown>>, ranAfterMs = 3, extra: Record<string, unknown> = {}) {
  return { commands, nextEventId: end.nextEventId, startedEventId: end.nextEventId + 3, historySizeBytes: end.historySizeBytes, time: end.time + ranAfterMs, stickyAttributes: { workerTaskQueue: STICKY }, ...extra };
}

const completeActivity = (s: ReturnType<typeof heldRun>, body: Record<string, unknown>) =>
  s.store.change((tx) => completeActivityTask(tx, s.activity, Api.completeActivityTask.request.parse({ taskToken: 't', result, identity: 'w1', stickyTaskQueue: STICKY, acknowledgesHandOff: true, ...body })));

const close = [{ type: 'CompleteWorkflowExecution', result }];

describe('a speculative workflow task', () => {
  it('is written with the activity completion in one change, as the two exchanges would have written it', () => {
    const s = heldRun();
    expect(s.end).toEqual({ nextEventId: 6, historySizeBytes: expect.any(Number), time: s.store.now });
    s.store.now += 10;
    const answer = completeActivity(s, { workflowTaskCompletion: speculation(s.end, close) });
    expect(answer).toEqual({ speculation: { accepted: true }, eager: [] });
    expect(s.run().status).toBe('COMPLETED');

    // The same run taken through the two exchanges, at the same times.
    const twin = heldRun();
    twin.store.now = s.end.time + 3;
    const claimed = completeActivity(twin, {}).claimed!;
    const req = Api.completeWorkflowTask.request.parse({ taskToken: 't', commands: close, identity: 'w1', stickyAttributes: { workerTaskQueue: STICKY }, acknowledgesHandOff: true });
    twin.store.change((tx) => completeWorkflowTask(tx, tx.loadRun(twin.runId), claimed.token, req));
    const events = (x: typeof s) => x.store.readEvents(x.runId, 1);
    expect(events(s)).toEqual(events(twin));
    expect(events(s).slice(5).map((e) => `${e.eventId} ${e.eventType} ${e.eventTime}`)).toEqual(
      ['6 ActivityTaskStarted', '7 ActivityTaskCompleted', '8 WorkflowTaskScheduled', '9 WorkflowTaskStarted', '10 WorkflowTaskCompleted', '11 WorkflowExecutionCompleted'].map(
        (e, i) => `${e} ${new Date(i === 0 ? s.end.time : s.end.time + 3).toISOString()}`,
      ),
    );
    expect(events(s)[8]).toMatchObject({ attributes: { scheduledEventId: 8, identity: 'w1', historySizeBytes: s.end.historySizeBytes } });
  });

  it('starts the next activity eagerly for the caller and says where the history ends, so the worker speculates again', () => {
    const s = heldRun();
    s.store.now += 10;
    const dispatched = s.store.dispatched.length;
    const answer = completeActivity(s, { workflowTaskCompletion: speculation(s.end, [scheduleActivity('a2', { requestEagerExecution: true })]) });
    expect(answer).toMatchObject({ speculation: { accepted: true }, eager: [{ scheduledEventId: 11, attempt: 1 }], historyEnd: { nextEventId: 12, time: s.end.time + 3 } });
    expect(s.run()).toMatchObject({ sticky: { taskQueue: STICKY }, lastCompletedStartedEventId: 9 });
    expect(s.run().workflowTask).toBeUndefined();
    expect(s.run().activities['11']).toMatchObject({ activityId: 'a2', startedTime: s.end.time + 3 });
    expect(answer.historyEnd!.historySizeBytes).toBeGreaterThan(s.end.historySizeBytes);
    expect(s.store.dispatched).toHaveLength(dispatched);
  });

  it("starts a timer counting from when the workflow asked for it, up to the service's clock, though its events carry the task's time", () => {
    const s = heldRun();
    s.store.now += 10;
    const taskTime = s.end.time + 3;
    // Asked for 4 ms into the task (a local activity ran first), and a worker clock ahead of the service's.
    const sleep = (timerId: string, requestedAtMs: number) => ({ type: 'StartTimer', timerId, startToFireTimeoutMs: 1_000, requestedAtMs });
    completeActivity(s, { workflowTaskCompletion: speculation(s.end, [sleep('asked', taskTime + 4), sleep('ahead', s.store.now + 60_000)]) });
    expect(s.run().timers).toMatchObject({ asked: { fireAt: taskTime + 4 + 1_000 }, ahead: { fireAt: s.store.now + 1_000 } });
    const started = s.store.readEvents(s.runId, 1).filter((e) => e.eventType === 'TimerStarted');
    expect(started.map((e) => e.eventTime)).toEqual([new Date(taskTime).toISOString(), new Date(taskTime).toISOString()]);
    expect(started.map((e) => (e.attributes as { anchorTime?: string }).anchorTime)).toEqual([new Date(taskTime + 4).toISOString(), new Date(s.store.now).toISOString()]);
  });

  describe('is refused, and the activity completion alone applied, when the run is not where the worker predicted', () => {
    /** Completes a1 with the speculation; the answer and the events it wrote. */
    function refused(prepare: (s: ReturnType<typeof heldRun>) => Record<string, unknown>) {
      const s = heldRun();
      const before = s.store.readEvents(s.runId, 1).length;
      s.store.now += 10;
      const spec = prepare(s);
      const answer = completeActivity(s, spec);
      expect(answer.speculation?.accepted).toBe(false);
      expect(s.run().status).toBe('RUNNING');
      return { answer, s, written: s.store.readEvents(s.runId, before + 1).map((e) => e.eventType) };
    }

    it('a signal came meanwhile: its workflow task is pending (it goes to the sticky queue)', () => {
      const { answer, written } = refused((s) => {
        s.store.change((tx) => signalWorkflow(tx, tx.loadRun(s.runId)!, 'go', []));
        return { workflowTaskCompletion: speculation(s.end, close) };
      });
      expect(answer.speculation!.reason).toMatch(/workflow task is already scheduled/);
      expect(answer.claimed).toBeUndefined();
      expect(written).toEqual(['WorkflowExecutionSignaled', 'WorkflowTaskScheduled', 'ActivityTaskStarted', 'ActivityTaskCompleted']);
    });

    it('a workflow task runs: the result waits in the buffer', () => {
      const { answer, written } = refused((s) => {
        s.store.change((tx) => signalWorkflow(tx, tx.loadRun(s.runId)!, 'go', []));
        takeWorkflowTask(s.store, s.runId);
        return { workflowTaskCompletion: speculation(s.end, close) };
      });
      expect(answer.speculation!.reason).toMatch(/already scheduled or running/);
      expect(written).toEqual(['WorkflowExecutionSignaled', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
      expect(answer.claimed).toBeUndefined();
    });

    it('the predicted ids are not the next ones: the workflow task is handed back started, as without speculation', () => {
      const { answer, written } = refused((s) => ({ workflowTaskCompletion: speculation({ ...s.end, nextEventId: s.end.nextEventId - 1 }, close) }));
      expect(answer.speculation!.reason).toMatch(/history moved on/);
      expect(answer.claimed?.token).toMatchObject({ kind: 'workflow', scheduledEventId: 8, startedEventId: 9 });
      expect(written).toEqual(['ActivityTaskStarted', 'ActivityTaskCompleted', 'WorkflowTaskScheduled']);
    });

    it('the started event id does not follow from the next event id', () => {
      const { answer } = refused((s) => ({ workflowTaskCompletion: { ...speculation(s.end, close), startedEventId: s.end.nextEventId + 4 } }));
      expect(answer.speculation!.reason).toMatch(/would start at event 9, not 10/);
    });

    it('the history size differs', () => {
      const { answer } = refused((s) => ({ workflowTaskCompletion: speculation({ ...s.end, historySizeBytes: s.end.historySizeBytes + 1 }, close) }));
      expect(answer.speculation!.reason).toMatch(/bytes/);
    });

    it('continuing as new is suggested otherwise', () => {
      const { answer } = refused((s) => ({ workflowTaskCompletion: speculation(s.end, close, 3, { suggestContinueAsNew: true }) }));
      expect(answer.speculation!.reason).toMatch(/continuing as new/);
    });

    it('the task’s time is after now, before the activity started, or past the workflow task timeout', () => {
      for (const [ranAfterMs, advanceMs] of [[11, 0], [-1, 0], [3, 10_000]] as const) {
        const { answer } = refused((s) => {
          s.store.now += advanceMs;
          return { workflowTaskCompletion: speculation(s.end, close, ranAfterMs) };
        });
        expect(answer.speculation!.reason).toMatch(/out of bounds/);
      }
    });

    it('the task’s time is before the run’s last event', () => {
      const { answer } = refused((s) => {
        s.store.change((tx) => {
          const run = tx.loadRun(s.runId)!;
          run.lastEventTime = s.end.time + 5;
          tx.touch(run);
        });
        return { workflowTaskCompletion: speculation(s.end, close, 3) };
      });
      expect(answer.speculation!.reason).toMatch(/out of bounds/);
    });

    it('a cancel request meanwhile', () => {
      const cancelled = refused((s) => {
        s.store.change((tx) => requestCancelWorkflow(tx, tx.loadRun(s.runId)!, 'stop', 'client'));
        return { workflowTaskCompletion: speculation(s.end, close) };
      });
      expect(cancelled.written.slice(0, 2)).toEqual(['WorkflowExecutionCancelRequested', 'WorkflowTaskScheduled']);
    });

    it('the run is held on another sticky queue', () => {
      const { answer } = refused((s) => ({ stickyTaskQueue: `${STICKY}-other`, workflowTaskCompletion: speculation(s.end, close) }));
      expect(answer.speculation!.reason).toMatch(/not held/);
      expect(answer.claimed).toBeUndefined();
    });

    it('a command would be refused (the ordinary task’s completion reports it)', () => {
      const { answer, written } = refused((s) => ({ workflowTaskCompletion: speculation(s.end, [{ type: 'CancelTimer', timerId: 'none' }]) }));
      expect(answer.speculation!.reason).toMatch(/UNKNOWN_TIMER/);
      expect(written).toEqual(['ActivityTaskStarted', 'ActivityTaskCompleted', 'WorkflowTaskScheduled']);
    });
  });

  it('a heartbeat meanwhile writes nothing, so it changes nothing', () => {
    const s = heldRun();
    s.store.change((tx) => heartbeatActivity(tx, tx.loadRun(s.runId)!, tx.loadRun(s.runId)!.activities[String(s.activity.scheduledEventId)]!, []));
    s.store.now += 10;
    expect(completeActivity(s, { workflowTaskCompletion: speculation(s.end, close) }).speculation).toEqual({ accepted: true });
  });

  it('the activity id it completes may be scheduled again by the task it causes', () => {
    const s = heldRun();
    s.store.now += 10;
    expect(completeActivity(s, { workflowTaskCompletion: speculation(s.end, [scheduleActivity('a1')]) }).speculation).toEqual({ accepted: true });
  });

  it('a stale attempt is refused as any completion is (TASK_NOT_FOUND), and nothing is written', () => {
    const s = heldRun();
    const before = s.store.readEvents(s.runId, 1).length;
    s.activity.attempt = 2;
    expect(() => completeActivity(s, { workflowTaskCompletion: speculation(s.end, close) })).toThrow(/Activity task not found/);
    expect(s.store.readEvents(s.runId, 1)).toHaveLength(before);
  });
});
