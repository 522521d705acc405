/**
 * Hostile input (issue 12): every bad number, size or token is a coded 4xx that writes nothing,
 * and no row — not even one written before the bounds existed — can break list, count or describe
 * for the namespace. Per-run limits and the history's byte limit are enforced with clear errors.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { Limits, type Command } from '../../protocol/index.js';
import { signTaskToken } from '../../src/task-token.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { StateTable } from '../../src/storage/state-table.js';
import type { WorkflowStore } from '../../src/storage/workflow-store.js';
import { runKey } from '../../src/storage/run-rows.js';
import { VISIBILITY_TABLE } from '../../src/visibility/list-entry.js';
import { workflowShards } from '../../src/workflow-shards.js';
import { workflowObjectStub } from '../../src/stubs.js';
import { NS, call, completeWorkflowTask, expectError, fetchService, getDescription, json, ok, pollWorkflowTask, sendSignal, settle, startAndTakeFirstTask, startWorkflow, storedState, testEnv, unique, wfStub, inWorkflow, hostStorage } from './helpers.js';

const post = async (path: string, body: BodyInit, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
  const res = await fetchService(`/api/v1/namespaces/${NS}${path}`, { method: 'POST', body, headers });
  return { status: res.status, body: await res.json() };
};

const huge = [9e15, 1e308, Number.MAX_SAFE_INTEGER, Limits.maxDurationMs + 1];

describe('numbers that become times are bounded', () => {
  it('refuses every huge duration of a start with INVALID_ARGUMENT, and starts nothing', async () => {
    const fields: Array<Record<string, unknown>> = [
      ...huge.map((n) => ({ startDelayMs: n })),
      ...huge.map((n) => ({ workflowExecutionTimeoutMs: n })),
      ...huge.map((n) => ({ workflowRunTimeoutMs: n })),
      { retryPolicy: { initialIntervalMs: 9e15 } },
      { retryPolicy: { maximumIntervalMs: 9e15 } },
      { retryPolicy: { backoffCoefficient: 1e308 } },
      { retryPolicy: { backoffCoefficient: Limits.maxBackoffCoefficient + 1 } },
    ];
    for (const extra of fields) {
      const wid = unique('huge');
      const r = await call('POST', '/workflows', { workflowId: wid, workflowType: 't', taskQueue: 'q', ...extra });
      expectError(r, 'INVALID_ARGUMENT');
      expectError(await call('GET', `/workflows/${wid}`), 'WORKFLOW_NOT_FOUND');
    }
  });

  it('refuses huge durations in commands and failures, and the completion writes nothing', async () => {
    const commands: Command[][] = [
      [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 9e15 }],
      [{ type: 'ScheduleActivityTask', activityId: 'a', activityType: 'x', input: [], startToCloseTimeoutMs: 9e15 }],
      [{ type: 'ScheduleActivityTask', activityId: 'a', activityType: 'x', input: [], startToCloseTimeoutMs: 1000, heartbeatTimeoutMs: 9e15 }],
      [{ type: 'ScheduleActivityTask', activityId: 'a', activityType: 'x', input: [], startToCloseTimeoutMs: 1000, retryPolicy: { backoffCoefficient: 1e308 } }],
      [{ type: 'ContinueAsNewWorkflowExecution', input: [], backoffStartIntervalMs: 9e15 }],
      [{ type: 'FailWorkflowExecution', failure: { message: 'x', applicationFailureInfo: { nextRetryDelayMs: 9e15 } } }],
    ];
    const { workflowId, task } = await startAndTakeFirstTask('huge-cmd');
    await settle(workflowId);
    const before = await storedState(workflowId);
    for (const c of commands) expectError(await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands: c }), 'INVALID_ARGUMENT');
    expect(await storedState(workflowId)).toEqual(before);
  });

  it('takes a page size only as decimal digits within its limit', async () => {
    for (const pageSize of ['1e3', '0x10', ' 5', 'Infinity', '-1', '0', '1001', '99999999999']) {
      expectError(await call('GET', '/workflows', { pageSize }), 'INVALID_ARGUMENT');
    }
    expect((await call('GET', '/workflows', { pageSize: '1000' })).status).toBe(200);
  });
});

/**
 * Writes a run's row straight into the visibility store (as a row from before the bounds, or a bug,
 * would be): in D1, or in the shard its workflow id hashes to when workflows are kept in shards.
 */
async function plantSummary(ns: string, row: Record<string, string | number | null>): Promise<void> {
  const insert = (table: string, values: Record<string, string | number | null>) => {
    const columns = Object.keys(values);
    return [`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, ...Object.values(values)] as const;
  };
  if (workflowShards(testEnv) === 0) {
    const [sql, ...values] = insert('executions', { namespace: ns, ...row, version: 1 });
    await testEnv.VISIBILITY!.prepare(sql).bind(...values).run();
    return;
  }
  await runInDurableObject(workflowObjectStub(testEnv, ns, String(row.workflow_id)), (_o, state) => {
    state.storage.sql.exec(VISIBILITY_TABLE);
    state.storage.sql.exec(...insert('visibility', row));
  });
}

describe('no row poisons a namespace', () => {
  it('keeps list, count and describe answering 200 with a summary of edge values in the store', async () => {
    const ns = unique('poisoned');
    // As a row written before the bounds (or by a bug) would be: times past what Date can show, unreadable JSON.
    for (const [i, t] of [9e15, -9e15, 8.64e15 + 1, 0].entries()) {
      await plantSummary(ns, {
        run_id: `run-${i}`, workflow_id: `wf-${i}`, workflow_type: 't', task_queue: 'q', status: 'TERMINATED', start_time: t, execution_time: t, close_time: t,
        history_length: 3, first_run_id: `run-${i}`, memo: i === 0 ? '{not json' : null, search_attributes: i === 1 ? 'null' : null,
      });
    }
    const list = await fetchService(`/api/v1/namespaces/${ns}/workflows`);
    expect(list.status).toBe(200);
    expect(((await list.json()) as { executions: unknown[] }).executions).toHaveLength(4);
    expect((await fetchService(`/api/v1/namespaces/${ns}/workflow-count`)).status).toBe(200);
    expect((await fetchService(`/api/v1/namespaces/${ns}/workflows?query=${encodeURIComponent("ExecutionStatus = 'Terminated' ORDER BY StartTime")}`)).status).toBe(200);
  });

  it('ends a list page early, with a token, rather than answer more than a page of bytes', async () => {
    const ns = unique('big-memos');
    // Rows as a memo written before the memo limit could be: 1 MB each, six of them.
    for (let i = 0; i < 6; i++) {
      await plantSummary(ns, {
        run_id: `run-${i}`, workflow_id: `wf-${i}`, workflow_type: 't', task_queue: 'q', status: 'RUNNING', start_time: 1000 + i, execution_time: 1000 + i,
        history_length: 1, first_run_id: `run-${i}`, memo: JSON.stringify({ big: { metadata: {}, data: 'm'.repeat(1_000_000) } }),
      });
    }
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const res = await fetchService(`/api/v1/namespaces/${ns}/workflows?pageSize=100${token ? `&nextPageToken=${encodeURIComponent(token)}` : ''}`);
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(text.length).toBeLessThanOrEqual(Limits.maxListPageBytes + 1_100_000);
      const page = JSON.parse(text) as { executions: Array<{ execution: { workflowId: string } }>; nextPageToken?: string };
      expect(page.executions.length).toBeLessThan(6);
      seen.push(...page.executions.map((e) => e.execution.workflowId));
      token = page.nextPageToken;
    } while (token);
    expect(seen.sort()).toEqual(['wf-0', 'wf-1', 'wf-2', 'wf-3', 'wf-4', 'wf-5']);
  });

  it('describes a run whose stored state carries times outside what Date can show', async () => {
    const wid = unique('poisoned-run');
    const { runId } = await startWorkflow(wid, unique('tq'));
    await inWorkflow(NS, wid, (o: WorkflowHost, state) => {
      const rows = new StateTable(state.storage.sql, [], hostStorage(o).scope, undefined, hostStorage(o).tables);
      const row = rows.get(runKey(runId))!;
      const run = JSON.parse(row.v);
      Object.assign(run, { executionTime: 9e15, executionDeadline: 9e15, runDeadline: 9e15 });
      rows.put(row.k, JSON.stringify(run), row.n);
      // The object keeps what it last read in memory: make it read the planted row.
      (o as unknown as { store: { forget(): void } }).store.forget();
    });
    expect((await call('GET', `/workflows/${wid}`)).status).toBe(200);
    expect((await call('POST', `/workflows/${wid}/terminate`, {})).status).toBe(200);
  });
});

describe('bodies, filters and tokens', () => {
  it('answers 413 PAYLOAD_TOO_LARGE for a body over the limit, declared or streamed, without dropping the connection', async () => {
    const big = 'x'.repeat(Limits.maxRequestBytes + 1);
    expectError(await post('/workflows', big), 'PAYLOAD_TOO_LARGE');
    expectError(await post('/workflows', 'x'.repeat(8 * 1024 * 1024)), 'PAYLOAD_TOO_LARGE');
  });

  it('answers 413 for a payload too big for one stored event, and starts nothing', async () => {
    const wid = unique('big-event');
    const data = btoa('a'.repeat(1_500_000)) + '';
    const r = await call('POST', '/workflows', { workflowId: wid, workflowType: 't', taskQueue: 'q', input: [{ metadata: {}, data }] });
    expectError(r, 'PAYLOAD_TOO_LARGE', /one stored row is at most/);
    expectError(await call('GET', `/workflows/${wid}`), 'WORKFLOW_NOT_FOUND');
  });

  it('refuses bodies that are not application/json with 415, so no cross-site form can send one', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) {
      const wid = unique('form');
      const headers: Record<string, string> = type ? { 'content-type': type } : {};
      expectError(await post('/workflows', JSON.stringify({ workflowId: wid, workflowType: 't', taskQueue: 'q' }), headers), 'UNSUPPORTED_MEDIA_TYPE');
      expectError(await call('GET', `/workflows/${wid}`), 'WORKFLOW_NOT_FOUND');
    }
  });

  it('refuses filters too deep or with too many conditions with a clear INVALID_ARGUMENT', async () => {
    const deep = '('.repeat(4000) + "WorkflowId = 'a'" + ')'.repeat(4000);
    expectError(await call('GET', '/workflows', { query: deep }), 'INVALID_ARGUMENT', /nest more than 32 deep/);
    const wide = Array.from({ length: 400 }, (_, i) => `WorkflowId = 'w${i}'`).join(' OR ');
    expectError(await call('GET', '/workflow-count', { query: wide }), 'INVALID_ARGUMENT', /more than 100 conditions/);
  });

  it('refuses a signed token whose body is not JSON, is null or lacks its fields, with INVALID_TASK_TOKEN', async () => {
    const sign = async (body: string) => {
      // Signs an arbitrary body the way the service signs its own (the dev secret of this test service).
      const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('keel-dev-secret: set KEEL_TOKEN_SECRET in production'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      const bytes = new TextEncoder().encode(body);
      return `${b64(bytes)}.${b64(new Uint8Array(await crypto.subtle.sign('HMAC', key, bytes)))}`;
    };
    // The helper signs as the service does: a token it makes for real data verifies.
    const real = await signTaskToken({ namespace: NS, workflowId: 'x', runId: 'r', kind: 'workflow', scheduledEventId: 1, attempt: 1, startedEventId: 2 }, testEnv.KEEL_TOKEN_SECRET);
    expect(real).toBe(await sign(JSON.stringify({ namespace: NS, workflowId: 'x', runId: 'r', kind: 'workflow', scheduledEventId: 1, attempt: 1, startedEventId: 2 })));
    for (const body of ['not json', 'null', '42', '"s"', '[]', '{}', JSON.stringify({ namespace: NS, kind: 'workflow' })]) {
      expectError(await call('POST', '/workflow-tasks/complete', { taskToken: await sign(body), commands: [] }), 'INVALID_TASK_TOKEN', /malformed body/);
    }
  });
});

describe('per-run limits', () => {
  it('refuses a completion with 5,000 activities and 5,000 timers with LIMIT_EXCEEDED, and writes nothing', async () => {
    const { workflowId, task } = await startAndTakeFirstTask('many');
    await settle(workflowId);
    const before = await storedState(workflowId);
    const commands: Command[] = [
      ...Array.from({ length: 5000 }, (_, i): Command => ({ type: 'ScheduleActivityTask', activityId: `a${i}`, activityType: 'x', input: [], startToCloseTimeoutMs: 1000 })),
      ...Array.from({ length: 5000 }, (_, i): Command => ({ type: 'StartTimer', timerId: `t${i}`, startToFireTimeoutMs: 1000 })),
    ];
    const err = expectError(await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands }), 'LIMIT_EXCEEDED', /more than 2000 pending activities/);
    expect(err.details).toMatchObject({ index: 2000, limit: 'maxPending.activities', max: 2000 });
    expect(await storedState(workflowId)).toEqual(before);
    // Timers alone, one over the limit.
    const timers = Array.from({ length: Limits.maxPendingPerKind + 1 }, (_, i): Command => ({ type: 'StartTimer', timerId: `t${i}`, startToFireTimeoutMs: 1000 }));
    expectError(await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands: timers }), 'LIMIT_EXCEEDED', /pending timers/);
    // Up to the limit is taken.
    await completeWorkflowTask(task.taskToken, timers.slice(0, Limits.maxPendingPerKind));
  });

  it('refuses a memo or search attributes over their size', async () => {
    const memo = { big: json('m'.repeat(Limits.maxMemoBytes)) };
    expectError(await call('POST', '/workflows', { workflowId: unique('memo'), workflowType: 't', taskQueue: 'q', memo }), 'INVALID_ARGUMENT', /memo is over/);
    const searchAttributes = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`K${i}`, 'v']));
    expectError(await call('POST', '/workflows', { workflowId: unique('sa'), workflowType: 't', taskQueue: 'q', searchAttributes }), 'INVALID_ARGUMENT', /more than 100 search attributes/);
  });
});

describe('history size', () => {
  it('serves a workflow task whose history is bigger than one answer in pages, ending with the task started event', { timeout: 60_000 }, async () => {
    const { workflowId, task } = await startAndTakeFirstTask('paged');
    await completeWorkflowTask(task.taskToken, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 60_000 }]);
    // Five signals of ~1.2 MB: about 6 MB of history, more than one answer carries.
    const payload = { metadata: {}, data: btoa('s'.repeat(900_000)) };
    for (let i = 0; i < 5; i++) await sendSignal(workflowId, `s${i}`, [payload]);
    const next = (await pollWorkflowTask((await getDescription(workflowId)).taskQueue))!;
    expect(next.nextPageToken).toBeDefined();
    expect(next.historySizeBytes).toBeGreaterThan(5_000_000);
    const events = [...next.history];
    let token = next.nextPageToken;
    while (token) {
      const page = await ok('GET', `/workflows/${workflowId}/history`, { runId: next.workflowExecution.runId, nextPageToken: token });
      events.push(...page.events);
      token = page.nextPageToken;
    }
    expect(events.map((e) => e.eventId)).toEqual(Array.from({ length: next.startedEventId }, (_, i) => i + 1));
    expect(events.at(-1)!.eventType).toBe('WorkflowTaskStarted');
    await completeWorkflowTask(next.taskToken, [{ type: 'CompleteWorkflowExecution' }]);
    expect((await getDescription(workflowId)).status).toBe('COMPLETED');
  });

  it('suggests continue-as-new past the warning size and terminates the run past the limit', { timeout: 120_000 }, async () => {
    const { workflowId, task } = await startAndTakeFirstTask('history-bytes');
    await completeWorkflowTask(task.taskToken, []);
    const payload = { metadata: {}, data: btoa('s'.repeat(1_300_000)) };
    // ~1.7 MB a signal: past 10 MB after 6, past 50 MB after 30.
    let n = 0;
    while (n < 7) await sendSignal(workflowId, `s${n++}`, [payload]);
    const warned = (await pollWorkflowTask((await getDescription(workflowId)).taskQueue))!;
    expect(warned.continueAsNewSuggested).toBe(true);
    const started = (await ok('GET', `/workflows/${workflowId}/history`, { runId: warned.workflowExecution.runId, nextPageToken: String(warned.startedEventId) })).events[0];
    expect(started.attributes).toMatchObject({ suggestContinueAsNew: true, historySizeBytes: expect.any(Number) });
    await completeWorkflowTask(warned.taskToken, []);
    while ((await getDescription(workflowId)).status === 'RUNNING' && n < 40) {
      const r = await call('POST', `/workflows/${workflowId}/signal`, { signalName: `s${n++}`, input: [payload] });
      if (r.status !== 200) expectError(r, 'WORKFLOW_NOT_RUNNING');
    }
    const described = await getDescription(workflowId);
    expect(described.status).toBe('TERMINATED');
    expect(n).toBeGreaterThan(25);
    const terminated = await inWorkflow(NS, workflowId, (o: WorkflowHost) => {
      // The termination, read from the store (the history is too long to page through here).
      const store = (o as unknown as { store: WorkflowStore }).store;
      const runId = store.currentRunId()!;
      return { attrs: JSON.stringify(store.readEvents(runId, 1).find((e) => e.eventType === 'WorkflowExecutionTerminated')?.attributes) };
    });
    expect(terminated.attrs).toContain(`over the limit of ${Limits.historySizeLimitBytes}: continue as new`);
  });
});
