/**
 * The handlers of the endpoints a shard channel carries (SHARD_CHANNEL_ENDPOINTS): a worker's shard
 * polls and its completions and failures of tasks, alone or batched (protocol 7), and a client's start,
 * signal-with-start and result long poll (protocol 8); a start's answer says how many shards there are
 * (the client sends its next calls on the channel of the one each workflow hashes to). Written once for
 * both ways they arrive: over HTTP through the router, which reaches the objects by RPC (`rpcReach`),
 * and on a shard's channel, where the shard object stands in for its own stub (it calls its own
 * workflows' methods, and polls itself, without an RPC: src/workflow-object/shard-channel.ts). The
 * answers are the same either way, because the code is.
 */
import type { ParsedRequestOf, ResponseOf, ShardChannelEndpoint, WorkflowTask } from '../protocol/index.js';
import { longPollMs, type Env } from './env.js';
import { unwrap } from './service-error.js';
import { pollingShard, shardCount, type PollingShard } from './shard-polls.js';
import { workflowObjectNamed, workflowStub, type WorkflowStub } from './stubs.js';
import { batchTasks, type CallingMany } from './task-batch.js';
import { requireKind, verifyTaskToken, type TaskTokenData } from './task-token.js';

/** Where a handler reaches the objects: by RPC (the router), or from inside a shard (its channel). */
export interface Reach {
  /** The methods of the workflow `workflowId`. */
  workflow(namespace: string, workflowId: string): WorkflowStub;
  /** The object of this name (`workflowObjectName`), for a batch's items it keeps. */
  objectNamed(name: string): CallingMany;
  /** The shard the path (or the channel) names, for its polls. */
  shard(namespace: string, shard: string): Pick<PollingShard, 'pollWorkflowTasks'>;
}

/** The objects as the router reaches them: every call an RPC. */
export const rpcReach = (env: Env): Reach => ({
  workflow: (namespace, workflowId) => workflowStub(env, namespace, workflowId),
  // The object's RPC types are too deep to check here; CallingMany states what callMany returns.
  objectNamed: (name) => workflowObjectNamed(env, name) as unknown as CallingMany,
  shard: (namespace, shard) => pollingShard(env, namespace, shard),
});

/** What a handler is given: the namespace (the path's, or the channel's), the path's parameters and the validated body. */
export interface ChannelCall<E extends ShardChannelEndpoint> {
  env: Env;
  namespace: string;
  params: Record<string, string>;
  body: ParsedRequestOf<E>;
  /** Where the objects are: by RPC (`rpcReach`) unless given (a shard's channel gives itself). */
  reach?: Reach;
}

/** Verifies the body's task token against the namespace, then runs `fn` with what it names. */
export const withToken = async <T>(call: { env: Env; namespace: string; body: { taskToken: string } }, fn: (token: TaskTokenData) => Promise<T>) => {
  const token = await verifyTaskToken(call.body.taskToken, call.env.KEEL_TOKEN_SECRET, call.namespace);
  return fn(token);
};

/** A workflow-task poll's tasks on the wire: the first as `task`, any others (protocol 3) as `moreTasks`; none: no field. */
export const workflowPollAnswer = ([task, ...moreTasks]: WorkflowTask[]) => (task ? { task, ...(moreTasks.length > 0 ? { moreTasks } : {}) } : {});

type ChannelHandlers = { [E in ShardChannelEndpoint]: (call: ChannelCall<E>) => Promise<ResponseOf<E>> };

const reachOf = (c: { env: Env; reach?: Reach }) => c.reach ?? rpcReach(c.env);
const wfOf = (c: { env: Env; reach?: Reach }, t: TaskTokenData) => reachOf(c).workflow(t.namespace, t.workflowId);

/** The handlers, each reaching the objects as its call says (`reach`). */
export const channelHandlers: ChannelHandlers = {
  // On a channel, a workflow of another shard (a client that counted shards differently) is reached by that shard's stub.
  startWorkflow: async (c) => ({ ...unwrap(await reachOf(c).workflow(c.namespace, c.body.workflowId).start(c.body)), ...shardCount(c.env) }),
  signalWithStartWorkflow: async (c) => ({ ...unwrap(await reachOf(c).workflow(c.namespace, c.params.workflowId!).signalWithStart(c.body)), ...shardCount(c.env) }),
  getWorkflowHistory: async (c) => unwrap(await reachOf(c).workflow(c.namespace, c.params.workflowId!).history(c.body)),
  pollShardWorkflowTask: async (c) => workflowPollAnswer(await reachOf(c).shard(c.namespace, c.params.shard!).pollWorkflowTasks(c.body.taskQueue, c.body.pollerId, longPollMs(c.env), c.body.maxTasks)),
  completeWorkflowTask: (c) => withToken(c, async (t) => unwrap(await wfOf(c, t).completeWorkflowTask(requireKind(t, 'workflow'), c.body))),
  failWorkflowTask: (c) => withToken(c, async (t) => unwrap(await wfOf(c, t).failWorkflowTask(requireKind(t, 'workflow'), c.body))),
  completeActivityTask: (c) => withToken(c, async (t) => unwrap(await wfOf(c, t).completeActivityTask(requireKind(t, 'activity'), c.body))),
  failActivityTask: (c) => withToken(c, async (t) => unwrap(await wfOf(c, t).failActivityTask(requireKind(t, 'activity'), c.body))),
  batchTasks: (c) => batchTasks(c.env, c.namespace, c.body.items, (name) => reachOf(c).objectNamed(name)),
};
