/**
 * Where a workflow object's requests and calls are counted (UsageMeter): each RPC method is
 * wrapped once, by name, with the kind of request it serves, and the task-queue binding the
 * object calls through hands out stubs whose calls are counted. Kept out of the object's own
 * code so that counting is one list here instead of a line in every method.
 */
import { UsageMeter, type RequestKind } from './usage-meter.js';

/**
 * The workflow object's RPC methods by who calls them. A method missing here is not counted (a
 * new RPC method belongs here).
 * Calls from other workflow objects (children, external signals and cancels) are counted by the
 * receiver only, so a request is never in two executions' bills; a signal or cancel sent by
 * another workflow counts here as a Worker request it was not (one unit over, on that path only).
 * The object's `callMany` (POST /tasks/batch) is not a host method: it reaches these methods, one per
 * item, so each item counts as the request it stands for, as when sent alone (the batch is one
 * request on Cloudflare's bill: up to 63 units over per batch, on that path only).
 * A shard's own polls (`pollWorkflowTasks`, `cancelPolls`, protocol 6) are not a workflow's either: a
 * shard poll that carries a run's first task is counted on that run as `offerTaken` (src/workflow-object/task-offer.ts);
 * one that ends empty is no execution's, as an empty poll of a queue is not.
 */
export const RPC_KINDS: Readonly<Record<string, RequestKind>> = {
  start: 'worker',
  signalWithStart: 'worker',
  describe: 'worker',
  signal: 'worker',
  requestCancel: 'worker',
  terminate: 'worker',
  reset: 'worker',
  deleteRun: 'worker',
  history: 'worker',
  advanceTime: 'worker',
  query: 'worker',
  update: 'worker',
  updateWithStart: 'worker',
  pollUpdate: 'worker',
  respondQueryTask: 'worker',
  completeWorkflowTask: 'worker',
  failWorkflowTask: 'worker',
  acknowledgeTask: 'worker',
  heartbeatActivityTask: 'worker',
  completeActivityTask: 'worker',
  failActivityTask: 'worker',
  cancelActivityTask: 'worker',
  heartbeatActivityById: 'worker',
  completeActivityById: 'worker',
  failActivityById: 'worker',
  cancelActivityById: 'worker',
  startTask: 'poll',
  releaseStickyTask: 'object',
  startChild: 'object',
  childClosed: 'object',
  applyParentClosePolicy: 'object',
  alarm: 'alarm',
};

interface Metered {
  readonly usage: UsageMeter;
}

/** Wraps each RPC method of `cls` so that a call counts one request of its kind before it runs. */
export function meterRpcMethods(cls: { prototype: object }): void {
  const proto = cls.prototype as Record<string, unknown>;
  for (const [name, kind] of Object.entries(RPC_KINDS)) {
    const method = proto[name];
    if (typeof method !== 'function') throw new Error(`meterRpcMethods: the object has no method '${name}'`);
    proto[name] = function (this: Metered, ...args: unknown[]) {
      this.usage.request(kind);
      return (method as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
}

/** Stub members that are not RPC calls. */
const NOT_CALLS = new Set(['then', 'dup', 'id', 'name', 'toJSON', 'constructor']);

const METER = Symbol('usage meter');

/**
 * The object's env, with a new meter (`usageMeterOf`): its task-queue binding counts each call on
 * a stub it hands out (each call is a billed Durable Object request) and its visibility database
 * counts D1 rows. Calls to other workflow objects are left to their receivers (see RPC_KINDS).
 * The object passes this env to its base class, so every use of `this.env` is counted.
 */
export function meteredEnv<E extends object>(env: E): E {
  const meter = new UsageMeter();
  const bindings = env as unknown as { TASK_QUEUES: unknown; VISIBILITY?: unknown };
  const queues = bindings.TASK_QUEUES as unknown as Record<string | symbol, unknown>;
  const countedQueues = new Proxy(queues, {
    get(target, prop) {
      const value = target[prop];
      if (typeof value !== 'function') return value;
      if (prop !== 'get' && prop !== 'getByName') return value.bind(target);
      return (...args: unknown[]) => countedStub(Reflect.apply(value, target, args) as Record<string | symbol, unknown>, meter);
    },
  });
  const db = bindings.VISIBILITY as unknown as Record<string | symbol, unknown> | undefined;
  const countedDb =
    db &&
    new Proxy(db, {
      get(target, prop) {
        const value = target[prop];
        if (typeof value !== 'function') return value;
        if (prop !== 'batch') return value.bind(target);
        return async (statements: unknown[]) => {
          const results = (await Reflect.apply(value, target, [statements])) as Array<{ meta?: { rows_read?: number; rows_written?: number } }>;
          for (const r of results) meter.d1(r.meta?.rows_read ?? 0, r.meta?.rows_written ?? 0);
          return results;
        };
      },
    });
  return new Proxy(env, {
    get(target, prop, receiver) {
      if (prop === 'TASK_QUEUES') return countedQueues;
      if (prop === 'VISIBILITY') return countedDb;
      if (prop === METER) return meter;
      return Reflect.get(target, prop, receiver);
    },
  });
}

function countedStub(stub: Record<string | symbol, unknown>, meter: UsageMeter): unknown {
  return new Proxy(stub, {
    get(target, prop) {
      const value = target[prop];
      if (typeof prop !== 'string' || NOT_CALLS.has(prop) || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        meter.outgoingCall();
        // Called through the stub: `value.apply` would be an RPC call of a method named "apply".
        return (target[prop] as (...a: unknown[]) => unknown)(...args);
      };
    },
  });
}

/** The meter of an env made by `meteredEnv`. */
export function usageMeterOf(env: object): UsageMeter {
  const meter = (env as { [METER]?: UsageMeter })[METER];
  if (!meter) throw new Error('usageMeterOf: this env was not made by meteredEnv');
  return meter;
}
