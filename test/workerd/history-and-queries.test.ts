/**
 * Reading a run: history in pages, long polls for new events and for the close event,
 * and queries answered by a worker without a trace in history.
 */
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../protocol/index.js';
import {
  call,
  completeWorkflowTask,
  expectError,
  fromJson,
  history,
  historyWaiters,
  json,
  ok,
  pollWorkflowTask,
  queueState,
  settle,
  startAndCompleteFirstTask,
  startWorkflow,
  storedState,
  unique,
  until,
} from './helpers.js';

interface Page {
  runId: string;
  events: HistoryEvent[];
  nextPageToken?: string;
}
const page = (wid: string, query: Record<string, unknown> = {}) => ok<Page>('GET', `/workflows/${wid}/history`, query);

describe('history paging', () => {
  it('reads a closed run in pages of pageSize, each token leading to the next, the last page without a token', async () => {
    const wid = unique('paging');
    const tq = unique('tq');
    const { runId } = await startWorkflow(wid, tq);
    const task = (await pollWorkflowTask(tq))!;
    await completeWorkflowTask(task.taskToken, [
      ...[1, 2, 3, 4, 5].map((i) => ({ type: 'RecordMarker' as const, markerName: `m${i}`, details: {} })),
      { type: 'CompleteWorkflowExecution', result: json('done') },
    ]);
    const all = await history(wid);
    expect(all).toHaveLength(10);

    const pages: Page[] = [];
    let token: string | undefined;
    do {
      const p = await page(wid, { pageSize: 4, ...(token ? { nextPageToken: token } : {}) });
      pages.push(p);
      token = p.nextPageToken;
    } while (token);
    expect(pages.map((p) => p.events.map((e) => e.eventId))).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]);
    expect(pages.every((p) => p.runId === runId)).toBe(true);
    expect(pages.flatMap((p) => p.events)).toEqual(all);
  });

  it('on a running run the last page keeps a token, to read on from when more events come', async () => {
    const wid = unique('paging-running');
    const tq = unique('tq');
    await startAndCompleteFirstTask(wid, tq);
    const first = await page(wid, { pageSize: 3 });
    expect(first.events.map((e) => e.eventId)).toEqual([1, 2, 3]);
    const rest = await page(wid, { pageSize: 3, nextPageToken: first.nextPageToken });
    expect(rest.events.map((e) => e.eventId)).toEqual([4]);
    expect(rest.nextPageToken).toBe('5');
    await ok('POST', `/workflows/${wid}/signal`, { signalName: 's' });
    const more = await page(wid, { nextPageToken: rest.nextPageToken });
    expect(more.events.map((e) => e.eventType)).toEqual(['WorkflowExecutionSignaled', 'WorkflowTaskScheduled']);
  });
});

describe('history long polls', () => {
  it('waitNewEvent=true answers as soon as a new event is written', async () => {
    const wid = unique('wait-new');
    const tq = unique('tq');
    await startAndCompleteFirstTask(wid, tq);
    const { nextPageToken } = await page(wid);
    expect(nextPageToken).toBe('5');

    const waiting = page(wid, { waitNewEvent: true, nextPageToken });
    await until(() => historyWaiters(wid), (n) => n > 0);
    await ok('POST', `/workflows/${wid}/signal`, { signalName: 'wake', input: [json(1)] });
    // The wait ends with the new events (a wait that ran out would answer empty).
    const got = await waiting;
    expect(got.events.map((e) => e.eventType)).toEqual(['WorkflowExecutionSignaled', 'WorkflowTaskScheduled']);
    expect(got.events[0]!.eventId).toBe(5);
    expect(got.nextPageToken).toBe('7');
  });

  it('waitNewEvent=true answers empty, with the same token, after the long-poll limit', async () => {
    const wid = unique('wait-empty');
    const tq = unique('tq');
    await startAndCompleteFirstTask(wid, tq);
    const before = await storedState(wid);
    const t0 = Date.now();
    const got = await page(wid, { waitNewEvent: true, nextPageToken: '5' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(got.events).toEqual([]);
    expect(got.nextPageToken).toBe('5');
    expect(await storedState(wid)).toEqual(before);
  });

  it('closeEventOnly=true&waitNewEvent=true answers with just the close event once the run closes', async () => {
    const wid = unique('wait-close');
    const tq = unique('tq');
    const { runId } = await startWorkflow(wid, tq);
    const task = (await pollWorkflowTask(tq))!;
    const waiting = page(wid, { closeEventOnly: true, waitNewEvent: true });
    await until(() => historyWaiters(wid), (n) => n > 0);
    // Events that do not close the run do not end the wait.
    await ok('POST', `/workflows/${wid}/signal`, { signalName: 'not-yet' });
    await completeWorkflowTask(task.taskToken, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 60_000 }]);
    await ok('POST', `/workflows/${wid}/terminate`, { reason: 'enough' });
    const got = await waiting;
    expect(got.runId).toBe(runId);
    expect(got.events).toHaveLength(1);
    expect(got.events[0]).toMatchObject({ eventType: 'WorkflowExecutionTerminated', attributes: { reason: 'enough' } });
    expect(got.events[0]!.eventId).toBe((await history(wid)).length);
    expect(got.nextPageToken).toBeUndefined();
  });

  it('a wait for the close event keeps to the run it began on when a new run takes the workflow id', async () => {
    const wid = unique('wait-close-replaced');
    const tq = unique('tq');
    const { runId: oldRun } = await startWorkflow(wid, tq);
    const waiting = page(wid, { closeEventOnly: true, waitNewEvent: true });
    await until(() => historyWaiters(wid), (n) => n > 0);
    const { runId: newRun } = await startWorkflow(wid, tq, { workflowIdConflictPolicy: 'TERMINATE_EXISTING' });
    const got = await waiting;
    expect(got.runId).toBe(oldRun);
    expect(got.runId).not.toBe(newRun);
    expect(got.events.map((e) => e.eventType)).toEqual(['WorkflowExecutionTerminated']);
  });

  it('closeEventOnly=true on a run that is still running answers empty after the long-poll limit', async () => {
    const wid = unique('wait-close-empty');
    const tq = unique('tq');
    await startWorkflow(wid, tq);
    const got = await page(wid, { closeEventOnly: true, waitNewEvent: true });
    expect(got.events).toEqual([]);
  });
});

describe('a start that waits for the close (waitForClose: start and result in one exchange)', () => {
  it('answers once the run closes, with the run id and its close event', async () => {
    const wid = unique('start-wait');
    const tq = unique('tq');
    const answering = startWorkflow(wid, tq, { waitForClose: true });
    const task = (await pollWorkflowTask(tq))!;
    await until(() => historyWaiters(wid), (n) => n > 0);
    await completeWorkflowTask(task.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }]);
    const answer = (await answering) as { runId: string; started: boolean; closeEvent?: HistoryEvent };
    expect(answer.runId).toBe(task.workflowExecution.runId);
    expect(answer.started).toBe(true);
    expect(answer.closeEvent).toMatchObject({ eventType: 'WorkflowExecutionCompleted', eventId: (await history(wid)).length });
    expect(fromJson((answer.closeEvent!.attributes as { result: Parameters<typeof fromJson>[0] }).result)).toBe('done');
  });

  it('answers without a close event when the run is still running after the long-poll limit', async () => {
    const wid = unique('start-wait-running');
    const answer = (await startWorkflow(wid, unique('tq'), { waitForClose: true })) as { runId: string; closeEvent?: HistoryEvent };
    expect(answer.runId).toBeTruthy();
    expect(answer.closeEvent).toBeUndefined();
    expect((await history(wid)).map((e) => e.eventType)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);
  });

  it('a retried start (same request id) answers the close of the run it started, not a new run', async () => {
    const wid = unique('start-wait-retry');
    const tq = unique('tq');
    // The first attempt's wait runs out (the run is still open); its retry, after the close, gets it.
    const first = (await startWorkflow(wid, tq, { requestId: `${wid}-req`, waitForClose: true })) as { runId: string; closeEvent?: HistoryEvent };
    expect(first.closeEvent).toBeUndefined();
    const task = (await pollWorkflowTask(tq))!;
    await completeWorkflowTask(task.taskToken, [{ type: 'CompleteWorkflowExecution', result: json(7) }]);
    const again = (await startWorkflow(wid, tq, { requestId: `${wid}-req`, waitForClose: true })) as { runId: string; closeEvent?: HistoryEvent };
    expect(again.runId).toBe(first.runId);
    expect(again.closeEvent?.eventType).toBe('WorkflowExecutionCompleted');
  });

  it('with requestEagerExecution the answer brings the first task at once and does not wait', async () => {
    const wid = unique('start-wait-eager');
    const tq = unique('tq');
    const answer = (await startWorkflow(wid, tq, { requestEagerExecution: true, waitForClose: true })) as { eagerWorkflowTask?: { taskToken: string }; closeEvent?: HistoryEvent };
    expect(answer.eagerWorkflowTask?.taskToken).toBeTruthy();
    expect(answer.closeEvent).toBeUndefined();
  });
});

describe('queries', () => {
  it('a query goes to a poller of the workflow task queue as a task with a query field; its answer comes back; history is untouched', async () => {
    const wid = unique('query');
    const tq = unique('tq');
    const { runId } = await startAndCompleteFirstTask(wid, tq);
    const before = await storedState(wid);

    const asked = call('POST', `/workflows/${wid}/query`, { queryType: 'status', queryArgs: [json('verbose')] });
    const task = (await pollWorkflowTask(tq, 2000, 'query-worker'))!;
    expect(task.query).toEqual({ queryType: 'status', queryArgs: [json('verbose')] });
    expect(task.workflowExecution).toEqual({ workflowId: wid, runId });
    expect(task.history).toEqual(await history(wid));
    expect(task.startedEventId).toBe(task.history.length);

    await ok('POST', '/query-tasks/respond', { taskToken: task.taskToken, answer: json({ stage: 'waiting' }) });
    const res = await asked;
    expect(res.status).toBe(200);
    expect(fromJson(res.body.answer)).toEqual({ stage: 'waiting' });

    expect(await storedState(wid)).toEqual(before);
    // A query task cannot be completed like a workflow task.
    expectError(await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands: [] }), 'INVALID_TASK_TOKEN', /query task token/);
  });

  it('a query of a run that a worker holds goes to that worker\'s sticky queue', async () => {
    const wid = unique('query-sticky');
    const tq = unique('tq');
    const sticky = unique('sticky');
    await startWorkflow(wid, tq);
    const first = (await pollWorkflowTask(tq))!;
    await completeWorkflowTask(first.taskToken, [], { stickyAttributes: { workerTaskQueue: sticky, scheduleToStartTimeoutMs: 5000 } });
    expect((await ok('GET', `/workflows/${wid}`)).stickyTaskQueue).toBe(sticky);
    await settle(wid);
    const before = await storedState(wid);

    const asked = call('POST', `/workflows/${wid}/query`, { queryType: 'status' });
    const task = (await pollWorkflowTask(sticky, 2000, 'sticky-worker'))!;
    expect(task.query).toEqual({ queryType: 'status', queryArgs: [] });
    await ok('POST', '/query-tasks/respond', { taskToken: task.taskToken, answer: json('from cache') });
    expect(fromJson((await asked).body.answer)).toBe('from cache');
    // The normal queue never saw it.
    expect((await queueState(tq)).backlog).toEqual([]);
    expect(await storedState(wid)).toEqual(before);
  });

  it('a query with no answer payload answers 200 with no answer', async () => {
    const wid = unique('query-empty');
    const tq = unique('tq');
    await startAndCompleteFirstTask(wid, tq);
    const asked = call('POST', `/workflows/${wid}/query`, { queryType: 'noop' });
    const task = (await pollWorkflowTask(tq))!;
    await ok('POST', '/query-tasks/respond', { taskToken: task.taskToken });
    expect(await asked).toEqual({ status: 200, body: {} });
  });
});
