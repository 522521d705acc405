/**
 * The router's side of protocols 7 and 8, a worker's or a client's channel to a workflow shard (protocol/shard-channel.ts):
 * the upgrade request, admitted as any call to its namespace (src/router.ts), is checked here — the
 * shard its path names (`shardIndex`, as a shard poll's), a WebSocket upgrade, the namespace registered
 * — and handed to the shard object, whose 101 answer it is. The calls on the channel never pass the
 * router again: the shard object answers them (src/workflow-object/shard-channel.ts).
 */
import type { Env } from './env.js';
import { requireNamespace } from './namespaces/cache.js';
import { ServiceError } from './service-error.js';
import { shardIndex } from './shard-polls.js';
import { workflowObjectNamed } from './stubs.js';

/** The channel's path under its namespace (protocol/shard-channel.ts's `shardChannelPath`). */
export const SHARD_CHANNEL_PATH = '/shards/{shard}/channel';

/**
 * The header the router hands the shard object the channel's namespace and shard in, once it has
 * admitted the request; the object trusts it (only the router reaches it). A caller's own is replaced.
 */
export const CHANNEL_HEADER = 'keel-shard-channel';

/** What the object knows a channel by: its namespace and shard index. */
export interface ChannelName {
  namespace: string;
  shard: number;
}

/** The channel's name as CHANNEL_HEADER carries it (percent-encoded JSON: a namespace may be any name). */
export const channelHeaderOf = ({ namespace, shard }: ChannelName) => encodeURIComponent(JSON.stringify([namespace, shard]));

/** CHANNEL_HEADER's value read back; undefined when absent or not one the router wrote. */
export function channelNameOf(header: string | null): ChannelName | undefined {
  try {
    const [namespace, shard] = JSON.parse(decodeURIComponent(header ?? '')) as unknown[];
    return typeof namespace === 'string' && typeof shard === 'number' ? { namespace, shard } : undefined;
  } catch {
    return undefined;
  }
}

/** Hands an admitted request for `…/shards/{shard}/channel` to the shard object and answers with its 101. */
export async function openShardChannel(request: Request, env: Env, namespace: string, shard: string): Promise<Response> {
  const index = shardIndex(env, shard);
  if (!/(^|[\s,])websocket([\s,]|$)/i.test(request.headers.get('upgrade') ?? '')) {
    throw new ServiceError('UPGRADE_REQUIRED', `A shard's channel is a WebSocket: open ${new URL(request.url).pathname.slice(0, 300)} with 'Upgrade: websocket' (protocol 7), or send each call to its HTTP endpoint.`);
  }
  await requireNamespace(env, namespace);
  const headers = new Headers(request.headers);
  headers.set(CHANNEL_HEADER, channelHeaderOf({ namespace, shard: index }));
  return workflowObjectNamed(env, [namespace, index]).fetch(new Request(request.url, { headers }));
}
