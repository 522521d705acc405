/**
 * Design invariant 5: a bad request gets a 4xx with a machine-readable code (with the
 * HTTP status the protocol's table gives it), a message that says what to change, and
 * changes nothing. Every code the service answers with is provoked here at least once,
 * and the workflow's stored state is compared before and after.
 */
import { describe, expect, it } from 'vitest';
import { ErrorStatus, Limits, type ErrorCode } from '../../protocol/index.js';
import {
  call,
  completeWorkflowTask,
  expectError,
  fetchService,
  history,
  json,
  ok,
  pollActivityTask,
  pollWorkflowTask,
  settle,
  startAndCompleteFirstTask,
  startWorkflow,
  storedState,
  unique,
  type ApiAnswer,
} from './helpers.js';

/** Answers from a raw request, for bodies and paths the `call` helper would not send. */
async function answer(res: Response): Promise<ApiAnswer> {
  return { status: res.status, body: await res.json() };
}

const post = (path: string, body: BodyInit) =>
  fetchService(`/api/v1/namespaces/default${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then(answer);

/** A running workflow whose first task a worker holds, with what it stored so far. */
async function heldTask() {
  const wid = unique('err');
  const tq = unique('tq');
  const { runId } = await startWorkflow(wid, tq);
  const task = (await pollWorkflowTask(tq))!;
  await settle(wid);
  return { wid, tq, runId, task, before: await storedState(wid) };
}

/** A running workflow with one started activity. */
async function heldActivity() {
  const wid = unique('err-act');
  const tq = unique('tq');
  const { runId } = await startAndCompleteFirstTask(wid, tq, [
    { type: 'ScheduleActivityTask', activityId: 'a1', activityType: 'charge', startToCloseTimeoutMs: 60_000, retryPolicy: { maximumAttempts: 1 } },
  ]);
  const activity = (await pollActivityTask(tq))!;
  await settle(wid);
  return { wid, tq, runId, activity, before: await storedState(wid) };
}

describe('malformed requests', () => {
  it('INVALID_JSON: a body that is not JSON is refused with 400 and changes nothing', async () => {
    const { wid, before } = await heldTask();
    expectError(await post(`/workflows/${wid}/signal`, '{"signalName": "approve",'), 'INVALID_JSON', /not valid JSON.*send a JSON object/);
    expect(await storedState(wid)).toEqual(before);
  });

  it('INVALID_ARGUMENT: a missing field is named in details.issues, and nothing is started', async () => {
    const wid = unique('err-missing');
    const err = expectError(await call('POST', '/workflows', { workflowId: wid, taskQueue: 'q' }), 'INVALID_ARGUMENT', /workflowType/);
    expect(err.details.issues).toEqual([{ path: 'workflowType', message: expect.any(String) }]);
    expectError(await call('GET', `/workflows/${wid}`), 'WORKFLOW_NOT_FOUND');
  });

  it('INVALID_ARGUMENT: a field of the wrong type, or a bad nested value, is named by its path', async () => {
    const { wid, before } = await heldTask();
    let err = expectError(await call('POST', `/workflows/${wid}/signal`, { signalName: 42 }), 'INVALID_ARGUMENT', /signalName/);
    expect(err.details.issues).toEqual([{ path: 'signalName', message: expect.stringMatching(/string/) }]);
    err = expectError(await call('POST', `/workflows/${wid}/signal`, { signalName: 's', input: [{ data: 'not base64!' }] }), 'INVALID_ARGUMENT', /input\.0\.data: must be base64/);
    expect(err.details.issues).toEqual([{ path: 'input.0.data', message: 'must be base64' }]);
    err = expectError(await call('POST', '/workflows', { workflowId: wid, workflowType: 'order', taskQueue: 7, workflowTaskTimeoutMs: 500_000 }), 'INVALID_ARGUMENT');
    expect(err.details.issues.map((i: { path: string }) => i.path).sort()).toEqual(['taskQueue', 'workflowTaskTimeoutMs']);
    expect(await storedState(wid)).toEqual(before);
  });

  it('INVALID_ARGUMENT: query-string fields and names over their limit are checked too', async () => {
    const { wid, before } = await heldTask();
    expectError(await call('GET', `/workflows/${wid}/history`, { pageSize: 'ten' }), 'INVALID_ARGUMENT', /pageSize/);
    expectError(await call('GET', `/workflows/${wid}/history`, { pageSize: Limits.maxHistoryPageSize + 1 }), 'INVALID_ARGUMENT', /pageSize/);
    expectError(await call('GET', `/workflows/${wid}/history`, { nextPageToken: 'abc' }), 'INVALID_ARGUMENT', /nextPageToken 'abc'.*pass back the token/);
    expectError(await call('GET', `/workflows/${wid}/history`, { waitNewEvent: 'maybe' }), 'INVALID_ARGUMENT', /waitNewEvent/);
    expectError(await call('GET', '/task-queues/q', { kind: 'nexus' }), 'INVALID_ARGUMENT', /kind/);
    expectError(await call('POST', `/workflows/${wid}/signal`, { signalName: 'x'.repeat(Limits.maxNameLength + 1) }), 'INVALID_ARGUMENT', /signalName/);
    expectError(await call('GET', `/workflows/${'w'.repeat(Limits.maxNameLength + 1)}`), 'INVALID_ARGUMENT', /workflowId.*1000/);
    expect(await storedState(wid)).toEqual(before);
  });

  it('PAYLOAD_TOO_LARGE: a body over the limit is refused with 413 and the limit, and changes nothing', async () => {
    const { wid, before } = await heldTask();
    const big = json('x'.repeat(Limits.maxRequestBytes));
    const err = expectError(await call('POST', `/workflows/${wid}/signal`, { signalName: 'big', input: [big] }), 'PAYLOAD_TOO_LARGE', /limit is 4194304 bytes/);
    expect(err.details).toEqual({ limit: Limits.maxRequestBytes });
    expect(await storedState(wid)).toEqual(before);
  });

  it('PAYLOAD_TOO_LARGE: the limit counts bytes, also when the body is streamed without a length', async () => {
    const { wid, before } = await heldTask();
    // 2.2 M two-byte characters: under the limit in characters, over it in bytes.
    // An unknown field would otherwise be ignored, and the signal accepted.
    const text = JSON.stringify({ signalName: 'big', note: 'é'.repeat(2_200_000) });
    const bytes = new TextEncoder().encode(text);
    expect(text.length).toBeLessThan(Limits.maxRequestBytes);
    expect(bytes.length).toBeGreaterThan(Limits.maxRequestBytes);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 65_536) controller.enqueue(bytes.subarray(i, i + 65_536));
        controller.close();
      },
    });
    expectError(await post(`/workflows/${wid}/signal`, stream), 'PAYLOAD_TOO_LARGE');
    expect(await storedState(wid)).toEqual(before);
  });

  it('ROUTE_NOT_FOUND: an unknown path answers 404 and points to the OpenAPI document', async () => {
    expectError(await call('GET', '/no-such-thing'), 'ROUTE_NOT_FOUND', /openapi\.json/);
    expectError(await answer(await fetchService('/api/v2/namespaces/default/workflows')), 'ROUTE_NOT_FOUND', /No endpoint at GET \/api\/v2/);
    expectError(await call('POST', '/workflows/a/b/c/signal', {}), 'ROUTE_NOT_FOUND');
  });

  it('METHOD_NOT_ALLOWED: a known path with the wrong method answers 405 and names the right one', async () => {
    const { wid, before } = await heldTask();
    expectError(await call('GET', `/workflows/${wid}/signal`), 'METHOD_NOT_ALLOWED', /GET is not allowed.*use POST/);
    expectError(await call('POST', `/workflows/${wid}`, {}), 'METHOD_NOT_ALLOWED', /use GET/);
    expectError(await call('POST', '/workflow-count', {}), 'METHOD_NOT_ALLOWED', /use GET/);
    expect(await storedState(wid)).toEqual(before);
  });
});

describe('executions that are not there, closed, or already there', () => {
  it('WORKFLOW_NOT_FOUND: an unknown workflow id, for every call that names one', async () => {
    const wid = unique('nobody');
    for (const [method, path, body] of [
      ['GET', `/workflows/${wid}`, undefined],
      ['GET', `/workflows/${wid}/history`, undefined],
      ['POST', `/workflows/${wid}/signal`, { signalName: 's' }],
      ['POST', `/workflows/${wid}/cancel`, {}],
      ['POST', `/workflows/${wid}/terminate`, {}],
      ['POST', `/workflows/${wid}/query`, { queryType: 'q' }],
    ] as const) {
      const err = expectError(await call(method, path, body), 'WORKFLOW_NOT_FOUND', new RegExp(`'${wid}' not found`));
      expect(err.details).toEqual({ workflowId: wid });
    }
    expect(await storedState(wid)).toMatchObject({ events: [], state: [], alarm: null });
  });

  it('WORKFLOW_NOT_FOUND: an unknown runId of a known workflow', async () => {
    const { wid, before } = await heldTask();
    const err = expectError(await call('GET', `/workflows/${wid}`, { runId: 'no-such-run' }), 'WORKFLOW_NOT_FOUND', /has no run 'no-such-run'/);
    expect(err.details).toEqual({ workflowId: wid, runId: 'no-such-run' });
    expectError(await call('POST', `/workflows/${wid}/signal`, { runId: 'no-such-run', signalName: 's' }), 'WORKFLOW_NOT_FOUND');
    expectError(await call('GET', `/workflows/${wid}/history`, { runId: 'no-such-run' }), 'WORKFLOW_NOT_FOUND');
    expect(await storedState(wid)).toEqual(before);
  });

  it('WORKFLOW_NOT_RUNNING: signalling, cancelling or terminating a closed run answers 409 with its status', async () => {
    const { wid, runId, task } = await heldTask();
    await completeWorkflowTask(task.taskToken, [{ type: 'CompleteWorkflowExecution' }]);
    const before = await storedState(wid);
    for (const [path, body] of [
      ['signal', { signalName: 's' }],
      ['cancel', {}],
      ['terminate', { reason: 'r' }],
    ] as const) {
      const err = expectError(await call('POST', `/workflows/${wid}/${path}`, body), 'WORKFLOW_NOT_RUNNING', /closed \(COMPLETED\).*start a new run/);
      expect(err.details).toEqual({ workflowId: wid, runId, status: 'COMPLETED' });
    }
    expect(await storedState(wid)).toEqual(before);
  });

  it('WORKFLOW_ALREADY_STARTED: starting a running id answers 409 with the running run', async () => {
    const { wid, runId, tq, before } = await heldTask();
    const err = expectError(await call('POST', '/workflows', { workflowId: wid, workflowType: 'order', taskQueue: tq }), 'WORKFLOW_ALREADY_STARTED', /workflowIdConflictPolicy/);
    expect(err.details).toEqual({ workflowId: wid, runId, workflowType: 'order' });
    expect(await storedState(wid)).toEqual(before);
  });
});

describe('task tokens', () => {
  it('INVALID_TASK_TOKEN: garbage is refused before it reaches any object', async () => {
    const { wid, before, task } = await heldTask();
    for (const taskToken of ['garbage', 'a.b.c', '!!!.???', '', `${task.taskToken}x`]) {
      expectError(await call('POST', '/workflow-tasks/complete', { taskToken, commands: [] }), 'INVALID_TASK_TOKEN', /pass the taskToken exactly as the poll returned it/);
    }
    expect(await storedState(wid)).toEqual(before);
  });

  it('INVALID_TASK_TOKEN: a token whose body was changed does not verify', async () => {
    const { wid, before, task } = await heldTask();
    const [body, sig] = task.taskToken.split('.') as [string, string];
    const data = JSON.parse(atob(body.replace(/-/g, '+').replace(/_/g, '/')));
    const forged = btoa(JSON.stringify({ ...data, attempt: data.attempt + 1 })).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    expectError(await call('POST', '/workflow-tasks/complete', { taskToken: `${forged}.${sig}`, commands: [] }), 'INVALID_TASK_TOKEN', /signature does not verify/);
    expect(await storedState(wid)).toEqual(before);
    // The genuine token still works.
    await completeWorkflowTask(task.taskToken, []);
  });

  it('INVALID_TASK_TOKEN: an activity token sent to a workflow-task endpoint, and the reverse', async () => {
    const { wid, before, activity } = await heldActivity();
    expectError(await call('POST', '/workflow-tasks/complete', { taskToken: activity.taskToken, commands: [] }), 'INVALID_TASK_TOKEN', /activity task token.*workflow task tokens/);
    expectError(await call('POST', '/workflow-tasks/fail', { taskToken: activity.taskToken, failure: { message: 'x' } }), 'INVALID_TASK_TOKEN');
    expectError(await call('POST', '/query-tasks/respond', { taskToken: activity.taskToken }), 'INVALID_TASK_TOKEN', /query task tokens/);
    expect(await storedState(wid)).toEqual(before);

    const held = await heldTask();
    expectError(await call('POST', '/activity-tasks/complete', { taskToken: held.task.taskToken }), 'INVALID_TASK_TOKEN', /workflow task token.*activity task tokens/);
    expect(await storedState(held.wid)).toEqual(held.before);
  });

  it('INVALID_TASK_TOKEN: a token used under another namespace than the one that issued it', async () => {
    const { wid, before, task } = await heldTask();
    const res = await fetchService('/api/v1/namespaces/other-team/workflow-tasks/complete', { method: 'POST', body: JSON.stringify({ taskToken: task.taskToken, commands: [] }), headers: { 'content-type': 'application/json' } });
    expectError(await answer(res), 'INVALID_TASK_TOKEN', /issued for namespace 'default'/);
    expect(await storedState(wid)).toEqual(before);
    await completeWorkflowTask(task.taskToken, []);
  });

  it('TASK_NOT_FOUND: completing a workflow task twice answers 404 the second time and writes one completion', async () => {
    const { wid, task } = await heldTask();
    await completeWorkflowTask(task.taskToken, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 60_000 }]);
    const after = await storedState(wid);
    expectError(await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands: [] }), 'TASK_NOT_FOUND', /already completed/);
    expectError(await call('POST', '/workflow-tasks/fail', { taskToken: task.taskToken, failure: { message: 'x' } }), 'TASK_NOT_FOUND');
    expect(await storedState(wid)).toEqual(after);
    expect((await history(wid)).filter((e) => e.eventType === 'WorkflowTaskCompleted')).toHaveLength(1);
  });

  it('TASK_NOT_FOUND: completing an activity twice answers 404 the second time and writes one completion', async () => {
    const { wid, activity } = await heldActivity();
    await ok('POST', '/activity-tasks/complete', { taskToken: activity.taskToken, result: json(1) });
    await settle(wid);
    const after = await storedState(wid);
    expectError(await call('POST', '/activity-tasks/complete', { taskToken: activity.taskToken, result: json(2) }), 'TASK_NOT_FOUND', /already completed/);
    expectError(await call('POST', '/activity-tasks/fail', { taskToken: activity.taskToken, failure: { message: 'x' } }), 'TASK_NOT_FOUND');
    expect(await storedState(wid)).toEqual(after);
  });
});

describe('commands that cannot apply', () => {
  const cases: Array<[ErrorCode, RegExp, unknown[], Record<string, unknown>]> = [
    ['UNKNOWN_ACTIVITY', /no pending activity has id 'nope'/, [{ type: 'RequestCancelActivityTask', activityId: 'nope' }], { index: 0, activityId: 'nope' }],
    ['UNKNOWN_TIMER', /no pending timer has id 'nope'/, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 10 }, { type: 'CancelTimer', timerId: 'nope' }], { index: 1, timerId: 'nope' }],
    [
      'DUPLICATE_ID',
      /timer id 't' is already pending; use a new id/,
      [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 10 }, { type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 10 }],
      { index: 1, timerId: 't' },
    ],
    [
      'DUPLICATE_ID',
      /activity id 'a' is already pending; use a new id/,
      [
        { type: 'ScheduleActivityTask', activityId: 'a', activityType: 'x', startToCloseTimeoutMs: 10 },
        { type: 'ScheduleActivityTask', activityId: 'a', activityType: 'x', startToCloseTimeoutMs: 10 },
      ],
      { index: 1, activityId: 'a' },
    ],
    ['BAD_COMMAND', /closes the run, so it must be the last command; 1 follow/, [{ type: 'CompleteWorkflowExecution' }, { type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 10 }], { index: 0 }],
    ['BAD_COMMAND', /sets neither scheduleToCloseTimeoutMs nor startToCloseTimeoutMs; set at least one/, [{ type: 'ScheduleActivityTask', activityId: 'a', activityType: 'x' }], { activityId: 'a' }],
  ];

  it.each(cases)('%s (%s): the completion is refused whole, nothing is written, and the task can still be completed', async (code, message, commands, details) => {
    const { wid, before, task } = await heldTask();
    const err = expectError(await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands }), code, message);
    expect(err.details).toEqual(details);
    expect(await storedState(wid)).toEqual(before);
    await completeWorkflowTask(task.taskToken, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 60_000 }]);
    expect((await history(wid)).map((e) => e.eventType).slice(-2)).toEqual(['WorkflowTaskCompleted', 'TimerStarted']);
  });

  it('DUPLICATE_ID: a timer id that is already pending from an earlier task', async () => {
    const wid = unique('dup-timer');
    const tq = unique('tq');
    await startAndCompleteFirstTask(wid, tq, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 60_000 }]);
    await ok('POST', `/workflows/${wid}/signal`, { signalName: 'wake' });
    const task = (await pollWorkflowTask(tq))!;
    await settle(wid);
    const before = await storedState(wid);
    expectError(await call('POST', '/workflow-tasks/complete', { taskToken: task.taskToken, commands: [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 5 }] }), 'DUPLICATE_ID');
    expect(await storedState(wid)).toEqual(before);
  });
});

describe('request ids', () => {
  it('REQUEST_ID_CONFLICT: reusing a request id for a different request answers 409 and changes nothing', async () => {
    const { wid } = await heldTask();
    await ok('POST', `/workflows/${wid}/signal`, { signalName: 'a', requestId: 'req-1' });
    const before = await storedState(wid);
    expectError(await call('POST', `/workflows/${wid}/signal`, { signalName: 'b', requestId: 'req-1' }), 'REQUEST_ID_CONFLICT', /'req-1' was already used.*use a new id/);
    expectError(await call('POST', `/workflows/${wid}/cancel`, { requestId: 'req-1' }), 'REQUEST_ID_CONFLICT');
    expect(await storedState(wid)).toEqual(before);
  });
});

describe('queries', () => {
  it('QUERY_TIMEOUT: with no worker polling, a query answers 504 after the long-poll limit and writes nothing', async () => {
    const { wid, tq, before } = await heldTask();
    expectError(await call('POST', `/workflows/${wid}/query`, { queryType: 'status' }), 'QUERY_TIMEOUT', new RegExp(`is a worker polling task queue '${tq}'`));
    // The alarm is left out: the start's (its offer's hand-off window, src/engine/task-offer.ts) may fire by itself meanwhile.
    expect({ ...(await storedState(wid)), alarm: null }).toEqual({ ...before, alarm: null });
  });

  it("QUERY_FAILED: a worker's errorMessage comes back as a 400 with that message", async () => {
    const wid = unique('query-failed');
    const tq = unique('tq');
    await startAndCompleteFirstTask(wid, tq);
    const before = await storedState(wid);
    const asked = call('POST', `/workflows/${wid}/query`, { queryType: 'nope' });
    const task = (await pollWorkflowTask(tq))!;
    expect(task.query).toEqual({ queryType: 'nope', queryArgs: [] });
    await ok('POST', '/query-tasks/respond', { taskToken: task.taskToken, errorMessage: "unknown query type 'nope'; known: status" });
    const err = expectError(await asked, 'QUERY_FAILED', /unknown query type 'nope'/);
    expect(err.details).toEqual({ queryType: 'nope' });
    expect(await storedState(wid)).toEqual(before);
    // The query is over: answering it again is refused.
    expectError(await call('POST', '/query-tasks/respond', { taskToken: task.taskToken, answer: json(1) }), 'TASK_NOT_FOUND');
  });
});

describe('never a 500', () => {
  it('a failure nested thousands of causes deep is refused with INVALID_ARGUMENT, while a reasonable chain is taken', async () => {
    const { wid, task, before } = await heldTask();
    const chain = (depth: number) => {
      let failure: Record<string, unknown> = { message: 'root cause' };
      for (let i = 0; i < depth; i++) failure = { message: `wrapped ${i}`, cause: failure };
      return failure;
    };
    for (const depth of [300, 5000]) {
      const err = expectError(await call('POST', '/workflow-tasks/fail', { taskToken: task.taskToken, failure: chain(depth) }), 'INVALID_ARGUMENT', /nests objects and arrays more than 256 deep.*flatten it/);
      expect(err.details.issues[0].path).toMatch(/^failure\.cause\.cause/);
    }
    expect(await storedState(wid)).toEqual(before);
    await ok('POST', '/workflow-tasks/fail', { taskToken: task.taskToken, failure: chain(100) });
    const failed = (await history(wid)).find((e) => e.eventType === 'WorkflowTaskFailed')!;
    let depth = 0;
    for (let f = (failed.attributes as { failure?: { cause?: unknown } }).failure; f; f = f.cause as typeof f) depth++;
    expect(depth).toBe(101);
  });

  it('odd requests all get a 4xx with a code whose status matches the table', async () => {
    const { wid, before } = await heldTask();
    const raw: Array<[string, RequestInit]> = [
      [`/api/v1/namespaces/default/workflows/%E0%A4%A/signal`, { method: 'POST', body: '{"signalName":"s"}' }],
      [`/api/v1/namespaces/%ZZ/workflows/${wid}`, { method: 'GET' }],
      [`/api/v1/namespaces/default/workflows/${wid}/signal`, { method: 'POST', body: 'null' }],
      [`/api/v1/namespaces/default/workflows/${wid}/signal`, { method: 'POST', body: '[]' }],
      [`/api/v1/namespaces/default/workflows/${wid}/signal`, { method: 'POST', body: '"approve"' }],
      [`/api/v1/namespaces/default/workflows/${wid}/signal`, { method: 'POST', body: '\u0000' }],
      [`/api/v1/namespaces/default/workflows/${wid}/signal`, { method: 'PUT', body: '{}' }],
      [`/api/v1/namespaces/default/workflows/${wid}/signal`, { method: 'DELETE' }],
      [`/api/v1/namespaces/default/workflows/${wid}/history?pageSize=-1`, { method: 'GET' }],
      [`/api/v1/namespaces/default/workflows/${wid}/history?nextPageToken=0`, { method: 'GET' }],
      [`/api/v1/namespaces/default/workflow-tasks/complete`, { method: 'POST', body: '{"taskToken":"eyJ9.AA","commands":[]}' }],
      [`/api/v1/namespaces/default/workflow-tasks/complete`, { method: 'POST', body: '{"taskToken":"x","commands":[{"type":"Explode"}]}' }],
      [`/api/v1/namespaces/default/activity-tasks/heartbeat`, { method: 'POST', body: '{"taskToken":"..."}' }],
      [`/api/v1`, { method: 'GET' }],
    ];
    for (const [path, init] of raw) {
      const res = await fetchService(path, init);
      const body = (await res.json()) as { error?: { code: ErrorCode; message: string } };
      expect({ path, status: res.status, code: body.error?.code }).toEqual({ path, status: expect.any(Number), code: expect.any(String) });
      expect(res.status, `${init.method} ${path}: ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${init.method} ${path}: ${JSON.stringify(body)}`).toBeLessThan(500);
      expect(res.status).toBe(ErrorStatus[body.error!.code]);
    }
    expect(await storedState(wid)).toEqual(before);
  });
});
