// The logger as Temporal users configure it: Runtime.install with a DefaultLogger and a custom log
// function, then `log` in workflows and activities carries the caller's metadata and who wrote it.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { DefaultLogger, Runtime, Worker, makeTelemetryFilterString, type LogEntry } from 'keel/worker';
import * as activities from './fixtures/compat-activities.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/compat-workflows.ts', import.meta.url));
const entries: LogEntry[] = [];
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  Runtime.install({
    logger: new DefaultLogger('DEBUG', (entry) => void entries.push(entry)),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
  });
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('logging through Runtime.instance().logger', () => {
  it('gives workflow and activity records their metadata and the run they belong to', async () => {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'logging', workflowsPath, activities, shutdownSignals: [] });
    const result = await worker.runUntil(env.client.workflow.execute('loggingWorkflow', { taskQueue: 'logging', workflowId: 'logging-1', args: [2] }));
    expect(result).toBe('charged order-1');

    const iterations = entries.filter((e) => e.message === 'iteration');
    expect(iterations.map((e) => [e.level, e.meta?.['iteration']])).toEqual([
      ['INFO', 0],
      ['INFO', 1],
    ]);
    expect(iterations[0]?.meta).toMatchObject({ sdkComponent: 'workflow', workflowId: 'logging-1', workflowType: 'loggingWorkflow', taskQueue: 'logging', namespace: 'default' });
    expect(typeof iterations[0]?.timestampNanos).toBe('bigint');

    const charging = entries.filter((e) => e.message === 'charging');
    expect(charging).toHaveLength(1);
    expect(charging[0]?.meta).toMatchObject({
      orderId: 'order-1',
      sdkComponent: 'activity',
      activityType: 'charge',
      workflowId: 'logging-1',
      workflowType: 'loggingWorkflow',
      isLocal: false,
      attempt: 1,
      taskQueue: 'logging',
    });
  });

  it('refuses a second install, as Temporal does', () => {
    expect(() => Runtime.install({})).toThrow(/already been installed/);
    expect(Runtime.instance().logger).toBeInstanceOf(DefaultLogger);
  });
});
