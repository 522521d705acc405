// A durable timer counts from when the workflow asked for it (the worker's StartTimer.requestedAtMs,
// src/engine/timer-anchor.ts), not from when the service got to the completion — and never from
// before work the task did first, so a sleep after a local activity still sleeps its whole duration.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataConverter, PayloadCodec } from 'keel/common';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import * as activities from './fixtures/timer-anchor-activities.js';
import { sleepAfterLocalActivity, sleepWithMemo } from './fixtures/timer-anchor-workflows.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/timer-anchor-workflows.ts', import.meta.url));
const SLEEP = 500;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

interface RawEvent {
  eventId: number;
  eventTime: string;
  eventType: string;
  attributes: Record<string, unknown>;
}

/** The history as the service holds it (Keel's shape, with Keel's own attributes). */
async function storedHistory(workflowId: string): Promise<RawEvent[]> {
  const response = await fetch(`http://${env.address}/api/v1/namespaces/${env.namespace}/workflows/${workflowId}/history`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { events: RawEvent[] }).events;
}

/** The timer's times: the task that started it began, the timer counts from (its anchor), TimerStarted was written, TimerFired was. */
function timerTimes(events: RawEvent[]) {
  const started = events.find((e) => e.eventType === 'TimerStarted')!;
  const completedId = started.attributes['workflowTaskCompletedEventId'] as number;
  const taskStarted = events.filter((e) => e.eventType === 'WorkflowTaskStarted' && e.eventId < completedId).at(-1)!;
  const fired = events.find((e) => e.eventType === 'TimerFired')!;
  return {
    taskStarted: Date.parse(taskStarted.eventTime),
    anchor: Date.parse((started.attributes['anchorTime'] as string | undefined) ?? started.eventTime),
    written: Date.parse(started.eventTime),
    fired: Date.parse(fired.eventTime),
  };
}

describe("a timer's start", () => {
  it('counts from the call, not from when the completion reached the service', async () => {
    // The completion that starts the timer reaches the service HOLD ms after the workflow asked for
    // it, as when it waits its turn behind a burst: its memo payload is encoded slowly.
    const HOLD = 300;
    const slow: PayloadCodec = {
      encode: async (payloads) => {
        await new Promise((resolve) => setTimeout(resolve, HOLD));
        return payloads;
      },
      decode: async (payloads) => payloads,
    };
    const dataConverter: DataConverter = { payloadCodecs: [slow] };
    const taskQueue = 'timer-anchor-call';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, dataConverter, shutdownSignals: [] });
    const handle = await env.client.workflow.start(sleepWithMemo, { taskQueue, workflowId: 'timer-anchor-call', args: [SLEEP] });
    const { before, after } = await worker.runUntil(handle.result());
    expect(after - before).toBeGreaterThanOrEqual(SLEEP);

    const t = timerTimes(await storedHistory('timer-anchor-call'));
    expect(t.anchor).toBeGreaterThanOrEqual(t.taskStarted);
    expect(t.written - t.anchor).toBeGreaterThanOrEqual(HOLD);
    expect(t.fired - t.anchor).toBeGreaterThanOrEqual(SLEEP);

    // Temporal's JSON form has no anchor, and the history replays.
    const history = await handle.fetchHistory();
    expect(JSON.stringify(history)).not.toContain('anchorTime');
    await expect(Worker.runReplayHistory({ workflowsPath }, history, 'timer-anchor-call')).resolves.toBeUndefined();
  });

  it('after a local activity in the same task, counts from when the activity was done: the sleep is whole in real time', async () => {
    const WORK = 300;
    const taskQueue = 'timer-anchor-local';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, shutdownSignals: [] });
    const handle = await env.client.workflow.start(sleepAfterLocalActivity, { taskQueue, workflowId: 'timer-anchor-local', args: [WORK, SLEEP] });
    const finishedAt = await worker.runUntil(handle.result());

    const t = timerTimes(await storedHistory('timer-anchor-local'));
    // The local activity ran in the task that started the timer, and the timer counts from after it.
    expect(t.anchor - t.taskStarted).toBeGreaterThanOrEqual(WORK);
    expect(t.anchor).toBeGreaterThanOrEqual(finishedAt);
    expect(t.fired - finishedAt).toBeGreaterThanOrEqual(SLEEP);
    await expect(Worker.runReplayHistory({ workflowsPath }, await handle.fetchHistory(), 'timer-anchor-local')).resolves.toBeUndefined();
  });
});
