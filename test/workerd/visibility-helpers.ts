/**
 * Helpers of the visibility suite. Each test works in a namespace of its own, so that
 * what it lists and counts is exactly what it started, whatever other suites write to the
 * shared D1 database meanwhile.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import type { Command, Payload, ResponseOf } from '../../protocol/index.js';
import { taskQueueStub, workflowStub } from '../../src/stubs.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { testEnv, unique, type ApiAnswer, inWorkflow, wfObject, fireAlarm } from './helpers.js';

export type ListAnswer = ResponseOf<'listWorkflows'>;
export type CountAnswer = ResponseOf<'countWorkflows'>;

const fetcher = () => (exports as unknown as { default: Fetcher }).default;

/** A namespace of the visibility suite: its own executions, and calls that stay in it. */
export class Space {
  readonly ns = unique('vis');
  private readonly queuePrefix = unique('vis-tq');

  /** Each workflow id has a task queue of its own, so a test takes exactly the task it means. */
  queueOf(workflowId: string): string {
    return `${this.queuePrefix}-${workflowId}`;
  }

  async call<T = any>(method: 'GET' | 'POST', path: string, body?: Record<string, unknown>): Promise<ApiAnswer<T>> {
    const url = new URL(`http://keel.test/api/v1/namespaces/${encodeURIComponent(this.ns)}${path}`);
    if (method === 'GET') for (const [k, v] of Object.entries(body ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const res = await fetcher().fetch(url, {
      method,
      ...(method === 'POST' ? { body: JSON.stringify(body ?? {}), headers: { 'content-type': 'application/json' } } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  async ok<T = any>(method: 'GET' | 'POST', path: string, body?: Record<string, unknown>): Promise<T> {
    const r = await this.call<T>(method, path, body);
    if (r.status !== 200) throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  stub(workflowId: string) {
    return workflowStub(testEnv, this.ns, workflowId);
  }

  /**
   * Waits until the object has handed every task and summary on (with an object per workflow, the D1
   * write included; in a shard the summary was written with its change). A running run's summary
   * waits up to RUNNING_SUMMARY_DELAY_MS (src/visibility/outbox.ts): the object's clock is moved to
   * when it is due and its alarm run, as that much time passing would.
   */
  async settle(workflowId: string): Promise<void> {
    await inWorkflow(this.ns, workflowId, (o: WorkflowHost) => o.deliverOutbox());
    const wait = await inWorkflow(this.ns, workflowId, (o: WorkflowHost) => {
      const due = o.visibility.earliestDue();
      return due === undefined ? 0 : Math.max(0, due - o.clock.now());
    });
    if (wait === 0) return;
    // Once: a summary whose write failed waits for its back-off, which a test moves to itself.
    await inWorkflow(this.ns, workflowId, (o: WorkflowHost) => o.clock.advance(wait));
    await fireAlarm(workflowId, this.ns);
    await inWorkflow(this.ns, workflowId, (o: WorkflowHost) => o.deliverOutbox());
  }

  /**
   * Starts a run and waits for its summary to reach D1. `minutesLater` moves the object's
   * clock first, so that runs have start times a test can order by.
   */
  async start(workflowId: string, options: { type?: string; taskQueue?: string; minutesLater?: number; memo?: Record<string, Payload>; searchAttributes?: Record<string, unknown>; startDelayMs?: number; workflowRunTimeoutMs?: number } = {}) {
    const { type = 'order', taskQueue = this.queueOf(workflowId), minutesLater = 0, ...extra } = options;
    if (minutesLater) await inWorkflow(this.ns, workflowId, (o: WorkflowHost) => o.clock.advance(minutesLater * 60_000));
    const { runId } = await this.ok<{ runId: string }>('POST', '/workflows', { workflowId, workflowType: type, taskQueue, input: [], ...extra });
    await this.settle(workflowId);
    return runId;
  }

  /** Takes the workflow's next workflow task and completes it with `commands`, then settles its object. */
  async completeTask(workflowId: string, commands: Command[]): Promise<void> {
    const started = await taskQueueStub(testEnv, this.ns, this.queueOf(workflowId), 'workflow').poll('vis-worker', 2000);
    if (started?.kind !== 'workflow') throw new Error(`no workflow task for ${workflowId}`);
    await this.ok('POST', '/workflow-tasks/complete', { taskToken: started.task.taskToken, commands, identity: 'vis-worker' });
    await this.settle(workflowId);
  }

  /** Moves the object's clock forward and runs its alarm, as if that much time had passed. */
  async advance(workflowId: string, ms: number): Promise<void> {
    await inWorkflow(this.ns, workflowId, (o: WorkflowHost) => o.clock.advance(ms));
    await fireAlarm(workflowId, this.ns);
    await this.settle(workflowId);
  }

  async terminate(workflowId: string): Promise<void> {
    await this.ok('POST', `/workflows/${encodeURIComponent(workflowId)}/terminate`, { reason: 'test' });
    await this.settle(workflowId);
  }

  list(query?: string, extra: { pageSize?: number; nextPageToken?: string } = {}): Promise<ListAnswer> {
    return this.ok<ListAnswer>('GET', '/workflows', { query, ...extra });
  }

  /** The workflow ids a filter lists, in the order listed. */
  async ids(query?: string): Promise<string[]> {
    return (await this.list(query)).executions.map((e) => e.execution.workflowId);
  }

  count(query?: string, groupBy?: 'ExecutionStatus'): Promise<CountAnswer> {
    return this.ok<CountAnswer>('GET', '/workflow-count', { query, groupBy });
  }
}

/** Commands that close a run. */
/** A namespace of its own, registered with `retentionMs` (the retention suites). */
export async function spaceWithRetention(retentionMs: number): Promise<Space> {
  const s = new Space();
  const r = await fetcher().fetch('http://keel.test/api/v1/namespaces', { method: 'POST', body: JSON.stringify({ name: s.ns, retentionMs }), headers: { 'content-type': 'application/json' } });
  if (r.status !== 200) throw new Error(`registering namespace ${s.ns} answered ${r.status}: ${await r.text()}`);
  return s;
}

export const complete: Command[] = [{ type: 'CompleteWorkflowExecution' }];
export const fail: Command[] = [{ type: 'FailWorkflowExecution', failure: { message: 'boom' } }];
