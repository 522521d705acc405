// client.workflow.list and count end to end: runs started and closed through the SDK are found
// by Temporal's list filters in the local service's visibility store — the rows of its 16 workflow
// shards (keel dev's layout), each written with its change, listed and counted across the shards as
// soon as the call that changed them answered — which survives a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, KeelServiceError, type WorkflowExecutionInfo } from 'keel/client';
import { TestWorkflowEnvironment, startLocalService } from 'keel/testing';
import { Worker } from 'keel/worker';
import * as activities from './fixtures/activities.js';
import { approval, hello } from './fixtures/workflows.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

async function all(iterable: AsyncIterable<WorkflowExecutionInfo>): Promise<WorkflowExecutionInfo[]> {
  const out: WorkflowExecutionInfo[] = [];
  for await (const wf of iterable) out.push(wf);
  return out;
}

describe('client.workflow.list and count', () => {
  it('finds runs by type, status and search attributes, pages through them, and counts them by status', async () => {
    const taskQueue = 'visibility';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, shutdownSignals: [] });
    await worker.runUntil(async () => {
      for (const name of ['ada', 'bob', 'cy']) {
        await env.client.workflow.execute(hello, { taskQueue, workflowId: `vis-hello-${name}`, args: [name], searchAttributes: { Customer: name } });
      }
      const waiting = await env.client.workflow.start(approval, {
        taskQueue,
        workflowId: 'vis-approval-1',
        memo: { note: { text: 'needs a human' } },
        // Temporal's deprecated untyped form: every value an array.
        searchAttributes: { Customer: ['ada'], Priority: [7], Tags: ['urgent', 'eu'] },
      });
      const stopped = await env.client.workflow.start(approval, { taskQueue, workflowId: 'vis-approval-2' });
      await stopped.terminate('not needed');

      // Each summary was written in its change's transaction, in its workflow's shard: no waiting.
      expect((await env.client.workflow.count('GROUP BY ExecutionStatus')).groups).toEqual([
        { count: 3, groupValues: ['Completed'] },
        { count: 1, groupValues: ['Running'] },
        { count: 1, groupValues: ['Terminated'] },
      ]);

      // Newest start first; the two approvals may share a millisecond, so their order is the run ids'.
      const listed = await all(env.client.workflow.list({ pageSize: 2 }));
      expect(listed.map((w) => w.workflowId).slice(2)).toEqual(['vis-hello-cy', 'vis-hello-bob', 'vis-hello-ada']);
      expect(new Set(listed.slice(0, 2).map((w) => w.workflowId))).toEqual(new Set(['vis-approval-1', 'vis-approval-2']));
      expect(listed.map((w) => w.startTime.getTime())).toEqual(listed.map((w) => w.startTime.getTime()).sort((a, b) => b - a));
      const running = listed.find((w) => w.workflowId === 'vis-approval-1')!;
      expect(running).toMatchObject({
        type: 'approval',
        runId: waiting.firstExecutionRunId,
        taskQueue,
        status: { name: 'RUNNING' },
        memo: { note: { text: 'needs a human' } },
        // Temporal's deprecated untyped form: every value an array.
        searchAttributes: { Customer: ['ada'], Priority: [7], Tags: ['urgent', 'eu'] },
      });
      expect(running.startTime).toBeInstanceOf(Date);
      expect(running.closeTime).toBeUndefined();
      const done = listed[4]!;
      expect(done).toMatchObject({ type: 'hello', status: { name: 'COMPLETED' } });
      expect(done.closeTime!.getTime()).toBeGreaterThanOrEqual(done.startTime.getTime());
      expect(done.historyLength).toBe((await env.client.workflow.getHandle(done.workflowId).fetchHistory().then(keelHistory)).events.length);

      const ids = async (query: string) => (await all(env.client.workflow.list({ query }))).map((w) => w.workflowId);
      expect(await ids("WorkflowType = 'approval' AND ExecutionStatus = 'Running'")).toEqual(['vis-approval-1']);
      expect(await ids("Customer = 'ada'")).toEqual(['vis-approval-1', 'vis-hello-ada']);
      expect(await ids("Tags = 'urgent' OR Priority > 100")).toEqual(['vis-approval-1']);
      expect(await ids("WorkflowId STARTS_WITH 'vis-hello-' ORDER BY WorkflowId ASC")).toEqual(['vis-hello-ada', 'vis-hello-bob', 'vis-hello-cy']);
      expect(await ids("ExecutionStatus = 'Terminated' AND CloseTime IS NOT NULL")).toEqual(['vis-approval-2']);

      expect(await env.client.workflow.count()).toEqual({ count: 5, groups: [] });
      expect(await env.client.workflow.count("WorkflowType = 'hello'")).toEqual({ count: 3, groups: [] });

      const histories = [];
      for await (const h of env.client.workflow.list({ query: "WorkflowType = 'hello'" }).intoHistories()) histories.push(h);
      expect(histories.map((h) => h.workflowId)).toEqual(['vis-hello-cy', 'vis-hello-bob', 'vis-hello-ada']);
      expect(histories.every((h) => h.history.events.at(-1)?.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED')).toBe(true);

      await waiting.terminate();
    });
  });

  it('rejects a bad filter with INVALID_ARGUMENT pointing at the offending position', async () => {
    const error = await all(env.client.workflow.list({ query: "ExecutionStatus = 'Runing'" })).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(KeelServiceError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', status: 400, details: { offset: 18 } });
    expect((error as Error).message).toContain("ExecutionStatus has no value 'Runing'");
    expect((error as Error).message).toContain("\n  ExecutionStatus = 'Runing'\n                    ^");
    await expect(env.client.workflow.count('WorkflowType =')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { offset: 14 } });
  });
});

describe('the local service keeps its visibility store in the data directory', () => {
  it('lists a run started before a restart', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'keel-visibility-'));
    try {
      let service = await startLocalService({ dataDir });
      let client = new Client({ address: service.address });
      const handle = await client.workflow.start('nobodyRunsThis', { taskQueue: 'nowhere', workflowId: 'kept', searchAttributes: { Kept: true } });
      // Listed as soon as the start answered (its summary was written in the start's transaction).
      expect((await client.workflow.count('Kept = true')).count).toBe(1);
      await client.connection.close();
      await service.stop();

      // The same data directory: migrations are not applied twice, and the summary is there.
      service = await startLocalService({ dataDir });
      client = new Client({ address: service.address });
      const listed = await all(client.workflow.list({ query: 'Kept = true' }));
      expect(listed.map((w) => [w.workflowId, w.runId, w.status.name])).toEqual([['kept', handle.firstExecutionRunId, 'RUNNING']]);
      await client.connection.close();
      await service.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
