/**
 * Protocol 7: a worker's channel to a workflow shard (protocol/shard-channel.ts). The upgrade is
 * admitted by the router as any call to its namespace and handed to the shard object, which answers
 * each call on the socket with what its HTTP endpoint answers (src/workflow-object/shard-channel.ts) —
 * reaching its own workflows and polls without an RPC to itself.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { Api, Limits, shardChannelPath, type ActivityTask, type ExecutionUnits, type HistoryEvent, type ShardChannelAnswer, type ShardChannelEndpoint, type WorkflowTask } from '../../protocol/index.js';
import { sha256Hex } from '../../src/auth.js';
import type { Env } from '../../src/env.js';
import { createRouter } from '../../src/router.js';
import { CHANNEL_HEADER, channelHeaderOf } from '../../src/shard-channel.js';
import { taskQueueStub, workflowObjectNamed } from '../../src/stubs.js';
import { partitionStub } from '../../src/task-queue.js';
import type { WorkflowObject } from '../../src/workflow-object.js';
import type { ShardPolls } from '../../src/workflow-object/shard-polls.js';
import { shardOf, workflowShards } from '../../src/workflow-shards.js';
import { call, eventTypes, expectError, fetchService, freezeClock, freezeShardClock, history, json, NS, pollWorkflowTask, queueState, scheduleActivityCommand, settle, startWorkflow, testEnv, unique, until, watchObject, watchWorkflow } from './helpers.js';

const SHARDS = workflowShards(testEnv);
const shardObject = (shard: number) => workflowObjectNamed(testEnv, [NS, shard]) as unknown as DurableObjectStub<WorkflowObject>;
/** What a shard object keeps: the polls waiting there, the RPCs it took. */
const pollsAt = (shard: number) => runInDurableObject(shardObject(shard), (o: WorkflowObject) => (o as unknown as { polls: ShardPolls }).polls.size);
const rpcCallsOf = (shard: number) => runInDurableObject(shardObject(shard), (o: WorkflowObject) => o.rpcCalls);

/** A workflow id kept in `shard`. */
function idIn(shard: number, prefix: string): string {
  for (;;) {
    const id = unique(prefix);
    if (shardOf(id, SHARDS) === shard) return id;
  }
}

/** A worker's side of a channel: calls by id, their answers, and how the channel closed. */
class TestChannel {
  private nextId = 1;
  private readonly waiting = new Map<number, (answer: ShardChannelAnswer) => void>();
  /** The close the service sent (or the runtime reported). */
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener('message', (e) => {
      const answer = JSON.parse(e.data as string) as ShardChannelAnswer;
      this.waiting.get(answer.id)?.(answer);
      this.waiting.delete(answer.id);
    });
    this.closed = new Promise((resolve) => ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })));
  }

  /** Sends a call (with its path's parameters, protocol 8) and waits for its answer. */
  call(call: ShardChannelEndpoint | string, request: unknown, params?: Record<string, string>): Promise<ShardChannelAnswer> {
    const id = this.nextId++;
    const answered = new Promise<ShardChannelAnswer>((resolve) => this.waiting.set(id, resolve));
    this.ws.send(JSON.stringify({ id, call, request, ...(params ? { params } : {}) }));
    return answered;
  }

  /** Sends a call, expects a response (not an error), returns it. */
  async ok<T = any>(call: ShardChannelEndpoint, request: unknown): Promise<T> {
    const answer = await this.call(call, request);
    if (!('response' in answer)) throw new Error(`${call} answered ${JSON.stringify(answer)}`);
    return answer.response as T;
  }

  close(): void {
    this.ws.close(1000, 'done');
  }
}

/** Opens a channel to `shard` of NS through the Worker, as a worker opens one. */
async function openChannel(shard: number | string, headers: Record<string, string> = {}): Promise<TestChannel> {
  const res = await fetchService(shardChannelPath(NS, shard), { headers: { upgrade: 'websocket', ...headers } });
  if (res.status !== 101 || !res.webSocket) throw new Error(`the channel answered ${res.status}: ${await res.text()}`);
  return new TestChannel(res.webSocket);
}

const pollRequest = (taskQueue: string, pollerId = 'worker-1-poller') => ({ taskQueue, identity: 'worker-1', pollerId, acknowledgesHandOff: true });

/** A call as its HTTP endpoint answers it, in a channel answer's form: the body, or the error. */
async function viaHttp(name: ShardChannelEndpoint, request: unknown, shard: number): Promise<Omit<ShardChannelAnswer, 'id'>> {
  const res = await call('POST', Api[name].path.replace('{shard}', String(shard)), request);
  return res.status === 200 ? { response: res.body } : { error: res.body.error };
}
/** A channel call's answer without its id, to set beside `viaHttp`'s. */
const viaChannel = async (channel: TestChannel, name: ShardChannelEndpoint | string, request: unknown, params?: Record<string, string>) => {
  const { id: _id, ...answer } = await channel.call(name, request, params);
  return answer;
};

/** Answers and events as two runs must have them alike: their own names, tokens, times and sizes aside. */
function comparable(value: unknown, names: string[]): unknown {
  let text = JSON.stringify(value);
  for (const n of names) text = text.replaceAll(n, 'NAME');
  text = text
    .replace(/"taskToken":"[^"]*"/g, '"taskToken":"TOKEN"')
    .replace(/"historySizeBytes":\d+/g, '"historySizeBytes":0')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'TIME');
  return JSON.parse(text);
}

/** Each shard's own `wait`, before `lengthenPolls`. */
const unlengthened = new WeakMap<ShardPolls, ShardPolls['wait']>();
/** Makes the shard's polls wait a minute whatever the long-poll bound (1 s in this suite), so a slow machine cannot end one mid-test. */
async function lengthenPolls(shard: number): Promise<void> {
  await runInDurableObject(shardObject(shard), (o: WorkflowObject) => {
    const polls = (o as unknown as { polls: ShardPolls }).polls;
    const wait = unlengthened.get(polls) ?? polls.wait.bind(polls);
    unlengthened.set(polls, wait);
    polls.wait = (taskQueue, pollerId, _waitMs, maxTasks, ended) => wait(taskQueue, pollerId, 60_000, maxTasks, ended);
  });
}

describe('a shard channel (protocol 7)', () => {
  it('a poll on the channel gets a started run’s first task', async () => {
    const wid = unique('chan-poll');
    const tq = unique('tq');
    const shard = shardOf(wid, SHARDS);
    const channel = await openChannel(shard);
    const polled = channel.ok<{ task: WorkflowTask }>('pollShardWorkflowTask', pollRequest(tq));
    await until(() => pollsAt(shard), (n) => n === 1);
    const { runId } = await startWorkflow(wid, tq);
    const { task } = await polled;
    expect(task).toMatchObject({ workflowExecution: { workflowId: wid, runId }, attempt: 1, startedEventId: 3, shardKey: String(shard) });
    expect(eventTypes(task.history)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled', 'WorkflowTaskStarted']);
    channel.close();
  });

  it('a run driven over the channel (poll, completions and failures alone and batched) gets the answers and history the same run gets over HTTP, with no RPC for its own shard’s workflows', async () => {
    const shard = 1 % SHARDS;
    /**
     * One run's exchanges, each sent by `send`: its first task from a shard poll, completed with two eager
     * activities; one completed, the other failed for good; the next task failed, its retry completed in a batch.
     */
    async function drive(send: (name: ShardChannelEndpoint, request: unknown) => Promise<Omit<ShardChannelAnswer, 'id'>>, workflowId: string, taskQueue: string) {
      // The count is read before the exchange is sent: read after, it might already hold the exchange's RPC.
      const rpcs = async <T>(exchange: () => Promise<T>): Promise<T> => {
        const before = await rpcCallsOf(shard);
        const answer = await exchange();
        rpcsTaken += (await rpcCallsOf(shard)) - before;
        return answer;
      };
      let rpcsTaken = 0;
      await freezeClock(workflowId);
      const polled = send('pollShardWorkflowTask', pollRequest(taskQueue));
      await until(() => pollsAt(shard), (n) => n === 1);
      const { runId } = await startWorkflow(workflowId, taskQueue);
      const answers: unknown[] = [await polled];
      const task = (answers[0] as { response: { task: WorkflowTask } }).response.task;
      const once = { startToCloseTimeoutMs: 30_000, requestEagerExecution: true, retryPolicy: { maximumAttempts: 1 } };
      answers.push(await rpcs(() => send('completeWorkflowTask', { taskToken: task.taskToken, commands: [scheduleActivityCommand('a1', once), scheduleActivityCommand('a2', once)], identity: 'worker-1', acknowledgesHandOff: true })));
      const [a1, a2] = (answers[1] as { response: { activityTasks: ActivityTask[] } }).response.activityTasks;
      answers.push(await rpcs(() => send('completeActivityTask', { taskToken: a1!.taskToken, result: json('r1'), identity: 'worker-1' })));
      answers.push(await rpcs(() => send('failActivityTask', { taskToken: a2!.taskToken, failure: { message: 'a2 failed' }, identity: 'worker-1' })));
      await settle(workflowId);
      const next = (await pollWorkflowTask(taskQueue, 0))!;
      answers.push(await rpcs(() => send('failWorkflowTask', { taskToken: next.taskToken, failure: { message: 'workflow code threw' }, identity: 'worker-1' })));
      await settle(workflowId);
      const retry = (await pollWorkflowTask(taskQueue, 0))!;
      answers.push(await rpcs(() => send('batchTasks', { items: [{ kind: 'completeWorkflowTask', request: { taskToken: retry.taskToken, commands: [{ type: 'CompleteWorkflowExecution', result: json('done') }], identity: 'worker-1' } }] })));
      const events = await history(workflowId);
      const units = (await call('GET', `/workflows/${workflowId}`, { runId })).body.cost.units as ExecutionUnits;
      return { answers: comparable(answers, [workflowId, runId, taskQueue]), events: comparable(events.slice(1), [workflowId, runId, taskQueue]) as HistoryEvent[], rpcsTaken, units };
    }

    const channel = await openChannel(shard);
    const overChannel = await drive((name, request) => viaChannel(channel, name, request), idIn(shard, 'chan-run'), unique('tq'));
    const overHttp = await drive((name, request) => viaHttp(name, request, shard), idIn(shard, 'http-run'), unique('tq'));
    expect(overChannel.answers).toEqual(overHttp.answers);
    expect(overChannel.events).toEqual(overHttp.events);
    expect(overChannel.events.at(-1)!.eventType).toBe('WorkflowExecutionCompleted');
    // The eager activities came back in the completion's answer, as over HTTP.
    expect((overChannel.answers as Array<{ response: { activityTasks?: ActivityTask[] } }>)[1]!.response.activityTasks!.map((t) => t.activityId)).toEqual(['a1', 'a2']);
    // Over HTTP each exchange was an RPC to the shard; over the channel, none.
    expect(overHttp.rpcsTaken).toBe(5);
    expect(overChannel.rpcsTaken).toBe(0);
    // The run's bill: each of its six exchanges (the poll that carried its task, five completions and
    // failures) a message on the channel — no Worker request, a twentieth of a Durable Object request —
    // where over HTTP each was a Worker request and a Durable Object request.
    expect(overHttp.units.channelMessages).toBe(0);
    expect(overChannel.units.channelMessages).toBe(6);
    expect(overChannel.units.workerRequests).toBe(overHttp.units.workerRequests - 6);
    expect(overChannel.units.durableObjectRequests).toBe(overHttp.units.durableObjectRequests - 6);
    channel.close();
  });

  it('a batchTasks call is one turn of its shard (one commit) with no RPC; a call about another shard’s workflow goes through that shard’s stub, as the router sends it', async () => {
    const shard = 2 % SHARDS;
    const other = (shard + 1) % SHARDS;
    const [mine1, mine2, theirs, theirsAlone] = [idIn(shard, 'chan-batch'), idIn(shard, 'chan-batch'), idIn(other, 'chan-batch-other'), idIn(other, 'chan-alone-other')];
    const [t1, t2, t3, alone] = await Promise.all(
      [mine1, mine2, theirs, theirsAlone].map(async (wid) => {
        await startWorkflow(wid, `${wid}-tq`);
        return (await pollWorkflowTask(`${wid}-tq`))!;
      }),
    );
    const channel = await openChannel(shard);
    const seen = await watchObject([mine1, mine2]);
    const [ownBefore, otherBefore] = [await rpcCallsOf(shard), await rpcCallsOf(other)];
    const complete = (t: WorkflowTask) => ({ kind: 'completeWorkflowTask', request: { taskToken: t.taskToken, commands: [{ type: 'CompleteWorkflowExecution' }], identity: 'worker-1' } });
    const answer = await channel.ok<{ results: unknown[] }>('batchTasks', { items: [t1!, t2!, t3!].map(complete) });
    expect(answer).toEqual({ results: [{ response: {} }, { response: {} }, { response: {} }] });
    expect(seen).toEqual({ call: 0, callMany: 0, turns: [0, 0] });
    expect(await rpcCallsOf(shard)).toBe(ownBefore);
    // The other shard's item: one callMany there.
    expect(await rpcCallsOf(other)).toBe(otherBefore + 1);
    // A single call about the other shard's workflow: one call there.
    expect(await channel.ok('completeWorkflowTask', complete(alone!).request)).toEqual({});
    expect(await rpcCallsOf(other)).toBe(otherBefore + 2);
    expect(await rpcCallsOf(shard)).toBe(ownBefore);
    for (const wid of [mine1, mine2, theirs, theirsAlone]) expect((await history(wid)).at(-1)!.eventType).toBe('WorkflowExecutionCompleted');
    channel.close();
  });

  it('a long poll on the channel does not hold up the completions sent behind it on the same channel', async () => {
    const shard = 3 % SHARDS;
    await lengthenPolls(shard);
    const [waitingFor, completed] = [idIn(shard, 'chan-later'), idIn(shard, 'chan-now')];
    const tq = unique('tq');
    await startWorkflow(completed, `${completed}-tq`);
    const task = (await pollWorkflowTask(`${completed}-tq`))!;
    const channel = await openChannel(shard);
    let pollAnswered = false;
    const polled = channel.ok<{ task: WorkflowTask }>('pollShardWorkflowTask', pollRequest(tq)).finally(() => (pollAnswered = true));
    await until(() => pollsAt(shard), (n) => n === 1);

    expect(await channel.ok('completeWorkflowTask', { taskToken: task.taskToken, commands: [{ type: 'CompleteWorkflowExecution' }], identity: 'worker-1' })).toEqual({});
    expect(pollAnswered).toBe(false);
    expect(await pollsAt(shard)).toBe(1);
    expect((await history(completed)).at(-1)!.eventType).toBe('WorkflowExecutionCompleted');
    // The poll still waits, and takes the next start's task.
    await startWorkflow(waitingFor, tq);
    expect((await polled).task.workflowExecution.workflowId).toBe(waitingFor);
    channel.close();
  });

  it('a channel that closes ends the polls it started: a new run’s first task goes to a poll waiting at the queue at once, neither to the dead poll nor held for it', async () => {
    const shard = 0;
    await lengthenPolls(shard);
    // Offers the shard held for a poll coming back would wait for it as long as the test runs.
    await freezeShardClock(shardObject(shard));
    const tq = unique('tq');
    const channel = await openChannel(shard);
    // The channel's poll took a task: its worker's next poll is awaited here (offers are held for it)…
    const first = channel.ok<{ task: WorkflowTask }>('pollShardWorkflowTask', pollRequest(tq));
    await until(() => pollsAt(shard), (n) => n === 1);
    await startWorkflow(idIn(shard, 'chan-first'), tq);
    // (Completed, so that it cannot come back to the queue when its hand-off window ends.)
    expect(await channel.ok('completeWorkflowTask', { taskToken: (await first).task.taskToken, commands: [], identity: 'worker-1' })).toEqual({});
    // …and comes, then its channel closes.
    void channel.call('pollShardWorkflowTask', pollRequest(tq));
    await until(() => pollsAt(shard), (n) => n === 1);
    const queuePoll = partitionStub(testEnv, NS, tq, 'workflow', 0).poll('worker-2', 60_000, 'worker-2-poller', true);
    await until(() => queueState(tq), (q) => q.waitingPollers === 1);
    channel.close();
    expect(await channel.closed).toMatchObject({ code: 1000 });
    await until(() => pollsAt(shard), (n) => n === 0);

    const wid = idIn(shard, 'chan-after-close');
    const seen = await watchWorkflow(wid);
    await startWorkflow(wid, tq);
    expect(await queuePoll).toMatchObject({ kind: 'workflow', task: { workflowExecution: { workflowId: wid }, attempt: 1 } });
    await settle(wid);
    // Offered to the queue by the start (the queue asked it to start nothing), not sent there when its hand-off window ended.
    expect(seen).toEqual({ transactions: 1, startTask: 0 });
  });

  describe('refusals', () => {
    it('the upgrade is admitted as any namespace call: API keys, the namespace registered, a shard of the service, Upgrade: websocket', async () => {
      const other = unique('ns');
      const keys = JSON.stringify([{ name: 'team', sha256: await sha256Hex('team-key'), namespaces: [NS] }, { name: 'elsewhere', sha256: await sha256Hex('other-key'), namespaces: [other] }]);
      const withKeys = { ...testEnv, KEEL_API_KEYS: keys, KEEL_TOKEN_SECRET: 'test-secret-test-secret' } as Env;
      const open = async (env: Env, path: string, headers: Record<string, string>) => {
        const res = await createRouter().fetch(new Request(`http://keel.test${path}`, { headers }), env);
        if (res.status === 101) {
          res.webSocket!.accept();
          res.webSocket!.close(1000, 'done');
          return { status: 101, body: undefined };
        }
        return { status: res.status, body: (await res.json()) as any };
      };
      const upgrade = { upgrade: 'websocket' };
      expectError(await open(withKeys, shardChannelPath(NS, 0), upgrade), 'UNAUTHENTICATED');
      expectError(await open(withKeys, shardChannelPath(NS, 0), { ...upgrade, authorization: 'Bearer other-key' }), 'PERMISSION_DENIED');
      expect((await open(withKeys, shardChannelPath(NS, 0), { ...upgrade, authorization: 'Bearer team-key' })).status).toBe(101);
      // Keys before anything else: a key that may not use the namespace learns nothing of its shards.
      expectError(await open(withKeys, shardChannelPath(NS, 99), upgrade), 'UNAUTHENTICATED');

      const deployed = { ...testEnv, KEEL_NAMESPACE_AUTO_CREATE: undefined } as Env;
      expectError(await open(deployed, shardChannelPath(unique('unregistered'), 0), upgrade), 'NAMESPACE_NOT_FOUND');
      for (const shard of [String(SHARDS), '-1', '01', 'x']) expectError(await open(testEnv, shardChannelPath(NS, shard), upgrade), 'INVALID_ARGUMENT', /shard/);
      expectError(await open({ ...testEnv, KEEL_WORKFLOW_SHARDS: '0' } as Env, shardChannelPath(NS, 0), upgrade), 'FEATURE_DISABLED');
      expectError(await open(testEnv, shardChannelPath(NS, 0), {}), 'UPGRADE_REQUIRED', /Upgrade: websocket/);
      const post = await fetchService(shardChannelPath(NS, 0), { method: 'POST' });
      expectError({ status: post.status, body: await post.json() }, 'METHOD_NOT_ALLOWED');
    });

    it('each call’s key is checked again (its hash made once per channel): a key revoked (or narrowed) while its channel is open is refused on it', async () => {
      const channel = await openChannel(0, { authorization: 'Bearer team-key' });
      /** Gives the shard's channels KEEL_API_KEYS as a new deployment would (this suite's service has none). */
      const useKeys = (keys: string | undefined) =>
        runInDurableObject(shardObject(0), (o: WorkflowObject) => {
          const shard = (o as unknown as { channels: { shard: { env: Env } } }).channels.shard;
          shard.env = { ...shard.env, KEEL_API_KEYS: keys };
        });
      const teamIn = async (namespaces: string[]) => JSON.stringify([{ name: 'team', sha256: await sha256Hex('team-key'), namespaces }]);
      const empty = { items: [] };
      const [inNs, elsewhere] = [await teamIn([NS]), await teamIn(['elsewhere'])];
      // The channel's key is hashed once, however often it is checked (the grants are looked up anew each call).
      const digest = crypto.subtle.digest.bind(crypto.subtle);
      let digests = 0;
      crypto.subtle.digest = (...args: Parameters<SubtleCrypto['digest']>) => (digests++, digest(...args));
      try {
        await useKeys(inNs);
        expect(await channel.call('batchTasks', empty)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
        await useKeys(elsewhere);
        expect(await channel.call('batchTasks', empty)).toMatchObject({ error: { code: 'PERMISSION_DENIED' } });
        await useKeys('[]');
        expect(await channel.call('batchTasks', empty)).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
        // A client's start (protocol 8) too, before anything is written.
        const refusedStart = idIn(0, 'chan-start-revoked');
        expect(await channel.call('startWorkflow', { workflowId: refusedStart, workflowType: 'order', taskQueue: unique('tq') })).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
        expect(digests).toBe(1);
        await useKeys(undefined);
        expectError(await call('GET', `/workflows/${refusedStart}`), 'WORKFLOW_NOT_FOUND');
      } finally {
        crypto.subtle.digest = digest;
        await useKeys(undefined);
      }
      expect(await channel.call('batchTasks', empty)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
      channel.close();
    });

    it('the channel is the path’s: a caller’s own channel header is replaced, and tokens of another namespace are refused as over HTTP', async () => {
      const other = unique('chan-ns');
      const wid = unique('chan-other-ns');
      const tq = unique('tq');
      const started = await fetchService(`/api/v1/namespaces/${other}/workflows`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workflowId: wid, workflowType: 'order', taskQueue: tq }) });
      expect(started.status).toBe(200);
      const polled = await taskQueueStub(testEnv, other, tq, 'workflow').poll('worker-1', 5000);
      const foreign = polled?.kind === 'workflow' ? polled.task : undefined;
      const shard = shardOf(wid, SHARDS);
      // The caller names the other namespace in the header the router gives the object: the channel is still NS's.
      const channel = await openChannel(shard, { [CHANNEL_HEADER]: channelHeaderOf({ namespace: other, shard }) });
      const request = { taskToken: foreign!.taskToken, commands: [], identity: 'worker-1' };
      const answer = await viaChannel(channel, 'completeWorkflowTask', request);
      expect(answer).toEqual(await viaHttp('completeWorkflowTask', request, shard));
      expect(answer).toMatchObject({ error: { code: 'INVALID_TASK_TOKEN' } });
      channel.close();
    });

    it('a call the channel does not carry, a request its endpoint refuses, or one nested too deep is answered with the error HTTP answers; the channel goes on', async () => {
      const channel = await openChannel(0);
      expect(await channel.call('signalWorkflow', { signalName: 's' })).toMatchObject({ id: 1, error: { code: 'ROUTE_NOT_FOUND', message: expect.stringMatching(/no call 'signalWorkflow'.*batchTasks.*startWorkflow/) } });
      const invalid = { taskToken: 'x.y', commands: 'not commands' };
      const refused = await viaChannel(channel, 'completeWorkflowTask', invalid);
      expect(refused).toEqual(await viaHttp('completeWorkflowTask', invalid, 0));
      expect(refused).toMatchObject({ error: { code: 'INVALID_ARGUMENT', details: { issues: [{ path: 'commands' }] } } });
      let failure: Record<string, unknown> = { message: 'root cause' };
      for (let i = 0; i < Limits.maxJsonDepth + 10; i++) failure = { message: `wrapped ${i}`, cause: failure };
      const deep = { taskToken: 'x.y', failure };
      const tooDeep = await viaChannel(channel, 'failWorkflowTask', deep);
      expect(tooDeep).toEqual(await viaHttp('failWorkflowTask', deep, 0));
      expect(tooDeep).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/nests objects and arrays more than/) } });
      // Still open: a call is answered.
      expect(await channel.call('batchTasks', { items: [] })).toMatchObject({ id: 4, error: { code: 'INVALID_ARGUMENT' } });
      channel.close();
    });

    it('a message that cannot be answered (binary, too large, not JSON, no numeric id) closes the channel with a code saying why, and ends its polls', async () => {
      const cases: Array<[string, (ws: WebSocket) => void, number, RegExp]> = [
        ['binary', (ws) => ws.send(new Uint8Array([123, 125])), 1003, /binary/],
        ['too large', (ws) => ws.send(JSON.stringify({ id: 1, call: 'batchTasks', request: { items: [], pad: 'x'.repeat(Limits.maxRequestBytes) } })), 1009, /over \d+ bytes/],
        ['not JSON', (ws) => ws.send('{"id": 1, '), 1007, /not JSON/],
        ['no id', (ws) => ws.send(JSON.stringify({ call: 'batchTasks', request: { items: [] } })), 1008, /numeric id/],
        ['an id that is not a number', (ws) => ws.send(JSON.stringify({ id: '1', call: 'batchTasks', request: { items: [] } })), 1008, /numeric id/],
      ];
      const shard = 1 % SHARDS;
      await lengthenPolls(shard);
      for (const [what, send, code, reason] of cases) {
        const channel = await openChannel(shard);
        void channel.call('pollShardWorkflowTask', pollRequest(unique('tq')));
        await until(() => pollsAt(shard), (n) => n === 1);
        send(channel.ws);
        expect({ what, ...(await channel.closed) }).toEqual({ what, code, reason: expect.stringMatching(reason) });
        await until(() => pollsAt(shard), (n) => n === 0);
      }
    });
  });
});

describe('a client’s start on a shard channel (protocol 8)', () => {
  const startRequest = (workflowId: string, extra: Record<string, unknown> = {}) => ({ workflowId, workflowType: 'order', taskQueue: unique('tq'), ...extra });
  const unitsOf = async (workflowId: string) => (await call('GET', `/workflows/${workflowId}`)).body.cost.units as ExecutionUnits;

  it('a start on its workflow’s shard’s channel is answered as over HTTP, with the shard count, started in the shard with no RPC, billed a channel message instead of a Worker and a Durable Object request', async () => {
    const shard = 1 % SHARDS;
    const channel = await openChannel(shard);
    const [overChannel, overHttp] = [startRequest(idIn(shard, 'chan-start')), startRequest(idIn(shard, 'http-start'))];
    const rpcsBefore = await rpcCallsOf(shard);
    const answer = await viaChannel(channel, 'startWorkflow', overChannel);
    expect(await rpcCallsOf(shard)).toBe(rpcsBefore);
    const httpAnswer = await viaHttp('startWorkflow', overHttp, shard);
    expect(answer).toEqual({ response: { runId: expect.any(String), started: true, workflowShards: SHARDS } });
    expect(httpAnswer).toEqual({ response: { runId: expect.any(String), started: true, workflowShards: SHARDS } });
    const runIds = [answer, httpAnswer].map((a) => (a as { response: { runId: string } }).response.runId);
    const histories = await Promise.all([overChannel, overHttp].map((r) => history(r.workflowId)));
    expect(comparable(histories[0], [overChannel.workflowId, overChannel.taskQueue, runIds[0]!])).toEqual(comparable(histories[1], [overHttp.workflowId, overHttp.taskQueue, runIds[1]!]));
    expect(eventTypes(histories[0]!)).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);
    // A start sent on the channel and again over HTTP with its request id (its answer lost with its channel) starts one run.
    const once = startRequest(idIn(shard, 'chan-start-once'), { requestId: unique('start-request') });
    const onChannel = await viaChannel(channel, 'startWorkflow', once);
    expect(await viaHttp('startWorkflow', once, shard)).toEqual(onChannel);
    expect(eventTypes(await history(once.workflowId)).filter((t) => t === 'WorkflowExecutionStarted')).toHaveLength(1);
    const [channelUnits, httpUnits] = [await unitsOf(overChannel.workflowId), await unitsOf(overHttp.workflowId)];
    expect(channelUnits.channelMessages).toBe(1);
    expect(httpUnits.channelMessages).toBe(0);
    expect(channelUnits.workerRequests).toBe(httpUnits.workerRequests - 1);
    expect(channelUnits.durableObjectRequests).toBe(httpUnits.durableObjectRequests - 1);
    channel.close();
  });
  it('a start its checks refuse is refused on the channel with the error HTTP answers (schema, depth, search attributes, the id already started), and writes nothing', async () => {
    const shard = 0;
    const channel = await openChannel(shard);
    let deepMemo: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < Limits.maxJsonDepth + 10; i++) deepMemo = { nested: deepMemo };
    const started = startRequest(idIn(shard, 'chan-start-taken'));
    await viaHttp('startWorkflow', started, shard);
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['no workflow type', { workflowId: idIn(shard, 'chan-start-schema'), taskQueue: unique('tq') }, 'INVALID_ARGUMENT'],
      ['nested too deep', startRequest(idIn(shard, 'chan-start-deep'), { memo: deepMemo }), 'INVALID_ARGUMENT'],
      ['a search attribute the store cannot index', startRequest(idIn(shard, 'chan-start-attr'), { searchAttributes: { CustomKeyword: [{ not: 'a value' }] } }), 'INVALID_ARGUMENT'],
      ['the id already started', { ...started, requestId: unique('other-request') }, 'WORKFLOW_ALREADY_STARTED'],
    ];
    for (const [what, request, code] of cases) {
      const refused = await viaChannel(channel, 'startWorkflow', request);
      expect({ what, ...refused }).toEqual({ what, ...(await viaHttp('startWorkflow', request, shard)) });
      expect({ what, refused }).toMatchObject({ what, refused: { error: { code } } });
      if (code === 'INVALID_ARGUMENT') expectError(await call('GET', `/workflows/${request.workflowId as string}`), 'WORKFLOW_NOT_FOUND');
    }
    channel.close();
  });

  it('a start on another shard’s channel is passed to the shard its id hashes to, through that shard’s stub, and answered as over HTTP', async () => {
    const shard = 0;
    const other = 1 % SHARDS;
    const channel = await openChannel(shard);
    const request = startRequest(idIn(other, 'chan-start-elsewhere'));
    const [ownBefore, otherBefore] = [await rpcCallsOf(shard), await rpcCallsOf(other)];
    expect(await viaChannel(channel, 'startWorkflow', request)).toEqual({ response: { runId: expect.any(String), started: true, workflowShards: SHARDS } });
    expect(await rpcCallsOf(other)).toBe(otherBefore + 1);
    expect(await rpcCallsOf(shard)).toBe(ownBefore);
    // Kept where the router would have put it: found through the router.
    expect(eventTypes(await history(request.workflowId))).toEqual(['WorkflowExecutionStarted', 'WorkflowTaskScheduled']);
    channel.close();
  });
  it('a signal-with-start and a result long poll name their workflow in params, as their paths do, and are answered as over HTTP; a missing or bad one is refused as a bad path', async () => {
    const shard = 1 % SHARDS;
    const channel = await openChannel(shard);
    const [wid, httpWid] = [idIn(shard, 'chan-sws'), idIn(shard, 'http-sws')];
    const tq = unique('tq');
    const sws = { workflowType: 'order', taskQueue: tq, signalName: 'go', signalInput: [json('now')] };
    const rpcsBefore = await rpcCallsOf(shard);
    const started = await channel.call('signalWithStartWorkflow', sws);
    expect(started).toMatchObject({ error: { code: 'INVALID_ARGUMENT', details: { issues: [{ path: 'params.workflowId' }] } } });
    const send = (name: ShardChannelEndpoint, request: unknown, params: Record<string, string>) => viaChannel(channel, name, request, params);
    const overChannel = await send('signalWithStartWorkflow', sws, { workflowId: wid });
    // Its own shard's workflow: called in the shard, no RPC.
    expect(await rpcCallsOf(shard)).toBe(rpcsBefore);
    const overHttp = await call('POST', `/workflows/${httpWid}/signal-with-start`, sws);
    expect(overChannel).toEqual({ response: { runId: expect.any(String), started: true, workflowShards: SHARDS } });
    expect(overHttp.body).toEqual({ runId: expect.any(String), started: true, workflowShards: SHARDS });
    expect(eventTypes(await history(wid))).toEqual(eventTypes(await history(httpWid)));
    // A history page, and a result long poll that waits for the close: the run terminated meanwhile.
    const page = await send('getWorkflowHistory', {}, { workflowId: wid });
    expect(page).toEqual({ response: (await call('GET', `/workflows/${wid}/history`)).body });
    const waiting = send('getWorkflowHistory', { waitNewEvent: true, closeEventOnly: true }, { workflowId: wid });
    await call('POST', `/workflows/${wid}/terminate`, { reason: 'done' });
    expect(await waiting).toMatchObject({ response: { events: [{ eventType: 'WorkflowExecutionTerminated' }] } });
    // A path parameter the router would refuse is refused alike.
    const tooLong = 'x'.repeat(Limits.maxNameLength + 1);
    const refused = await send('getWorkflowHistory', {}, { workflowId: tooLong });
    expect(refused).toEqual({ error: (await call('GET', `/workflows/${tooLong}/history`)).body.error });
    expect(refused).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    channel.close();
  });
});
