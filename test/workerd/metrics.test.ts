/**
 * GET /api/v1/metrics: the service's counts as Prometheus text — executions by status from the
 * visibility store, each task queue's in-memory counts (tasks added and dispatched, polls with a
 * task and empty, backlog, time in the queue) — read from the real objects when scraped.
 */
import { describe, expect, it } from 'vitest';
import { taskQueueStub } from '../../src/stubs.js';
import { workflowShards } from '../../src/workflow-shards.js';
import { fetchService, json, testEnv } from './helpers.js';
import { Space } from './visibility-helpers.js';

/** The value of the series `name{…labels…}`, or undefined. */
function value(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const cut = line.lastIndexOf(' ');
    if (Object.entries(labels).every(([k, v]) => line.slice(0, cut).includes(`${k}="${v}"`))) return Number(line.slice(cut + 1));
  }
  return undefined;
}

describe('service metrics', () => {
  it('counts starts, closes by status, tasks, polls, backlog and time in the queue per namespace and task queue', async () => {
    const space = new Space();
    const tq = space.queueOf('m1');
    // One run completes through a poll that waited for nothing (the task was in the backlog)…
    await space.start('m1');
    await space.completeTask('m1', [{ type: 'CompleteWorkflowExecution', result: json('ok') }]);
    // …another waits in the backlog, and one poll of the activity queue ends empty.
    await space.start('m2', { taskQueue: tq });
    expect(await taskQueueStub(testEnv, space.ns, tq, 'activity').poll('metrics-worker', 10)).toBeNull();

    const res = await fetchService('/api/v1/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const q = { namespace: space.ns, task_queue: tq };
    expect(value(text, 'keel_workflow_started', q)).toBe(2);
    expect(value(text, 'keel_workflow_closed', { ...q, status: 'COMPLETED' })).toBe(1);
    expect(value(text, 'keel_workflow_running', q)).toBe(1);
    const wf = { ...q, task_type: 'workflow' };
    expect(value(text, 'keel_task_queue_tasks_added', wf)).toBe(2);
    expect(value(text, 'keel_task_queue_tasks_dispatched', wf)).toBe(1);
    expect(value(text, 'keel_task_queue_poll_succeed', wf)).toBe(1);
    expect(value(text, 'keel_task_queue_backlog', wf)).toBe(1);
    expect(value(text, 'keel_task_queue_pollers', wf)).toBe(1);
    expect(value(text, 'keel_task_queue_schedule_to_start_latency_count', wf)).toBe(1);
    expect(value(text, 'keel_task_queue_schedule_to_start_latency_bucket', { ...wf, le: '+Inf' })).toBe(1);
    expect(value(text, 'keel_task_queue_poll_empty', { ...q, task_type: 'activity' })).toBe(1);
  });

  it('counts a run held in memory (a provisional start) as running: the scrape writes it first', async () => {
    const space = new Space();
    const tq = space.queueOf('held');
    const started = await space.ok<{ provisional?: string }>('POST', '/workflows', { workflowId: 'held', workflowType: 'order', taskQueue: tq, input: [], requestEagerExecution: true, identity: 'local-worker', provisional: true });
    // Held only by a shard (an object of its own writes every start at once): running either way.
    expect(typeof started.provisional).toBe(workflowShards(testEnv) > 0 ? 'string' : 'undefined');
    const text = await (await fetchService('/api/v1/metrics')).text();
    expect(value(text, 'keel_workflow_running', { namespace: space.ns, task_queue: tq })).toBe(1);
  });
});
