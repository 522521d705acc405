/**
 * `ClientChannels`: a client's starts on the service's shard channels (protocol 8,
 * protocol/shard-channel.ts) — starts, signal-with-starts and result long polls, each about one
 * workflow. A start over HTTP is a Worker request and a Durable Object request on Cloudflare; sent on a
 * WebSocket to the shard that keeps the workflow, it is one message, billed at 1/20 of a Durable Object
 * request — and a client's `execute` is one start (`waitForClose`), or with an eager start a start and
 * a result long poll.
 *
 * The shard is the one the workflow id (the request's, or the path's for signal-with-start and a
 * history) hashes to (`shardOf`, the protocol's function the service uses) among the namespace's
 * shards, which a start's answer says (`workflowShards`): a client's first start in a namespace goes
 * over HTTP and teaches it the count; each later call goes on its shard's
 * channel (`ShardChannels`, the worker's channels' code), which opens on that shard's first start —
 * over HTTP meanwhile. An answer without the count (a service without shards, or older) sends the
 * namespace's starts over HTTP again. A start the channel cannot carry goes over HTTP as the worker's
 * calls do (see ShardChannels); one lost with its channel is sent again over HTTP with its request id,
 * so it starts nothing twice.
 *
 * `Connection.call` offers such a call here (`CLIENT_CHANNEL_ENDPOINTS`) unless it has a route of its
 * own, and hands every answer to `learn`, whichever way it came (a start's teaches the count).
 */
import { CLIENT_CHANNEL_ENDPOINTS, shardOf, type EndpointName, type RequestOf, type ResponseOf } from '../../protocol/index.js';
import type { Connection } from './connection.js';
import type { CallOptions, CallRoute } from './http-transport.js';
import { ShardChannels, type ShardChannelStats } from './shard-channels.js';

const CARRIED: ReadonlySet<EndpointName> = new Set(CLIENT_CHANNEL_ENDPOINTS);
/** The calls whose answer says the namespace's shard count (`workflowShards`). */
const STARTS: ReadonlySet<EndpointName> = new Set(['startWorkflow', 'signalWithStartWorkflow']);

/** Namespaces whose shard count is kept; past it the table starts over (a client uses a few). */
const MAX_NAMESPACES = 64;

export class ClientChannels implements CallRoute {
  /** Each namespace's shard count, from its last start's answer. */
  private readonly shards = new Map<string, number>();
  /** Made on the first start a channel could carry. */
  private channels: ShardChannels | undefined;
  private closed = false;

  constructor(private readonly connection: Connection) {}

  /** Whether `Connection.call` offers `endpoint` here. */
  static carries(endpoint: EndpointName): boolean {
    return CARRIED.has(endpoint);
  }

  /** What the channels did (tests, benchmarks); all zero before the first channel. */
  get stats(): ShardChannelStats {
    return this.channels?.stats ?? { opened: 0, sent: 0, answered: 0, resent: 0, lost: 0 };
  }

  /** Whether starts may still go over channels (false once the service refused them, or after `close`). */
  get on(): boolean {
    return !this.closed && (this.channels?.on ?? true);
  }

  /** The start on its shard's channel, or `undefined` (HTTP): the count not known yet, or the channel not open. */
  carry<E extends EndpointName>(endpoint: E, request: RequestOf<E>, options: CallOptions): Promise<ResponseOf<E>> | undefined {
    const count = this.shards.get(options.namespace);
    if (count === undefined || this.closed) return undefined;
    // The path's workflow id (signal-with-start, a history), else the request's (a start).
    const workflowId = options.params?.workflowId ?? (request as { workflowId?: unknown }).workflowId;
    if (typeof workflowId !== 'string') return undefined;
    const shard = shardOf(workflowId, count);
    // The connection decided whether a fetch of its own rules channels out (ConnectionOptions.shardChannels).
    this.channels ??= new ShardChannels(this.connection, { besideOwnFetch: true });
    return this.channels.carry(endpoint, request, { ...options, shardKey: String(shard) });
  }

  /** A call's answer, by either way: a start's says the namespace's shard count, or that there are none. */
  learn(namespace: string, endpoint: EndpointName, answer: { workflowShards?: number }): void {
    if (!STARTS.has(endpoint)) return;
    const count = answer.workflowShards;
    if (count === undefined) {
      this.shards.delete(namespace);
      return;
    }
    if (this.shards.get(namespace) === count) return;
    if (this.shards.size >= MAX_NAMESPACES) this.shards.clear();
    this.shards.set(namespace, count);
  }

  /** Closes the channels (the connection closes); starts go over HTTP from now on. */
  async close(): Promise<void> {
    this.closed = true;
    await this.channels?.closeChannels();
  }
}
