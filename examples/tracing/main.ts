// Traces a workflow with OpenTelemetry against a Keel service — `keel dev` by default:
//
//   keel dev                             # in one terminal
//   npx tsx examples/tracing/main.ts     # in another (KEEL_ADDRESS to use another service)
//
// One OpenTelemetryPlugin goes to the client and to the worker, as with Temporal's
// @temporalio/interceptors-opentelemetry. The trace runs StartWorkflow:order (client) →
// RunWorkflow:order (workflow) → StartActivity:reserve → RunActivity:reserve (activity), and the
// same for charge. Here spans are printed; give any SpanExporter (OTLP, Jaeger, …) instead.
import { fileURLToPath } from 'node:url';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Client } from 'keel/client';
import { OpenTelemetryPlugin } from 'keel/interceptors-opentelemetry';
import { NativeConnection, Worker } from 'keel/worker';
import * as activities from './activities';
import { order } from './workflows';

export const TASK_QUEUE = 'tracing';
const workflowsPath = fileURLToPath(new URL('./workflows.ts', import.meta.url));

/** Runs one traced order with a worker of its own; its spans go to `exporter`. */
export async function tracedOrder(address: string, exporter: SpanExporter, workflowId: string): Promise<string> {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const plugin = new OpenTelemetryPlugin({
    resource: resourceFromAttributes({ 'service.name': 'keel-tracing-example' }),
    traceExporter: exporter,
    // Usually the global tracer provider (NodeSDK registers one); passed here to keep the example self-contained.
    tracer: provider.getTracer('keel-tracing-example'),
  });
  const connection = await NativeConnection.connect({ address });
  try {
    const worker = await Worker.create({ connection, taskQueue: TASK_QUEUE, workflowsPath, activities, plugins: [plugin], shutdownSignals: [] });
    const client = new Client({ connection, plugins: [plugin] });
    return await worker.runUntil(client.workflow.execute(order, { taskQueue: TASK_QUEUE, workflowId, args: ['a teapot'] }));
  } finally {
    await connection.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await tracedOrder(process.env.KEEL_ADDRESS ?? '127.0.0.1:7233', new ConsoleSpanExporter(), `order-${Date.now()}`);
  console.log(`Workflow result: ${result}`);
}
