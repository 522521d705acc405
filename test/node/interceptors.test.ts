// Interceptors and headers end to end: a client interceptor puts a `tenant` header on the start,
// signal, query and update; the workflow's interceptors read it and pass it on to the activity and
// the child; the activity's interceptor reads it there. History records each header where
// Temporal does. Plugins bring the same configuration to a client and a worker.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, type ClientPlugin, type WorkflowClientInterceptor } from 'keel/client';
import { defaultPayloadConverter, type WirePayload as Payload } from 'keel/common';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker, type ActivityInterceptorsFactory, type WorkerPlugin } from 'keel/worker';
import type { HistoryEvent } from 'keel/protocol';
import * as activities from './fixtures/header-activities.js';
import { keelHistory } from './fixtures/keel-history.js';
import { finish, headerParent, queryHeader, seenQuery, updateHeader } from './fixtures/header-workflows.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/header-workflows.ts', import.meta.url));
const interceptorModule = fileURLToPath(new URL('./fixtures/header-interceptors.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

const tenantHeader = (tenant: string): Record<string, Payload> => ({ tenant: defaultPayloadConverter.toPayload(tenant) });

/** Puts `tenant: <name>` on every start, signal, query and update, and records each call it saw. */
function tenantInterceptor(tenant: string, calls: string[]): WorkflowClientInterceptor {
  return {
    start: (input, next) => (calls.push('start'), next({ ...input, headers: { ...input.headers, ...tenantHeader(tenant) } })),
    signal: (input, next) => (calls.push(`signal ${input.signalName}`), next({ ...input, headers: { ...input.headers, ...tenantHeader(`${tenant}/signal`) } })),
    query: (input, next) => (calls.push(`query ${input.queryType}`), next({ ...input, headers: { ...input.headers, ...tenantHeader(`${tenant}/query`) } })),
    startUpdate: (input, next) => (calls.push(`update ${input.updateName}`), next({ ...input, headers: { ...input.headers, ...tenantHeader(`${tenant}/update`) } })),
    describe: (input, next) => (calls.push('describe'), next(input)),
  };
}

/** The activity interceptor: hands the activity's `tenant` header to the activity as its argument. */
const tenantToArgs: ActivityInterceptorsFactory = () => ({
  inbound: {
    execute: (input, next) => next({ ...input, args: [input.headers['tenant'] ? defaultPayloadConverter.fromPayload(input.headers['tenant']) : undefined] }),
  },
});

const headerOf = (event: HistoryEvent | undefined) => {
  const header = (event?.attributes as { header?: Record<string, Payload> } | undefined)?.header;
  return header?.['tenant'] ? defaultPayloadConverter.fromPayload<string>(header['tenant']) : undefined;
};

describe('interceptors and headers', () => {
  it('carries a header from the client through the workflow to its activity and child, and records it in history', async () => {
    const taskQueue = 'interceptors';
    const calls: string[] = [];
    const audited: string[] = [];
    const client = new Client({ connection: env.nativeConnection, interceptors: { workflow: [tenantInterceptor('acme', calls)] } });
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath,
      activities,
      interceptors: { workflowModules: [interceptorModule], activity: [tenantToArgs] },
      sinks: { audit: { record: { fn: (info, event: string) => void audited.push(`${info.workflowId}: ${event}`) } } },
      shutdownSignals: [],
    });
    const workflowId = 'interceptors-1';
    const report = await worker.runUntil(async () => {
      const handle = await client.workflow.start(headerParent, { taskQueue, workflowId });
      expect(await handle.query(queryHeader)).toBe('acme/query');
      expect(await handle.executeUpdate(updateHeader)).toBe('acme/update');
      const seen = await handle.query(seenQuery);
      expect(seen.activations).toBeGreaterThan(0);
      expect(seen.commands).toBeGreaterThan(0);
      await handle.signal(finish);
      await handle.describe();
      return handle.result();
    });
    expect(report).toEqual({ start: 'acme', activity: 'activity saw acme', child: 'acme/child', signal: 'acme/signal' });
    expect(calls).toEqual(['start', 'query queryHeader', 'update updateHeader', 'query seen', 'signal finish', 'describe']);
    // The sink ran once, for the live run's call, not again for any replay.
    expect(audited).toEqual([`${workflowId}: done for acme`]);

    const { events } = keelHistory(await env.client.workflow.getHandle(workflowId).fetchHistory());
    const of = (type: string) => events.find((e) => e.eventType === type);
    expect(headerOf(of('WorkflowExecutionStarted'))).toBe('acme');
    expect(headerOf(of('WorkflowExecutionSignaled'))).toBe('acme/signal');
    expect(headerOf(of('ActivityTaskScheduled'))).toBe('acme');
    expect(headerOf(of('StartChildWorkflowExecutionInitiated'))).toBe('acme/child');
    const updateAccepted = of('WorkflowExecutionUpdateAccepted') as { attributes: { acceptedRequest: { input: { header?: Record<string, Payload> } } } } | undefined;
    expect(defaultPayloadConverter.fromPayload(updateAccepted!.attributes.acceptedRequest.input.header!['tenant']!)).toBe('acme/update');
    const childStart = keelHistory(await env.client.workflow.getHandle('header-child').fetchHistory()).events[0];
    expect(headerOf(childStart)).toBe('acme/child');
  });

  it('applies client and worker plugins: their interceptors, modules and sinks, and runWorker around the run', async () => {
    const taskQueue = 'interceptor-plugins';
    const calls: string[] = [];
    const ran: string[] = [];
    const clientPlugin: ClientPlugin = {
      name: 'tenant',
      configureClient: (options) => ({ ...options, interceptors: { workflow: [...(options.interceptors?.workflow ?? []), tenantInterceptor('globex', calls)] } }),
    };
    const workerPlugin: WorkerPlugin = {
      name: 'tenant',
      configureWorker: (options) => ({
        ...options,
        activities,
        interceptors: { workflowModules: [interceptorModule], activity: [tenantToArgs] },
        sinks: { audit: { record: { fn: () => undefined } } },
      }),
      runWorker: async (worker, next) => {
        ran.push('before');
        await next(worker);
        ran.push('after');
      },
    };
    const client = new Client({ connection: env.nativeConnection, plugins: [clientPlugin] });
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, plugins: [workerPlugin], shutdownSignals: [] });
    const report = await worker.runUntil(async () => {
      const handle = await client.workflow.start(headerParent, { taskQueue, workflowId: 'interceptor-plugins-1' });
      await handle.signal(finish);
      return handle.result();
    });
    expect(report).toMatchObject({ start: 'globex', activity: 'activity saw globex', signal: 'globex/signal' });
    expect(ran).toEqual(['before', 'after']);
  });
});
