/**
 * ShardChannels: a shard's side of protocols 7 and 8 (protocol/shard-channel.ts). A worker's or a client's
 * WebSocket to this shard, accepted with the hibernation API once the router has admitted it
 * (src/shard-channel.ts), carries the worker's calls about the shard's tasks, or the client's starts of
 * the shard's workflows; each is answered here, on the socket, by the handler the
 * router runs for its HTTP endpoint (src/channel-handlers.ts), after the same checks (the key, the channel
 * was opened with, again; src/request-checks.ts) — so the answer, or the error's code, message and
 * details, is the HTTP endpoint's. What it saves is
 * everything around it: no HTTP request to parse, no routing, no Worker invocation, no RPC — the shard
 * stands in for its own stub, calling its own workflows' methods and its own polls directly.
 *
 * A task token naming a workflow of another shard (a worker that put a task on the wrong channel, or a
 * deployment whose shard count changed), or a start whose workflow id hashes to another shard (a client
 * that counted shards differently), is not refused: its call is forwarded through that shard's stub, as
 * the router would send it, and answered as over HTTP (a start's answer says the count again).
 *
 * A message that cannot be answered — binary, over Limits.maxRequestBytes, not JSON, no numeric `id` —
 * closes the channel with a WebSocket close code saying why (there is no id to answer it under); the
 * worker's calls still in flight are then as HTTP requests whose answers were lost, retried under the
 * same rules. A channel that closes ends the shard polls it started at once: a poll nobody will read
 * must not take a new run's first task (it would wait for the offer's hand-off window).
 */
import { Api, Limits, SHARD_CHANNEL_ENDPOINTS, type ShardChannelAnswer, type ShardChannelEndpoint, type WorkflowTask } from '../../protocol/index.js';
import { authorize, sha256Hex } from '../auth.js';
import type { Env } from '../env.js';
import { checkDepth, checkPathParam, validate } from '../request-checks.js';
import { errorBodyOf, ServiceError } from '../service-error.js';
import { CHANNEL_HEADER, channelNameOf, type ChannelName } from '../shard-channel.js';
import { workflowMethods, workflowObjectName, workflowObjectNamed, workflowStub, type WorkflowCaller } from '../stubs.js';
import type { CallingMany } from '../task-batch.js';
import { channelHandlers, type Reach, type ChannelCall } from '../channel-handlers.js';
import { wakeTagsOf } from './queue-wakes.js';

/** What a channel needs of its shard object: its state (the sockets), env, polls, and its workflows' methods called in it. */
export interface ChannelShard {
  ctx: DurableObjectState;
  env: Env;
  /** A shard poll of this channel's, waiting here until `ended` aborts at the latest. */
  poll(taskQueue: string, pollerId: string, waitMs: number, maxTasks: number | undefined, ended: AbortSignal): Promise<WorkflowTask[]>;
  /** A workflow's method, called in this object (no RPC). */
  call: WorkflowCaller['call'];
  /** Several workflows' task exchanges in one turn (one commit), called in this object. */
  callMany: CallingMany['callMany'];
}

/** WebSocket close codes (RFC 6455 §7.4.1). */
const CLOSE = { unsupportedData: 1003, invalidPayload: 1007, policyViolation: 1008, messageTooBig: 1009, normal: 1000 } as const;

/** What a socket keeps through hibernation (`serializeAttachment`: in memory, never on disk). */
interface Attachment extends ChannelName {
  /** The upgrade's Authorization header: each call's key is checked again (a key revoked since is refused). */
  authorization: string | null;
}

/** A channel as this instance knows it: its name and key (from the socket's attachment) and what ends its polls. */
interface Channel {
  name: Attachment;
  /** The object's own name, [namespace, shard] as JSON (`workflowObjectName` of its workflows). */
  own: string;
  /** Aborted when the channel closes: its polls waiting here end. */
  closed: AbortController;
  /** Its key hashed once (the key is the upgrade's, fixed): each call's check looks the hash up in the grants of now. */
  keyHash?: Promise<string>;
  /** The objects as its calls reach them (`reach`), made once. */
  reach: Reach;
}

const isChannelEndpoint = (call: unknown): call is ShardChannelEndpoint => typeof call === 'string' && (SHARD_CHANNEL_ENDPOINTS as readonly string[]).includes(call);

export class ShardChannels {
  /** By socket; filled from the attachment on first use (after hibernation, this instance is new and so is the socket object). */
  private readonly channels = new WeakMap<WebSocket, Channel>();

  constructor(private readonly shard: ChannelShard) {}

  /** The upgrade request the router admitted and named (CHANNEL_HEADER): accepted, hibernatable, its name kept with the socket. */
  open(request: Request): Response {
    const name = channelNameOf(request.headers.get(CHANNEL_HEADER));
    if (!name) throw new Error('a shard channel is opened through the router, which names it');
    const { 0: client, 1: server } = new WebSocketPair();
    // A worker's channel is tagged with the queues it serves, for their wakes (protocol 10, queue-wakes.ts).
    this.shard.ctx.acceptWebSocket(server, wakeTagsOf(request));
    server.serializeAttachment({ ...name, authorization: request.headers.get('authorization') } satisfies Attachment);
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * One call: answered on the socket when its handler ends. A long poll is awaited here, inside the
   * message's event: while an event runs the object is neither hibernated nor evicted (and a waiting
   * poll's timer keeps it from hibernating too), so the poll and its answer cannot be lost to
   * hibernation; its bound is the long-poll bound (KEEL_LONG_POLL_MS, 20 s), and a wait costs no CPU
   * time. Events do not queue behind each other (only storage operations hold the input gate), so a
   * completion on the same channel is answered while the poll waits.
   */
  async message(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const call = this.read(ws, data);
    if (!call) return;
    // Taken before any await: a close meanwhile aborts this channel's polls, including one this call is about to start.
    const answer = await this.answer(this.channel(ws), call);
    try {
      ws.send(JSON.stringify(answer));
    } catch {
      // The channel closed meanwhile: the answer is lost, as an HTTP answer can be; the worker retries.
    }
  }

  /** The channel closed (or failed): its polls end now, and the close is returned (unless the runtime did). */
  closed(ws: WebSocket, code: number = CLOSE.normal): void {
    this.end(ws, code, 'channel closed');
  }

  /** Ends the channel's polls and closes it with `code` (a code a peer may not send, e.g. 1005, as 1000). */
  private end(ws: WebSocket, code: number, reason: string): void {
    // A channel this instance never made has no polls here (a call makes it: `message`).
    this.channels.get(ws)?.closed.abort();
    this.channels.delete(ws);
    for (const c of [code, CLOSE.normal]) {
      try {
        return ws.close(c, reason);
      } catch {
        // Closed already, or a code that cannot be sent.
      }
    }
  }

  /** The envelope of a message that can be answered; else the channel is closed and undefined returned. */
  private read(ws: WebSocket, data: string | ArrayBuffer): Envelope | undefined {
    if (typeof data !== 'string') return this.refuse(ws, CLOSE.unsupportedData, 'binary message: a call is a JSON text message');
    if (overRequestLimit(data)) return this.refuse(ws, CLOSE.messageTooBig, `message over ${Limits.maxRequestBytes} bytes`);
    let envelope: unknown;
    try {
      envelope = JSON.parse(data);
    } catch {
      return this.refuse(ws, CLOSE.invalidPayload, 'message is not JSON');
    }
    const { id, call, request, params } = (envelope ?? {}) as Record<string, unknown>;
    if (typeof id !== 'number' || !Number.isFinite(id)) return this.refuse(ws, CLOSE.policyViolation, 'a call needs a numeric id');
    return { id, call, request, params };
  }

  /** Closes the channel for a message it cannot answer (the reason within the 123 bytes a close frame has). */
  private refuse(ws: WebSocket, code: number, reason: string): undefined {
    this.end(ws, code, reason);
    return undefined;
  }

  /** The call's answer: the HTTP endpoint's body, or its error. */
  private async answer(channel: Channel, { id, call, request, params }: Envelope): Promise<ShardChannelAnswer> {
    try {
      const { name } = channel;
      // The key first, as for every call: the channel was admitted with it, but it may have been revoked
      // since (this object sees a changed KEEL_API_KEYS once it restarts with the new deployment).
      await authorize(this.shard.env.KEEL_API_KEYS, name.authorization, name.namespace, (key) => (channel.keyHash ??= sha256Hex(key)));
      // The namespace needs no look-up: the router found it registered (or created it) when it admitted the
      // channel, and a namespace is never deleted.
      if (!isChannelEndpoint(call)) {
        throw new ServiceError('ROUTE_NOT_FOUND', `A shard channel carries no call '${String(call).slice(0, 100)}'; it carries ${SHARD_CHANNEL_ENDPOINTS.join(', ')} (protocols 7 and 8). Send other calls over HTTP.`);
      }
      // `request` is the endpoint's HTTP body, checked as the router checks one (an absent body is {} there too).
      const body = request ?? {};
      checkDepth(body);
      const channelCall: ChannelCall<ShardChannelEndpoint> = { env: this.shard.env, namespace: name.namespace, params: pathParams(call, params, name.shard), body: validate(Api[call].request, body) as never, reach: channel.reach };
      const response = await (channelHandlers[call] as (c: ChannelCall<ShardChannelEndpoint>) => Promise<unknown>)(channelCall);
      return { id, response } as ShardChannelAnswer;
    } catch (err) {
      return { id, error: errorBodyOf(err, `unexpected error in a shard channel's call`) };
    }
  }

  /** The objects as this channel reaches them: this shard itself for its own workflows and polls, another shard by its stub. */
  private reach({ own, closed }: Pick<Channel, 'own' | 'closed'>): Reach {
    const { env } = this.shard;
    return {
      workflow: (namespace, workflowId) => (workflowObjectName(env, namespace, workflowId) === own ? workflowMethods(this.shard, namespace, workflowId) : workflowStub(env, namespace, workflowId)),
      objectNamed: (name) => (name === own ? this.shard : (workflowObjectNamed(env, name) as unknown as CallingMany)),
      // The channel's shard is this one (its poll names no other).
      shard: () => ({ pollWorkflowTasks: (taskQueue, pollerId, waitMs, maxTasks) => this.shard.poll(taskQueue, pollerId, waitMs, maxTasks, closed.signal) }),
    };
  }

  private channel(ws: WebSocket): Channel {
    let channel = this.channels.get(ws);
    if (!channel) {
      const name = ws.deserializeAttachment() as Attachment;
      const own = JSON.stringify([name.namespace, name.shard]);
      const closed = new AbortController();
      this.channels.set(ws, (channel = { name, own, closed, reach: this.reach({ own, closed }) }));
    }
    return channel;
  }
}

/** A message's parts, before any is checked. */
interface Envelope {
  id: number;
  call: unknown;
  request: unknown;
  params: unknown;
}

/** Each endpoint's path parameters, by name, from its path template ('/workflows/{workflowId}/history' → ['workflowId']). */
const PATH_PARAMS = new Map<string, string[]>();
const pathParamsOf = (call: ShardChannelEndpoint): string[] => {
  let names = PATH_PARAMS.get(call);
  if (!names) PATH_PARAMS.set(call, (names = [...Api[call].path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)));
  return names;
};

/**
 * The path parameters a call's handler reads, as the router reads them from the path: the shard is the
 * channel's, any other (protocol 8: `workflowId`) the call's `params`, checked as a path's; INVALID_ARGUMENT
 * for one missing (a path without it has no route), or of the wrong length.
 */
function pathParams(call: ShardChannelEndpoint, given: unknown, shard: number): Record<string, string> {
  const out: Record<string, string> = { shard: String(shard) };
  for (const name of pathParamsOf(call)) {
    if (name === 'shard') continue;
    const value = given !== null && typeof given === 'object' ? (given as Record<string, unknown>)[name] : undefined;
    if (typeof value !== 'string') {
      throw new ServiceError('INVALID_ARGUMENT', `A ${call} call names its ${name} in params, as its path would (protocol 8): {"params": {"${name}": …}}.`, { issues: [{ path: `params.${name}`, message: 'required: a string' }] });
    }
    checkPathParam(name, value);
    out[name] = value;
  }
  return out;
}

/** Whether a message is over Limits.maxRequestBytes in UTF-8; encoded only when its length leaves it in doubt (a code unit is 1 to 3 bytes). */
function overRequestLimit(text: string): boolean {
  const max = Limits.maxRequestBytes;
  if (text.length > max) return true;
  if (text.length * 3 <= max) return false;
  return new TextEncoder().encode(text).byteLength > max;
}
