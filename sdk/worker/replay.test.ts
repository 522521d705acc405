// Tests of runReplayHistory / runReplayHistories: recorded histories against current code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toTemporalHistory } from '../client/history-json.js';
import { ValueError } from '../common/errors.js';
import { DeterminismViolationError, ReplayError } from './errors.js';
import { runReplayHistories, runReplayHistory, type ReplayHistory } from './replay.js';
import { HistoryBuilder } from './test-fixtures/history-builder.js';
import { fixtureBundle, fixturePath } from './test-fixtures/fixtures.js';

/** The history of `order('o-1')`: schedule charge, get its result, complete. */
function orderHistory(): HistoryBuilder {
  const h = new HistoryBuilder().started('order', ['o-1']).workflowTask(); // events 1–4
  h.activityCompleted(h.activityScheduled('1', 'charge', ['o-1']), 'charged o-1'); // 5–7
  return h.workflowTask().completed('charged o-1'); // 8–11
}

describe('runReplayHistory', () => {
  it("replays a history exported from a Temporal cluster (temporal workflow show --output json), and finds a changed order in it", async () => {
    const exported = JSON.parse(readFileSync(fixturePath('temporal-cluster-order.json'), 'utf8')) as { events: unknown[] };
    await expect(runReplayHistory({ workflowBundle: await fixtureBundle('workflows.ts') }, exported, 'order-o-1')).resolves.toBeUndefined();
    const err = await runReplayHistory({ workflowBundle: await fixtureBundle('workflows-changed.ts') }, exported, 'order-o-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeterminismViolationError);
  });

  it("replays a history in Temporal's JSON form as fetchHistory() gives it", async () => {
    await expect(runReplayHistory({ workflowsPath: fixturePath('workflows.ts') }, toTemporalHistory(orderHistory().events))).resolves.toBeUndefined();
  });

  it('replays a history recorded by the same code', async () => {
    await expect(runReplayHistory({ workflowsPath: fixturePath('workflows.ts') }, orderHistory().events)).resolves.toBeUndefined();
  });

  it('accepts { events } as parsed from JSON', async () => {
    const json = JSON.parse(JSON.stringify({ events: orderHistory().events })) as { events: unknown[] };
    await expect(runReplayHistory({ workflowBundle: await fixtureBundle('workflows.ts') }, json, 'order-1')).resolves.toBeUndefined();
  });

  it('throws DeterminismViolationError naming the event and both commands when the code changed', async () => {
    const err = await runReplayHistory({ workflowBundle: await fixtureBundle('workflows-changed.ts') }, orderHistory().events).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeterminismViolationError);
    expect((err as Error).name).toBe('DeterminismViolationError');
    expect((err as Error).message).toBe(
      'Nondeterminism at event 5: history recorded ActivityTaskScheduled(activityType=charge, activityId=1) but the workflow issued StartTimer(timerId=1)',
    );
  });

  it('activates a final task that was never completed, with replay semantics', async () => {
    const h = new HistoryBuilder().started('order', ['o-1']).workflowTask();
    h.activityCompleted(h.activityScheduled('1', 'charge', ['o-1']), 'charged o-1');
    h.taskStarted(); // the run was waiting for a worker when the history was taken
    await expect(runReplayHistory({ workflowBundle: await fixtureBundle('workflows.ts') }, h.events)).resolves.toBeUndefined();

    const buggy = new HistoryBuilder().started('buggy');
    buggy.taskStarted();
    const err = await runReplayHistory({ workflowBundle: await fixtureBundle('workflows.ts') }, buggy.events).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplayError);
    expect((err as ReplayError).failure.message).toBe('a bug in the workflow');
  });

  it('refuses something that is not a history', async () => {
    const bundle = await fixtureBundle('workflows.ts');
    await expect(runReplayHistory({ workflowBundle: bundle }, [{ eventId: 1, eventType: 'Nope' }])).rejects.toThrow(ValueError);
    await expect(runReplayHistory({ workflowBundle: bundle }, orderHistory().events.slice(1))).rejects.toThrow(/must start with WorkflowExecutionStarted/);
  });
});

describe('runReplayHistories', () => {
  it('replays every history against one bundle, yielding each outcome instead of throwing', async () => {
    const bad = new HistoryBuilder().started('order', ['o-1']).workflowTask();
    bad.timerStarted('1', 1000);
    async function* histories(): AsyncGenerator<ReplayHistory> {
      yield { workflowId: 'good', history: orderHistory().events };
      yield { workflowId: 'bad', history: { events: bad.events } };
    }
    const results = [];
    for await (const result of runReplayHistories({ workflowBundle: await fixtureBundle('workflows.ts') }, histories())) results.push(result);
    expect(results).toEqual([
      { workflowId: 'good', runId: 'run-0001' },
      { workflowId: 'bad', runId: 'run-0001', error: expect.any(DeterminismViolationError) },
    ]);
    expect(results[1]?.error?.message).toContain('history recorded TimerStarted(timerId=1) but the workflow issued ScheduleActivityTask(activityType=charge, activityId=1)');
  });
});
