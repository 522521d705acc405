/**
 * Protocol 7: a worker's channel to a workflow shard. A worker keeps one WebSocket to each shard it
 * works with, opened at `GET {namespacePath}/shards/{shard}/channel` with `Upgrade: websocket` and
 * the credentials of any other call, and sends on it the calls about that shard's tasks it would
 * otherwise make over HTTP. The shard answers each on the same socket. Why: an HTTP exchange costs a
 * request parse, routing, a Worker invocation and an RPC on the service's side and a request and a
 * response parse on the worker's, for every task; a message on a channel the shard itself holds costs
 * none of these (the WebSocket floor measured 0.55× the HTTP floor per W2 step, bench/RESULTS.md).
 *
 * A call is one text message, `{"id": 7, "call": "batchTasks", "request": {…}}`: `request` is exactly
 * the endpoint's HTTP body, validated by the same schema; the namespace (and, for a shard poll, the
 * shard) are the channel's. Its answer is `{"id": 7, "response": {…}}`, or `{"id": 7, "error": {code,
 * message, details?}}` with the code and message the HTTP endpoint would have answered with. Answers
 * come in any order: a long poll's answer comes when it ends. A call's `id` is the caller's, unique
 * among its calls in flight on that channel.
 *
 * Protocol 8: a client's calls about one workflow on the same channels. A client that knows the
 * namespace's shard count (a start's answer says it, `workflowShards`) sends a start (`startWorkflow`,
 * with `waitForClose` its `execute`: start and result in one call), a signal-with-start, or a result
 * long poll (`getWorkflowHistory`) on the channel of the shard its workflow id hashes to (`shardOf`,
 * protocol/workflow-shard.ts) — a message, where over HTTP it is a Worker request and a Durable Object
 * request. A call whose path names the workflow carries the path's parameters in `params`
 * (`{"workflowId": …}`), as the path would, unencoded. The shard runs the HTTP endpoint's own handler
 * after the same checks; a call sent to another shard's channel is passed on to that shard and
 * answered as over HTTP. A service with protocol 7 only answers such a call ROUTE_NOT_FOUND: send it
 * over HTTP.
 *
 * Protocol 10: a worker's channel says in its upgrade's query which task queue it serves, and of which kinds
 * (`shardChannelServesQuery`); the shard then sends on it, unasked, a message with no `id`, `{"wake": {…}}`
 * (`ShardChannelWake`), when it hands that queue a task that goes to the queue's backlog: a worker that
 * stopped long-polling the queue (parked it) polls it again (docs/workers.md, "parked polls").
 *
 * Nothing is lost with a channel: a call whose answer does not arrive before the channel closes is
 * as an HTTP request whose answer was lost, and is retried (over HTTP or a new channel) under the
 * same rules — completions carry their request ids, polled tasks their hand-off window.
 */
import { namespacePath, type EndpointName, type RequestOf, type ResponseOf } from './api.js';
import type { ErrorBody } from './errors.js';

/** The endpoints a worker's calls use on a shard channel (protocol 7): those about one shard's workflow tasks, their activities' completions, and the shard's polls. */
export const WORKER_CHANNEL_ENDPOINTS = ['pollShardWorkflowTask', 'batchTasks', 'completeWorkflowTask', 'failWorkflowTask', 'completeActivityTask', 'failActivityTask'] as const satisfies readonly EndpointName[];

/** The endpoints a client's calls use on a shard channel (protocol 8): about the one workflow the request's (or the path's) `workflowId` names. */
export const CLIENT_CHANNEL_ENDPOINTS = ['startWorkflow', 'signalWithStartWorkflow', 'getWorkflowHistory'] as const satisfies readonly EndpointName[];

/** Every endpoint a shard channel carries. */
export const SHARD_CHANNEL_ENDPOINTS = [...WORKER_CHANNEL_ENDPOINTS, ...CLIENT_CHANNEL_ENDPOINTS] as const;
export type ShardChannelEndpoint = (typeof SHARD_CHANNEL_ENDPOINTS)[number];

/** The path a worker opens a shard's channel at (the shard index as in `shardKey`). */
export const shardChannelPath = (namespace: string, shard: number | string) => `${namespacePath(namespace)}/shards/${shard}/channel`;

/** One call on a channel. */
export interface ShardChannelCall<E extends ShardChannelEndpoint = ShardChannelEndpoint> {
  id: number;
  call: E;
  request: RequestOf<E>;
  /** The endpoint path's parameters but the shard (the channel's), unencoded: `workflowId` for a call whose path names it (protocol 8). */
  params?: Record<string, string>;
}

/** The answer to the call of the same `id`. */
export type ShardChannelAnswer<E extends ShardChannelEndpoint = ShardChannelEndpoint> = { id: number; response: ResponseOf<E> } | { id: number; error: ErrorBody['error'] };

/** A worker's kinds of task queue (as `cancelPolls` names them). */
export type ShardChannelQueueKind = 'workflow' | 'activity';

/**
 * Protocol 10: what a worker's channel serves, said in its upgrade's query (`shardChannelServes`): the
 * task queue it polls and of which kinds. A shard sends a wake (`ShardChannelWake`) on the channels that
 * serve a queue when it hands that queue a task that goes to its backlog (no poll waited for it).
 */
export interface ShardChannelServes {
  taskQueue: string;
  kinds: readonly ShardChannelQueueKind[];
}

/** The upgrade's query for what a channel serves: `?taskQueue=…&kinds=workflow,activity`. */
export const shardChannelServesQuery = ({ taskQueue, kinds }: ShardChannelServes) => `?${new URLSearchParams({ taskQueue, kinds: kinds.join(',') }).toString()}`;

/** What an upgrade's query says the channel serves; undefined for none (a client's channel, an older worker's) or one it cannot read. */
export function shardChannelServesOf(search: URLSearchParams): ShardChannelServes | undefined {
  const taskQueue = search.get('taskQueue');
  const kinds = (search.get('kinds') ?? '').split(',').filter((k): k is ShardChannelQueueKind => k === 'workflow' || k === 'activity');
  return taskQueue && kinds.length > 0 ? { taskQueue, kinds } : undefined;
}

/**
 * Protocol 10: a message the shard sends unasked, with no `id`: a task of this queue went to its
 * backlog, where no poll waited for it. A worker that parked its polls of the queue polls it again.
 */
export interface ShardChannelWake {
  wake: { namespace: string; taskQueue: string; kind: ShardChannelQueueKind };
}
