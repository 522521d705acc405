// Owns updates inside the sandbox: `defineUpdate`, update handlers and validators, running an
// accepted update's handler (the doUpdate job) to its CompleteWorkflowUpdate command, and
// `allHandlersFinished` / `currentUpdateInfo`.
import { TemporalFailure, arrayFromPayloads } from '../common/index.js';
import type { Failure } from '../../protocol/payload.js';
import type { ActivationJob, QueryRequest, QueryResult } from './activation.js';
import type { Activator } from './activator.js';
import { composeInterceptors } from '../common/interceptors.js';
import { assertInWorkflowContext } from './global-state.js';
import type { HandlerUnfinishedPolicy, UpdateDefinition, UpdateInfo } from './interfaces.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => any;

/** A registered update handler. */
export interface UpdateHandlerEntry {
  handler: AnyFunction;
  validator?: AnyFunction;
  /** Whether the warning about an async validator was written (once per handler). */
  warnedAsyncValidator?: boolean;
  unfinishedPolicy?: HandlerUnfinishedPolicy;
}

type DoUpdateJob = Extract<ActivationJob, { type: 'doUpdate' }>;

/** The update state of one run, kept beside its Activator. */
export interface UpdateRuntimeState {
  handlers: Map<string, UpdateHandlerEntry>;
  /** Accepted updates whose handler is not set (yet): run when `setHandler` sets it, as signals. */
  buffered: DoUpdateJob[];
  /** Update handlers that have started and not ended, by update id. */
  running: Map<string, { name: string; policy: HandlerUnfinishedPolicy | undefined }>;
  /** Signal handlers that returned a promise that has not settled. */
  runningSignals: number;
  /** The update whose handler's synchronous part runs now (see currentUpdateInfo). */
  current?: UpdateInfo;
}

const states = new WeakMap<Activator, UpdateRuntimeState>();

/** The update state of `activator`'s run, made on first use. */
export function updateState(activator: Activator): UpdateRuntimeState {
  let s = states.get(activator);
  if (!s) {
    s = { handlers: new Map(), buffered: [], running: new Map(), runningSignals: 0 };
    states.set(activator, s);
  }
  return s;
}

/**
 * Defines an update: a name, the types of its arguments and of its result. Safe to call at module level.
 *
 * @example
 * export const setPrice = defineUpdate<number, [number]>('setPrice');
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function defineUpdate<Ret, Args extends any[] = [], Name extends string = string>(name: Name): UpdateDefinition<Ret, Args, Name> {
  return { type: 'update', name };
}

/** Sets (or with `undefined` removes) an update handler; accepted updates waiting for it run now. */
export function setUpdateHandler(activator: Activator, name: string, handler: AnyFunction | undefined, options?: { validator?: AnyFunction; unfinishedPolicy?: HandlerUnfinishedPolicy }): void {
  const s = updateState(activator);
  if (!handler) {
    s.handlers.delete(name);
    return;
  }
  s.handlers.set(name, { handler, ...(options?.validator ? { validator: options.validator } : {}), ...(options?.unfinishedPolicy ? { unfinishedPolicy: options.unfinishedPolicy } : {}) });
  const waiting = s.buffered.filter((j) => j.name === name);
  s.buffered = s.buffered.filter((j) => j.name !== name);
  for (const job of waiting) doUpdate(activator, job);
}

/**
 * Runs an update's validator read-only, as a query (no commands, no sequence numbers). Throwing
 * rejects the update; so does a missing handler, with the registered names in the message as
 * Temporal words it. Called through `Activator.query` with `request.update` set.
 */
export function validateUpdate(activator: Activator, request: QueryRequest): QueryResult {
  const entry = updateState(activator).handlers.get(request.queryType);
  if (!entry) {
    const known = [...updateState(activator).handlers.keys()].join(', ');
    throw new ReferenceError(`No registered handler for update: ${request.queryType}. Registered updates: [${known}]`);
  }
  const validate = composeInterceptors(activator.interceptors.inbound, 'validateUpdate', (input) => {
    if (!entry.validator) return;
    const result: unknown = entry.validator(...input.args);
    // Temporal runs validators synchronously and ignores what they return, so an `async` validator
    // is accepted there: its promise never rejects the update. Do the same, and say so once.
    if (result !== undefined && typeof (result as { then?: unknown }).then === 'function') {
      Promise.resolve(result).catch(() => undefined);
      if (!entry.warnedAsyncValidator) {
        entry.warnedAsyncValidator = true;
        activator.logSink.log('WARN', `The validator of update '${request.queryType}' returned a Promise: validators run synchronously, so the update is accepted whatever the Promise settles to. Make the validator synchronous and throw to reject.`, { sdkComponent: 'workflow', updateName: request.queryType });
      }
    }
  });
  validate({ updateId: request.update?.updateId ?? request.queryId, name: request.queryType, args: arrayFromPayloads(activator.payloadConverter, request.args), headers: request.headers ?? {} });
  return { queryId: request.queryId };
}

/**
 * Runs an accepted update's handler in the root scope. Its end is the CompleteWorkflowUpdate
 * command: success with its result, failure with a TemporalFailure it threw (ApplicationFailure,
 * CancelledFailure, …). Any other error fails the workflow task, as in Temporal: a bug, to be
 * fixed and replayed.
 */
export function doUpdate(activator: Activator, job: DoUpdateJob): void {
  const s = updateState(activator);
  const entry = s.handlers.get(job.name);
  if (!entry) {
    s.buffered.push(job);
    return;
  }
  s.running.set(job.updateId, { name: job.name, policy: entry.unfinishedPolicy });
  const finish = (outcome: { success?: ReturnType<Activator['payloadConverter']['toPayload']> } | { failure: Failure }) => {
    s.running.delete(job.updateId);
    activator.pushCommand({ type: 'CompleteWorkflowUpdate', updateId: job.updateId, outcome });
  };
  let result: unknown;
  s.current = { id: job.updateId, name: job.name };
  try {
    const handle = composeInterceptors(activator.interceptors.inbound, 'handleUpdate', async (input) => entry.handler(...input.args) as unknown);
    const input = { updateId: job.updateId, name: job.name, args: arrayFromPayloads(activator.payloadConverter, job.args), headers: job.headers ?? {} };
    result = activator.scopeStorage.run(activator.rootScope, () => handle(input));
  } catch (err) {
    result = Promise.reject(err);
  } finally {
    s.current = undefined;
  }
  Promise.resolve(result)
    .then(
      (value) => finish({ success: activator.payloadConverter.toPayload(value) }),
      (err: unknown) => {
        if (err instanceof TemporalFailure) finish({ failure: activator.failureConverter.errorToFailure(err, activator.payloadConverter) });
        else {
          s.running.delete(job.updateId);
          activator.failTask(err);
        }
      },
    )
    .catch((err: unknown) => activator.failTask(err));
}

/**
 * Whether no signal or update handler is still running (Temporal's). Wait for it before the
 * workflow returns, so that no caller of an update is left without its result.
 *
 * @example
 * await condition(allHandlersFinished);
 * return result;
 */
export function allHandlersFinished(): boolean {
  const s = updateState(assertInWorkflowContext('allHandlersFinished()'));
  return s.running.size === 0 && s.runningSignals === 0;
}

/**
 * The update whose handler is running, or undefined. Keel knows it during the handler's
 * synchronous part (before its first `await`); Temporal knows it across awaits too.
 */
export function currentUpdateInfo(): UpdateInfo | undefined {
  return updateState(assertInWorkflowContext('currentUpdateInfo()')).current;
}

/** Warns about update handlers the workflow left running as it completes (WARN_AND_ABANDON). */
export function warnUnfinishedHandlers(activator: Activator): void {
  const unfinished = [...updateState(activator).running.entries()].filter(([, u]) => u.policy !== 'ABANDON');
  if (unfinished.length === 0 || activator.isReplaying) return;
  activator.logSink.log(
    'WARN',
    `[TMPRL1102] Workflow finished while update handlers are still running: ${unfinished.map(([id, u]) => `${u.name} (id ${id})`).join(', ')}. Their callers get an error. Wait with condition(allHandlersFinished) before returning, or set unfinishedPolicy ABANDON.`,
    {},
  );
}
