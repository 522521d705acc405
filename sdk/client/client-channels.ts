/**
 * `ClientChannels`: a client's starts on the service's shard channels (protocol 8,
 * protocol/shard-channel.ts). A start over HTTP is a Worker request and a Durable Object request on
 * Cloudflare; sent on a WebSocket to the shard that keeps the workflow, it is one message, billed at
 * 1/20 of a Durable Object request — and a client's `execute` is one start (`waitForClose`).
 *
 * The shard is the one the workflow id hashes to (`shardOf`, the protocol's function the service
 * uses) among the namespace's shards, which a start's answer says (`workflowShards`): a client's first
 * start in a namespace goes over HTTP and teaches it the count; each later one goes on its shard's
 * channel (`ShardChannels`, the worker's channels' code), which opens on that shard's first start —
 * over HTTP meanwhile. An answer without the count (a service without shards, or older) sends the
 * namespace's starts over HTTP again. A start the channel cannot carry goes over HTTP as the worker's
 * calls do (see ShardChannels); one lost with its channel is sent again over HTTP with its request id,
 * so it starts nothing twice.
 *
 * `Connection.call` offers a start here (`CLIENT_CHANNEL_ENDPOINTS`) unless the call has a route of
 * its own, and hands back every answer to `learn`, whichever way it came.
 */
import { CLIENT_CHANNEL_ENDPOINTS, shardOf, type EndpointName, type RequestOf, type ResponseOf } from '../../protocol/index.js';
import type { Connection } from './connection.js';
import type { CallOptions, CallRoute } from './http-transport.js';
import { ShardChannels, type ShardChannelStats } from './shard-channels.js';

const CARRIED: ReadonlySet<EndpointName> = new Set(CLIENT_CHANNEL_ENDPOINTS);

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
    const shard = shardOf((request as RequestOf<'startWorkflow'>).workflowId, count);
    // The connection decided whether a fetch of its own rules channels out (ConnectionOptions.shardChannels).
    this.channels ??= new ShardChannels(this.connection, { besideOwnFetch: true });
    return this.channels.carry(endpoint, request, { ...options, shardKey: String(shard) });
  }

  /** A start's answer, by either way: the namespace's shard count, or none. */
  learn(namespace: string, answer: { workflowShards?: number }): void {
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
