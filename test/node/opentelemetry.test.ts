// keel/interceptors-opentelemetry end to end, as Temporal users set it up: one OpenTelemetryPlugin
// given to the client and the worker, spans collected by @opentelemetry/sdk-trace-base's
// InMemorySpanExporter. One trace runs from the client's start through the workflow to each activity.
import { fileURLToPath } from 'node:url';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'keel/client';
import { OpenTelemetryPlugin, makeWorkflowExporter } from 'keel/interceptors-opentelemetry';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import * as activities from './fixtures/otel-activities.js';
import { tracedOrder } from './fixtures/otel-workflows.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/otel-workflows.ts', import.meta.url));
const workflowInterceptors = fileURLToPath(new URL('../../sdk/interceptors-opentelemetry/workflow-interceptors.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('keel/interceptors-opentelemetry', () => {
  it('traces a workflow from the client start through the workflow to each activity, in one trace', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const resource = resourceFromAttributes({ 'service.name': 'keel-test' });
    const plugin = new OpenTelemetryPlugin({ resource, traceExporter: exporter, tracer: provider.getTracer('keel-test') });
    const client = new Client({ connection: env.nativeConnection, plugins: [plugin] });
    const taskQueue = 'otel';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, plugins: [plugin], shutdownSignals: [] });
    const handle = await client.workflow.start(tracedOrder, { taskQueue, workflowId: 'otel-1', args: ['o1'] });
    expect(await worker.runUntil(handle.result())).toEqual(['charged o1-a', 'charged o1-b']);

    const spans = exporter.getFinishedSpans();
    const named = (name: string) => spans.filter((s) => s.name === name);
    const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
    const [start] = named('StartWorkflow:tracedOrder');
    const [run] = named('RunWorkflow:tracedOrder');
    expect(start).toBeDefined();
    expect(run).toBeDefined();
    expect(parentOf(run!)).toBe(start!.spanContext().spanId);
    const startActivities = named('StartActivity:charge');
    const runActivities = named('RunActivity:charge');
    expect(startActivities).toHaveLength(2);
    expect(runActivities).toHaveLength(2);
    for (const s of startActivities) expect(parentOf(s)).toBe(run!.spanContext().spanId);
    expect(runActivities.map(parentOf).sort()).toEqual(startActivities.map((s) => s.spanContext().spanId).sort());
    // One trace, from the client's span down.
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([start!.spanContext().traceId]));
    expect(run!.resource.attributes['service.name']).toBe('keel-test');
    expect(run!.status.code).toBe(1);

    // Replaying the history records the same spans again, but exports none of them.
    const before = spans.length;
    await Worker.runReplayHistory(
      { workflowsPath, interceptors: { workflowModules: [workflowInterceptors] }, sinks: { exporter: makeWorkflowExporter(exporter, resource) } },
      await handle.fetchHistory(),
      'otel-1',
    );
    expect(exporter.getFinishedSpans()).toHaveLength(before);
  });
});
