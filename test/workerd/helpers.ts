/**
 * Drives the service the way any HTTP client would, from inside workerd: every call
 * goes through the Worker's fetch handler, the router and the Durable Objects.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import type { ActivityTask, Command, HistoryEvent, Payload, WorkflowTask } from '../../protocol/index.js';
import type { Env } from '../../src/env.js';
import { taskQueueStub, workflowStub } from '../../src/stubs.js';
import type { WorkflowObject } from '../../src/workflow-object.js';

export const testEnv = env as unknown as Env;
export const NS = 'default';

let counter = 0;
/** A name no other test uses, so each test has its own objects. */
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++counter}`;

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
}

export async function call<T = any>(method: 'GET' | 'POST', path: string, body?: unknown, init?: RequestInit): Promise<ApiAnswer<T>> {
  const url = new URL(`http://keel.test/api/v1/namespaces/${NS}${path}`);
  if (method === 'GET' && body) for (const [k, v] of Object.entries(body)) url.searchParams.set(k, String(v));
  const res = await (exports as unknown as { default: Fetcher }).default.fetch(url, {
    method,
    ...(method === 'POST' ? { body: typeof body === 'string' ? body : JSON.stringify(body ?? {}), headers: { 'content-type': 'application/json' } } : {}),
    ...init,
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** Calls and expects a 200; throws with the error body otherwise. */
export async function ok<T = any>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const r = await call<T>(method, path, body);
  if (r.status !== 200) throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

export const json = (value: unknown): Payload => ({ metadata: { encoding: btoa('json/plain') }, data: btoa(JSON.stringify(value)) });
export const fromJson = (p: Payload | undefined): unknown => (p ? JSON.parse(atob(p.data)) : undefined);

export function startWorkflow(workflowId: string, taskQueue: string, extra: Record<string, unknown> = {}) {
  return ok<{ runId: string; started: boolean }>('POST', '/workflows', { workflowId, workflowType: 'order', taskQueue, input: [json('x')], ...extra });
}

/** Polls a workflow task; the queue object is asked directly so the test can choose how long to wait. */
export async function pollWorkflowTask(taskQueue: string, waitMs = 5000, identity = 'test-worker'): Promise<WorkflowTask | undefined> {
  await settleAll();
  const started = await taskQueueStub(testEnv, NS, taskQueue, 'workflow').poll(identity, waitMs);
  return started?.kind === 'workflow' ? started.task : undefined;
}

export async function pollActivityTask(taskQueue: string, waitMs = 5000, identity = 'test-worker'): Promise<ActivityTask | undefined> {
  await settleAll();
  const started = await taskQueueStub(testEnv, NS, taskQueue, 'activity').poll(identity, waitMs);
  return started?.kind === 'activity' ? started.task : undefined;
}

export const completeWorkflowTask = (taskToken: string, commands: Command[], extra: Record<string, unknown> = {}) =>
  ok('POST', '/workflow-tasks/complete', { taskToken, commands, identity: 'test-worker', ...extra });

export async function history(workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  const r = await ok<{ events: HistoryEvent[] }>('GET', `/workflows/${encodeURIComponent(workflowId)}/history`, runId ? { runId } : {});
  return r.events;
}

export const eventTypes = (events: HistoryEvent[]) => events.map((e) => e.eventType);

export const wfStub = (workflowId: string) => workflowStub(testEnv, NS, workflowId);

const touched = new Set<string>();
/** Waits until every outbox row of the object is handed to its queue. */
export async function settle(workflowId: string): Promise<void> {
  touched.add(workflowId);
  await runInDurableObject(wfStub(workflowId), (o: WorkflowObject) => o.deliverOutbox());
}
async function settleAll(): Promise<void> {
  await Promise.all([...touched].map((id) => runInDurableObject(wfStub(id), (o: WorkflowObject) => o.deliverOutbox())));
}

/** Moves the object's clock forward and runs its alarm, as if that much time had passed. */
export async function advance(workflowId: string, ms: number): Promise<void> {
  touched.add(workflowId);
  const stub = wfStub(workflowId);
  await runInDurableObject(stub, (o: WorkflowObject) => o.clock.advance(ms));
  await runDurableObjectAlarm(stub);
  await settle(workflowId);
}

/** Reads a run's stored state, for assertions on what history does not show. */
export function runState(workflowId: string, runId: string) {
  return runInDurableObject(wfStub(workflowId), (_o: WorkflowObject, state) => {
    const row = state.storage.sql.exec<{ state: string }>('SELECT state FROM runs WHERE run_id = ?', runId).toArray()[0];
    return row ? JSON.parse(row.state) : undefined;
  });
}
