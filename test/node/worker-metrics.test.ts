// Worker metrics as Temporal users configure them: Runtime.install with a Prometheus bindAddress,
// then GET /metrics on it has Temporal's SDK metric names with their labels after a workflow ran.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Runtime, Worker } from 'keel/worker';
import * as activities from './fixtures/compat-activities.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/compat-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;
let runtime: Runtime;

beforeAll(async () => {
  // Port 0: the system picks a free one; the runtime says which.
  runtime = Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: '127.0.0.1:0' }, globalTags: { deployment: 'test' } } } });
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
  await runtime?.shutdown();
});

/** The value of the series `name{…labels…}` in Prometheus text, or undefined. */
function value(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const [series, v] = [line.slice(0, line.lastIndexOf(' ')), line.slice(line.lastIndexOf(' ') + 1)];
    if (Object.entries(labels).every(([k, l]) => series.includes(`${k}="${l}"`))) return Number(v);
  }
  return undefined;
}

describe('worker metrics at telemetryOptions.metrics.prometheus.bindAddress', () => {
  it("serves Temporal's SDK metrics as Prometheus text after a workflow with an activity ran", async () => {
    const address = (await runtime.metricsAddress())!;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'metrics', workflowsPath, activities, shutdownSignals: [] });
    const result = await worker.runUntil(async () => {
      const r = await env.client.workflow.execute('loggingWorkflow', { taskQueue: 'metrics', workflowId: 'metrics-1', args: [1] });
      // While the worker runs, its slots and cache are gauges.
      const live = await (await fetch(`http://127.0.0.1:${address.port}/metrics`)).text();
      // A slot is taken when a poll starts (as Temporal reserves one before polling): available + used = the maximum.
      const activity = { worker_type: 'ActivityWorker', task_queue: 'metrics' };
      expect(value(live, 'temporal_worker_task_slots_available', activity)! + value(live, 'temporal_worker_task_slots_used', activity)!).toBe(100);
      expect(value(live, 'temporal_worker_task_slots_available', { worker_type: 'WorkflowWorker', task_queue: 'metrics' })).toBeGreaterThan(0);
      expect(live).toMatch(/^temporal_sticky_cache_size\{[^}]*task_queue="metrics"[^}]*\} \d+$/m);
      return r;
    });
    expect(result).toBe('charged order-1');

    const res = await fetch(`http://127.0.0.1:${address.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const wf = { namespace: 'default', task_queue: 'metrics', workflow_type: 'loggingWorkflow', service_name: 'temporal-core-sdk', deployment: 'test' };
    expect(value(text, 'temporal_workflow_completed', wf)).toBe(1);
    expect(value(text, 'temporal_workflow_task_execution_latency_count', wf)).toBeGreaterThanOrEqual(2);
    expect(value(text, 'temporal_sticky_cache_hit', wf)! + value(text, 'temporal_sticky_cache_miss', wf)!).toBeGreaterThanOrEqual(2);
    expect(value(text, 'temporal_activity_execution_latency_count', { ...wf, activity_type: 'charge' })).toBe(1);
    expect(text).toMatch(/^temporal_workflow_task_execution_latency_bucket\{[^}]*le="\+Inf"\} \d+$/m);
    // The worker stopped: its gauges went, its counters stay.
    expect(text).not.toContain('temporal_worker_task_slots_available{');
    expect((await fetch(`http://127.0.0.1:${address.port}/other`)).status).toBe(404);
  });

  it("counts the connection's calls as Temporal's Core does: temporal_request and temporal_long_request, their failures and latencies", async () => {
    const address = (await runtime.metricsAddress())!;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'requests', workflowsPath, activities, shutdownSignals: [] });
    await worker.runUntil(env.client.workflow.execute('loggingWorkflow', { taskQueue: 'requests', workflowId: 'requests-1', args: [1] }));
    // A call the service refuses (no such workflow), and a long poll it refuses (a bad field).
    await expect(env.client.workflow.getHandle('requests-missing').signal('approve', true)).rejects.toThrow();
    await expect(env.nativeConnection.call('pollActivityTask', { identity: 7 } as never, { namespace: 'default', params: { taskQueue: 'requests' } })).rejects.toThrow();

    const text = await (await fetch(`http://127.0.0.1:${address.port}/metrics`)).text();
    const at = { namespace: 'default', task_queue: 'requests', service_name: 'temporal-core-sdk', deployment: 'test' };
    expect(value(text, 'temporal_request', { ...at, operation: 'StartWorkflowExecution' })).toBe(1);
    expect(value(text, 'temporal_request_latency_count', { ...at, operation: 'StartWorkflowExecution' })).toBe(1);
    expect(value(text, 'temporal_request', { namespace: 'default', operation: 'RespondWorkflowTaskCompleted' })).toBeGreaterThanOrEqual(1);
    expect(value(text, 'temporal_long_request', { ...at, operation: 'PollWorkflowTaskQueue' })).toBeGreaterThanOrEqual(1);
    expect(value(text, 'temporal_long_request_latency_count', { ...at, operation: 'PollActivityTaskQueue' })).toBeGreaterThanOrEqual(1);
    // Long polls are not in the ordinary family, and ordinary calls not in the long one.
    expect(value(text, 'temporal_request', { operation: 'PollWorkflowTaskQueue' })).toBeUndefined();
    expect(value(text, 'temporal_long_request', { operation: 'StartWorkflowExecution' })).toBeUndefined();
    expect(value(text, 'temporal_request_failure', { namespace: 'default', operation: 'SignalWorkflowExecution', status_code: 'NOT_FOUND' })).toBe(1);
    expect(value(text, 'temporal_long_request_failure', { ...at, operation: 'PollActivityTaskQueue', status_code: 'INVALID_ARGUMENT' })).toBe(1);
    expect(text).toMatch(/^# TYPE temporal_request_latency histogram$/m);
    expect(text).toMatch(/^temporal_long_request_latency_bucket\{[^}]*operation="PollWorkflowTaskQueue"[^}]*le="\+Inf"\} \d+$/m);
  });
});
