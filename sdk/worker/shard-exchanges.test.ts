import { describe, expect, it } from 'vitest';
import { Limits, type EndpointName } from '../../protocol/index.js';
import type { ConnectionLike } from '../client/connection.js';
import { KeelServiceError } from '../client/errors.js';
import type { CallOptions } from '../client/http-transport.js';
import { ShardExchanges } from './shard-exchanges.js';

interface Sent {
  endpoint: EndpointName;
  request: any;
  options: CallOptions;
  answer: (value: unknown) => void;
  fail: (err: unknown) => void;
}

/** A connection whose every exchange waits until the test answers it. */
function connection() {
  const sent: Sent[] = [];
  const conn = {
    call: (endpoint: EndpointName, request: unknown, options: CallOptions) => new Promise((answer, fail) => sent.push({ endpoint, request, options, answer, fail })),
  } as unknown as ConnectionLike;
  return { sent, conn };
}

const flush = () => new Promise((r) => setImmediate(r));
const at = { namespace: 'default', shardKey: '3' };
const complete = (token: string) => ({ taskToken: token, commands: [] });

describe('ShardExchanges', () => {
  it('a completion with nothing in flight for its shard goes at once, alone; one without a shard key is never held', async () => {
    const { sent, conn } = connection();
    const x = new ShardExchanges(conn);
    void x.call('completeWorkflowTask', complete('a'), at);
    void x.call('completeWorkflowTask', complete('b'), { namespace: 'default' });
    void x.call('heartbeatActivityTask', { taskToken: 'c' }, at);
    expect(sent.map((s) => [s.endpoint, s.request.taskToken])).toEqual([
      ['completeWorkflowTask', 'a'],
      ['completeWorkflowTask', 'b'],
      ['heartbeatActivityTask', 'c'],
    ]);
  });

  it('what queues behind an exchange in flight goes in one batch when it returns, each caller answered with its own item', async () => {
    const { sent, conn } = connection();
    const x = new ShardExchanges(conn);
    const first = x.call('completeActivityTask', { taskToken: 'a' }, at);
    const queued = [
      x.call('completeWorkflowTask', complete('b'), at),
      x.call('failActivityTask', { taskToken: 'c', failure: { message: 'm' } }, at),
      x.call('failWorkflowTask', { taskToken: 'd', failure: { message: 'm' } }, at),
    ].map((p) => p.then((v) => ({ v }), (e: unknown) => ({ e })));
    // Another shard's does not wait.
    void x.call('completeWorkflowTask', complete('z'), { namespace: 'default', shardKey: '4' });
    expect(sent.map((s) => s.request.taskToken)).toEqual(['a', 'z']);

    sent[0]!.answer({ workflowTask: { taskToken: 'next' } });
    expect(await first).toEqual({ workflowTask: { taskToken: 'next' } });
    await flush();
    expect(sent).toHaveLength(3);
    const batch = sent[2]!;
    expect(batch.endpoint).toBe('batchTasks');
    expect(batch.request.items.map((i: { kind: string; request: { taskToken: string } }) => [i.kind, i.request.taskToken])).toEqual([
      ['completeWorkflowTask', 'b'],
      ['failActivityTask', 'c'],
      ['failWorkflowTask', 'd'],
    ]);
    // Each item keeps a request id of its own where its endpoint takes one; failWorkflowTask takes none, so the batch is not repeated.
    expect(batch.request.items.map((i: { request: { requestId?: string } }) => typeof i.request.requestId)).toEqual(['string', 'string', 'undefined']);
    expect(batch.options).toMatchObject({ namespace: 'default', idempotent: false });

    batch.answer({ results: [{ response: { activityTasks: [] } }, { error: { code: 'TASK_NOT_FOUND', message: 'gone' } }, { response: {} }] });
    const [b, c, d] = await Promise.all(queued);
    expect(b).toEqual({ v: { activityTasks: [] } });
    expect((c as { e: KeelServiceError }).e).toBeInstanceOf(KeelServiceError);
    expect((c as { e: KeelServiceError }).e).toMatchObject({ code: 'TASK_NOT_FOUND', status: 404, message: 'gone' });
    expect(d).toEqual({ v: {} });
    expect(x.stats).toEqual({ batches: 1, batchedItems: 3 });
    // The shard is free again: the next completion goes at once, alone.
    await flush();
    void x.call('completeWorkflowTask', complete('e'), at);
    expect(sent.at(-1)!.endpoint).toBe('completeWorkflowTask');
  });

  it('one queued completion goes alone on its own endpoint; a batch that fails fails each of its callers', async () => {
    const { sent, conn } = connection();
    const x = new ShardExchanges(conn);
    void x.call('completeWorkflowTask', complete('a'), at);
    const b = x.call('completeWorkflowTask', complete('b'), at);
    sent[0]!.answer({});
    await flush();
    expect(sent[1]!.endpoint).toBe('completeWorkflowTask');
    const c = x.call('completeWorkflowTask', complete('c'), at).catch((e: unknown) => e);
    const d = x.call('completeActivityTask', { taskToken: 'd' }, at).catch((e: unknown) => e);
    sent[1]!.answer({});
    expect(await b).toEqual({});
    await flush();
    expect(sent[2]!.endpoint).toBe('batchTasks');
    expect(sent[2]!.options).toMatchObject({ idempotent: true });
    const down = new KeelServiceError('UNAVAILABLE', 503, 'down');
    sent[2]!.fail(down);
    expect(await c).toBe(down);
    expect(await d).toBe(down);
  });

  it('a service without the batch endpoint (ROUTE_NOT_FOUND): the batch goes as single exchanges, and so does everything after', async () => {
    const { sent, conn } = connection();
    const x = new ShardExchanges(conn);
    void x.call('completeWorkflowTask', complete('a'), at);
    const b = x.call('completeWorkflowTask', complete('b'), at);
    const c = x.call('completeActivityTask', { taskToken: 'c' }, at);
    sent[0]!.answer({});
    await flush();
    sent[1]!.fail(new KeelServiceError('ROUTE_NOT_FOUND', 404, 'No endpoint at POST /tasks/batch'));
    await flush();
    expect(sent.slice(2).map((s) => [s.endpoint, s.request.taskToken, typeof s.request.requestId])).toEqual([
      ['completeWorkflowTask', 'b', 'string'],
      ['completeActivityTask', 'c', 'string'],
    ]);
    // The request id the batch gave it: a retry of the batch's items is harmless.
    expect(sent[2]!.request.requestId).toBe(sent[1]!.request.items[0].request.requestId);
    sent[2]!.answer({ b: 1 });
    sent[3]!.answer({ c: 1 });
    expect(await b).toEqual({ b: 1 });
    expect(await c).toEqual({ c: 1 });
    void x.call('completeWorkflowTask', complete('e'), at);
    void x.call('completeWorkflowTask', complete('f'), at);
    expect(sent.slice(4).map((s) => s.request.taskToken)).toEqual(['e', 'f']);
  });

  it(`a batch carries at most ${Limits.maxTasksPerBatch} items; the rest go in the next`, async () => {
    const { sent, conn } = connection();
    const x = new ShardExchanges(conn);
    void x.call('completeWorkflowTask', complete('first'), at);
    for (let i = 0; i < Limits.maxTasksPerBatch + 2; i++) void x.call('completeWorkflowTask', complete(`t${i}`), at);
    sent[0]!.answer({});
    await flush();
    expect(sent[1]!.request.items).toHaveLength(Limits.maxTasksPerBatch);
    sent[1]!.answer({ results: Array.from({ length: Limits.maxTasksPerBatch }, () => ({ response: {} })) });
    await flush();
    expect(sent[2]!.request.items.map((i: { request: { taskToken: string } }) => i.request.taskToken)).toEqual([`t${Limits.maxTasksPerBatch}`, `t${Limits.maxTasksPerBatch + 1}`]);
  });
});
