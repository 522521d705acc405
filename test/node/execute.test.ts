// client.workflow.execute() end to end: the start's answer waits for the run's close
// (StartWorkflowRequest.waitForClose), so start and result are one exchange; a chain
// continued-as-new is followed, and with interceptors execute is start + result as they expect.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection, WorkflowFailedError, type WorkflowClientInterceptor } from 'keel/client';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import { counterLoop, flaky } from './fixtures/model-workflows.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/model-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

/** A client on a connection of its own whose exchanges are recorded, as `METHOD /path-after-the-namespace`. */
async function recordingClient(interceptors: WorkflowClientInterceptor[] = []) {
  const exchanges: string[] = [];
  const recording: typeof fetch = async (input, init) => {
    const path = new URL(String(input)).pathname.replace(/^\/api\/v1\/namespaces\/[^/]+/, '').replace(/^\/workflows\/[^/]+/, '/workflows/{id}');
    exchanges.push(`${init?.method ?? 'GET'} ${path}`);
    return fetch(input, init);
  };
  const connection = await Connection.connect({ address: env.address, fetch: recording });
  exchanges.length = 0; // connect's own reachability check
  return { exchanges, connection, client: new Client({ connection, interceptors: { workflow: interceptors } }) };
}

/**
 * Runs `execute` of `workflow` from a client on a recorded connection of its own, a worker for
 * `taskQueue` running meanwhile: what it returned or threw, and the client's exchanges.
 */
async function executeRecorded(taskQueue: string, workflow: typeof counterLoop | typeof flaky, args: unknown[], interceptors: WorkflowClientInterceptor[] = []) {
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, shutdownSignals: [] });
  const { exchanges, connection, client } = await recordingClient(interceptors);
  try {
    const executed = client.workflow.execute(workflow as typeof counterLoop, { taskQueue, workflowId: `${taskQueue}-1`, args: args as Parameters<typeof counterLoop> });
    const outcome = await worker.runUntil(executed).then((value) => ({ value, error: undefined }), (error: unknown) => ({ value: undefined, error }));
    return { ...outcome, exchanges };
  } finally {
    await connection.close();
  }
}

describe('execute(): start and result in one exchange', () => {
  it('a workflow that completes: its result comes with the start\'s answer, no result long poll', async () => {
    const { value, exchanges } = await executeRecorded('execute-one', counterLoop, [1, 0, 1]);
    expect(value).toMatchObject({ total: 1, run: 1 });
    expect(exchanges).toEqual(['POST /workflows']);
  });

  it('a workflow that fails: execute throws WorkflowFailedError from the start\'s answer', async () => {
    // No retry policy: the first attempt's failure fails the workflow.
    const { error, exchanges } = await executeRecorded('execute-fails', flaky, ['x']);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause?.message).toBe('attempt 1 failed');
    expect(exchanges).toEqual(['POST /workflows']);
  });

  it('a chain continued as new: the first run\'s close comes with the start, the last run\'s result by long poll', async () => {
    const { value, exchanges } = await executeRecorded('execute-chain', counterLoop, [1, 0, 3]);
    expect(value).toMatchObject({ total: 6, run: 3 });
    expect(exchanges[0]).toBe('POST /workflows');
    expect(exchanges.slice(1).every((e) => e === 'GET /workflows/{id}/history')).toBe(true);
  });

  it('with client interceptors, execute is start then result: the interceptor\'s start returns before the run closes', async () => {
    const seen: string[] = [];
    const interceptor: WorkflowClientInterceptor = {
      async start(input, next) {
        const runId = await next(input);
        seen.push('start returned');
        return runId;
      },
    };
    const { value, exchanges } = await executeRecorded('execute-intercepted', counterLoop, [1, 0, 1], [interceptor]);
    expect(value).toMatchObject({ total: 1 });
    expect(seen).toEqual(['start returned']);
    expect(exchanges).toEqual(['POST /workflows', 'GET /workflows/{id}/history']);
  });
});
