/**
 * The HTTP front door: parses and validates each request against the protocol's
 * endpoint table, calls the right Durable Object, and answers. Every error leaves
 * through the one `catch` here as `{ error: { code, message, details } }`.
 */
import { Router, type IRequest } from 'itty-router';
import { API_PREFIX, Api, ErrorStatus, Limits, endpointPathTemplate, isStickyQueueName, openApiDocument, ownsStickyQueue, type EndpointName, type ParsedRequestOf, type ResponseOf, type WorkflowTask } from '../protocol/index.js';
import { authorize, authorizeOperator, requireTokenSecret, visibleNamespaces } from './auth.js';
import { requireNamespace } from './namespaces/cache.js';
import { describeNamespace, listNamespaces, registerNamespace, updateNamespace } from './namespaces/handlers.js';
import { checkHost } from './host-check.js';
import { SECURITY_HEADERS, withSecurityHeaders } from './security-headers.js';
import type { Env } from './env.js';
import { errorBodyOf, ServiceError, unwrap } from './service-error.js';
import { scheduleStub, taskQueueStub, workflowStub } from './stubs.js';
import { namespaceCost } from './cost/namespace-cost.js';
import { serviceMetrics } from './metrics/service-metrics.js';
import { requireKind, type TaskTokenData } from './task-token.js';
import { cancelShardPolls, queuePollAnswer, queuePollWaitMs } from './shard-polls.js';
import { channelHandlers, withToken, workflowPollAnswer } from './channel-handlers.js';
import { checkDepth, checkPathParam, validate } from './request-checks.js';
import { openShardChannel, SHARD_CHANNEL_PATH } from './shard-channel.js';
import { countExecutions, listExecutions } from './visibility/queries.js';
import { timeSkippingEnabled } from './engine/time-skip.js';
import { listSchedules } from './visibility/schedules.js';

interface Call<E extends EndpointName> {
  env: Env;
  /** The path's namespace ('' for an endpoint outside namespaces). */
  namespace: string;
  /** The request's Authorization header, for endpoints that authorize by more than the namespace. */
  authorization: string | null;
  params: Record<string, string>;
  body: ParsedRequestOf<E>;
}

type Handlers = { [E in EndpointName]: (call: Call<E>) => Promise<ResponseOf<E>> };

const wf = (c: { env: Env; namespace: string; params: Record<string, string> }) => workflowStub(c.env, c.namespace, c.params.workflowId!);
const wfOf = (c: { env: Env }, t: TaskTokenData) => workflowStub(c.env, t.namespace, t.workflowId);
const sched = (c: { env: Env; namespace: string; params: Record<string, string> }) => scheduleStub(c.env, c.namespace, c.params.scheduleId!);
const identityOf = (body: { identity?: string | undefined }) => body.identity ?? 'anonymous';

const handlers: Handlers = {
  // The endpoints a shard channel carries too (protocols 7 and 8: the worker's task calls, a client's start); from here they reach the objects by RPC.
  ...channelHandlers,
  describeWorkflow: async (c) => unwrap(await wf(c).describe(c.body)),
  signalWorkflow: async (c) => unwrap(await wf(c).signal(c.body)),
  requestCancelWorkflow: async (c) => unwrap(await wf(c).requestCancel(c.body)),
  terminateWorkflow: async (c) => unwrap(await wf(c).terminate(c.body)),
  resetWorkflow: async (c) => unwrap(await wf(c).reset(c.body)),
  queryWorkflow: async (c) => unwrap(await wf(c).query(c.body)),
  updateWorkflow: async (c) => unwrap(await wf(c).update(c.body)),
  updateWithStartWorkflow: async (c) => unwrap(await wf(c).updateWithStart(c.body)),
  pollWorkflowUpdate: async (c) => unwrap(await wf(c).pollUpdate(c.params.updateId!, c.body)),
  pollWorkflowTask: async (c) => {
    const queue = taskQueueStub(c.env, c.namespace, c.params.taskQueue!, 'workflow');
    const started =
      (c.body.maxTasks ?? 1) > 1
        ? await queue.pollMany(identityOf(c.body), queuePollWaitMs(c.env, c.body.waitMs), c.body.pollerId, c.body.acknowledgesHandOff ?? false, c.body.maxTasks!, c.body.stickyTaskQueue)
        : [await queue.poll(identityOf(c.body), queuePollWaitMs(c.env, c.body.waitMs), c.body.pollerId, c.body.acknowledgesHandOff, c.body.stickyTaskQueue)];
    const tasks = started.flatMap((s) => (s?.kind === 'workflow' ? [s.task] : []));
    // A closed sticky queue answers at once: said so, its worker (alive after all) moves to a new one instead of polling on.
    if (tasks.length === 0 && isStickyQueueName(c.params.taskQueue!) && (await queue.isClosed())) {
      throw new ServiceError('STICKY_QUEUE_CLOSED', `The sticky queue '${c.params.taskQueue!.slice(0, 200)}' is closed: its worker shut down or was taken for dead. Poll a new sticky queue.`);
    }
    // Shard polls take only offered tasks, which only a worker that acknowledges may take: only it is told of them (and of wakes).
    return { ...workflowPollAnswer(tasks), ...(c.body.acknowledgesHandOff ? queuePollAnswer(c.env) : {}) };
  },
  respondQueryTask: (c) => withToken(c, async (t) => unwrap(await wfOf(c, t).respondQueryTask(requireKind(t, 'query'), c.body))),
  pollActivityTask: async (c) => {
    const started = await taskQueueStub(c.env, c.namespace, c.params.taskQueue!, 'activity').poll(identityOf(c.body), queuePollWaitMs(c.env, c.body.waitMs), c.body.pollerId, c.body.acknowledgesHandOff, c.body.stickyTaskQueue, c.body.maxTasksPerSecond);
    return { ...(started?.kind === 'activity' ? { task: started.task } : {}), ...(c.body.acknowledgesHandOff ? queuePollAnswer(c.env) : {}) };
  },
  acknowledgeTask: (c) => withToken(c, async (t) => unwrap(await wfOf(c, t).acknowledgeTask(t, c.body.identity))),
  heartbeatActivityTask: (c) => withToken(c, async (t) => unwrap(await wfOf(c, t).heartbeatActivityTask(requireKind(t, 'activity'), c.body))),
  cancelActivityTask: (c) => withToken(c, async (t) => unwrap(await wfOf(c, t).cancelActivityTask(requireKind(t, 'activity'), c.body))),
  heartbeatActivityById: async (c) => unwrap(await wf(c).heartbeatActivityById(c.params.activityId!, c.body)),
  completeActivityById: async (c) => unwrap(await wf(c).completeActivityById(c.params.activityId!, c.body)),
  failActivityById: async (c) => unwrap(await wf(c).failActivityById(c.params.activityId!, c.body)),
  cancelActivityById: async (c) => unwrap(await wf(c).cancelActivityById(c.params.activityId!, c.body)),
  cancelPolls: async (c) => taskQueueStub(c.env, c.namespace, c.params.taskQueue!, c.body.kind).cancelPolls(c.body.pollerId),
  shutdownWorker: async (c) => {
    const { stickyTaskQueue, stickyQueueSecret, pollerId } = c.body;
    if (stickyTaskQueue !== undefined && !(await ownsStickyQueue(stickyTaskQueue, stickyQueueSecret!))) {
      throw new ServiceError('PERMISSION_DENIED', `Only the worker that made the sticky queue '${stickyTaskQueue.slice(0, 200)}' may close it: its name does not end in the hash of this stickyQueueSecret.`);
    }
    await Promise.all([stickyTaskQueue !== undefined && taskQueueStub(c.env, c.namespace, stickyTaskQueue, 'workflow').closeSticky(), pollerId !== undefined && cancelShardPolls(c.env, c.namespace, pollerId)]);
    return {};
  },
  describeTaskQueue: async (c) => taskQueueStub(c.env, c.namespace, c.params.taskQueue!, c.body.kind).describe(),
  listWorkflows: (c) => listExecutions(c.env, c.namespace, c.body),
  advanceWorkflowTime: async (c) => {
    if (!timeSkippingEnabled(c.env.KEEL_TIME_SKIPPING)) throw new ServiceError('FEATURE_DISABLED', 'Time skipping is only available in local test services (keel/testing); this service runs on real time.');
    return unwrap(await wf(c).advanceTime(c.body.byMs));
  },
  countWorkflows: (c) => countExecutions(c.env, c.namespace, c.body),
  describeNamespaceCost: (c) => namespaceCost(c.env, c.namespace, c.body),
  createSchedule: async (c) => unwrap(await scheduleStub(c.env, c.namespace, c.body.scheduleId).create(c.namespace, c.body)),
  describeSchedule: async (c) => unwrap(await sched(c).describe()),
  updateSchedule: async (c) => unwrap(await sched(c).update(c.body)),
  patchSchedule: async (c) => unwrap(await sched(c).patch(c.body)),
  deleteSchedule: async (c) => unwrap(await sched(c).delete()),
  listSchedules: (c) => listSchedules(c.env, c.namespace, c.body),
  deleteWorkflow: async (c) => unwrap(await wf(c).deleteRun(c.body)),
  registerNamespace: (c) => registerNamespace(c.env, c.body),
  listNamespaces: async (c) => listNamespaces(c.env, c.body, await visibleNamespaces(c.env.KEEL_API_KEYS, c.authorization)),
  describeNamespace: (c) => describeNamespace(c.env, c.namespace),
  updateNamespace: (c) => updateNamespace(c.env, c.namespace, c.body),
};

/** Endpoints that change namespaces: an operator's acts, which take a key granted every namespace. */
const OPERATOR_ACTS: Partial<Record<EndpointName, string>> = { registerNamespace: 'register namespaces', updateNamespace: 'change namespaces' };

async function readBody(request: Request): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    await discard(request);
    throw new ServiceError('UNSUPPORTED_MEDIA_TYPE', `The request body must be JSON sent with Content-Type: application/json (it was ${type ? `'${type.slice(0, 100)}'` : 'not set'}).`);
  }
  const length = request.headers.get('content-length');
  const declared = Number(length ?? 0);
  if (declared > Limits.maxRequestBytes) {
    await discard(request);
    throw tooLarge(declared);
  }
  // A declared length within the limit is the body's length (HTTP framing: the runtime reads no
  // more), so the body is read whole, natively. The limit is in bytes, and a streamed body
  // declares no length: count as it arrives and stop reading once it is over.
  const text = length !== null ? await request.text() : new TextDecoder().decode(await readAtMost(request, Limits.maxRequestBytes));
  if (text.trim() === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new ServiceError('INVALID_JSON', `The request body is not valid JSON (${(err as Error).message}); send a JSON object with Content-Type: application/json.`);
  }
  checkDepth(body);
  return body;
}

/**
 * A refused body is still read (and dropped), up to a bound: answering while the client is still
 * sending makes the connection close under it, and the client sees a reset instead of the 413.
 */
const MAX_DISCARD_BYTES = 64 * 1024 * 1024;

async function discard(request: Request, reader = request.body?.getReader()): Promise<void> {
  if (!reader) return;
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      size += value.byteLength;
      if (size > MAX_DISCARD_BYTES) break;
    }
  } catch {
    return;
  }
  await reader.cancel().catch(() => undefined);
}

async function readAtMost(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await discard(request, reader);
      throw tooLarge(size, 'at least ');
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

const tooLarge = (n: number, atLeast = '') => new ServiceError('PAYLOAD_TOO_LARGE', `The request body is ${atLeast}${n} bytes; the limit is ${Limits.maxRequestBytes} bytes. Send large data by reference (e.g. an object-store key) instead of in the payload.`, { limit: Limits.maxRequestBytes });

function decodeParams(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in params) {
    const v = params[k]!;
    let value: string;
    try {
      // Without a '%' there is nothing to decode (ids usually have none).
      value = typeof v === 'string' && !v.includes('%') ? v : decodeURIComponent(v);
    } catch {
      throw new ServiceError('INVALID_ARGUMENT', `Path parameter '${k}' is not valid percent-encoding ('${v}'); encode it with encodeURIComponent.`, { issues: [{ path: k, message: 'malformed percent-encoding' }] });
    }
    checkPathParam(k, value);
    out[k] = value;
  }
  return out;
}

/**
 * A call's admission, before anything else is read: its path parameters, the service's secrets, and
 * its key's grant for the path's namespace (or for every namespace, for an operator's act; any valid
 * key for a call about the service).
 */
async function admit(req: IRequest, env: Env, operatorAct?: string, scope?: 'service' | 'namespace-admin') {
  const { namespace = '', ...params } = decodeParams(req.params);
  requireTokenSecret(env.KEEL_API_KEYS, env.KEEL_TOKEN_SECRET);
  const authorization = req.headers.get('authorization');
  if (operatorAct) await authorizeOperator(env.KEEL_API_KEYS, authorization, operatorAct);
  else if (scope === 'service') await visibleNamespaces(env.KEEL_API_KEYS, authorization);
  else await authorize(env.KEEL_API_KEYS, authorization, namespace);
  return { namespace, params, authorization };
}

/** A JSON answer's headers, made once: the Response copies them (a Headers of its own), cheaper than from a fresh object per answer. */
const JSON_HEADERS = new Headers({ 'content-type': 'application/json; charset=utf-8', ...SECURITY_HEADERS });
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });

export function createRouter() {
  const router = Router<IRequest, [Env, ExecutionContext?]>({
    catch: (err: unknown) => {
      const error = errorBodyOf(err);
      return json({ error }, ErrorStatus[error.code]);
    },
  });

  // Before any route: a local service refuses other sites' requests and foreign Host names.
  router.all('*', (req, env: Env) => checkHost(req as unknown as Request, env));
  router.get(`${API_PREFIX}/openapi.json`, (req) => json(openApiDocument(new URL(req.url).origin)));
  router.get(`${API_PREFIX}/health`, () => json({ ok: true }));
  // Every namespace's counts: with API keys, only a key for all namespaces ('*') may read them.
  router.get(`${API_PREFIX}/metrics`, async (req, env: Env) => {
    await authorize(env.KEEL_API_KEYS, req.headers.get('authorization'), '*');
    return new Response(await serviceMetrics(env), { headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } });
  });

  // Protocols 7 and 8: a worker's or a client's channel to a shard, admitted as any call to the namespace, then the shard object's own.
  router.get(endpointPathTemplate({ path: SHARD_CHANNEL_PATH }).replace(/\{(\w+)\}/g, ':$1'), async (req, env: Env) => {
    const { namespace, params } = await admit(req, env);
    return openShardChannel(req as unknown as Request, env, namespace, params.shard!);
  });

  for (const [name, endpoint] of Object.entries(Api) as Array<[EndpointName, (typeof Api)[EndpointName]]>) {
    const path = endpointPathTemplate(endpoint).replace(/\{(\w+)\}/g, ':$1');
    const scope = 'scope' in endpoint ? endpoint.scope : undefined;
    const handle = async (req: IRequest, env: Env) => {
      // Keys are checked before the body is read, as for every call.
      const { namespace, params, authorization } = await admit(req, env, OPERATOR_ACTS[name], scope);
      const input = endpoint.method === 'GET' ? Object.fromEntries(new URL(req.url).searchParams) : await readBody(req as unknown as Request);
      // An ordinary call needs its namespace registered (a cached look-up: no round trip for a
      // namespace this isolate saw in the last few seconds); the namespace endpoints say NOT_FOUND
      // themselves. After the body is read: a look-up that does go to the registry must not hold an
      // oversized body unread (the sender would see its connection reset instead of the 413).
      if (scope === undefined) await requireNamespace(env, namespace);
      const body = validate(endpoint.request, input);
      const handler = handlers[name] as (call: Call<EndpointName>) => Promise<unknown>;
      return json(await handler({ env, namespace, authorization, params, body: body as never }));
    };
    if (endpoint.method === 'GET') router.get(path, handle);
    else router.post(path, handle);
  }

  router.all('*', async (req, env: Env) => {
    const url = new URL(req.url);
    // Everything outside /api/ is the web UI. Where the platform's asset router runs first
    // (wrangler, deployed) these requests never get here; where the Worker is in front, it hands
    // them to the assets (whose single-page fallback answers UI routes with index.html).
    if (env.ASSETS && (req.method === 'GET' || req.method === 'HEAD') && !/^\/api(\/|$)/.test(url.pathname)) {
      return withSecurityHeaders(await env.ASSETS.fetch(req as unknown as Request));
    }
    const allowed = router.routes.filter(([method, re]) => method !== 'ALL' && re.test(url.pathname)).map(([m]) => m);
    if (allowed.length > 0) {
      throw new ServiceError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}; use ${allowed.join(' or ')}.`);
    }
    throw new ServiceError('ROUTE_NOT_FOUND', `No endpoint at ${req.method} ${url.pathname}; see ${API_PREFIX}/openapi.json for the API.`);
  });
  return router;
}
