// Owns signal and query definitions and their handlers: `defineSignal`, `defineQuery`,
// `setHandler`, `setDefaultSignalHandler`.
import { STACK_TRACE_QUERY } from './activator.js';
import { assertInWorkflowContext } from './global-state.js';
import type { DefaultSignalHandler, Handler, QueryDefinition, SignalDefinition, UpdateDefinition, UpdateHandlerOptions } from './interfaces.js';
import { setUpdateHandler } from './updates.js';

/**
 * Defines a signal: a name and the types of its arguments, shared by the workflow (which handles
 * it with {@link setHandler}) and clients (which send it). Safe to call at module level.
 *
 * @example
 * export const approve = defineSignal<[boolean]>('approve');
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function defineSignal<Args extends any[] = [], Name extends string = string>(name: Name): SignalDefinition<Args, Name> {
  return { type: 'signal', name };
}

/**
 * Defines a query: a name, the types of its arguments and of its answer. Safe to call at module level.
 *
 * @example
 * export const status = defineQuery<string>('status');
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function defineQuery<Ret, Args extends any[] = [], Name extends string = string>(
  name: Name,
): QueryDefinition<Ret, Args, Name> {
  return { type: 'query', name };
}

function checkHandler(handler: unknown): void {
  if (handler !== undefined && typeof handler !== 'function') {
    throw new TypeError(`Expected handler to be either a function or 'undefined'. Got: '${typeof handler}'`);
  }
}

/**
 * Sets the handler of a signal or query, replacing any earlier one; `undefined` removes it.
 *
 * A signal handler runs when the signal arrives. Signals that arrived before their handler was set
 * were buffered, and run now, in arrival order, before `setHandler` returns (as in Temporal). An
 * error thrown by a signal handler is treated like one thrown by the workflow function.
 *
 * A query handler must be synchronous and must not change state or start anything.
 *
 * An update handler may be async and may do anything the workflow does; its result (or the
 * ApplicationFailure it throws) goes to the caller. Its `validator` runs before the update is
 * accepted, read-only like a query handler: throwing rejects the update and writes nothing.
 *
 * @example
 * let approved: boolean | undefined;
 * setHandler(approve, (value) => { approved = value; });
 * setHandler(status, () => (approved === undefined ? 'waiting' : 'decided'));
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function setHandler<Ret, Args extends any[], T extends SignalDefinition<Args> | QueryDefinition<Ret, Args> | UpdateDefinition<Ret, Args>>(
  def: T,
  handler: Handler<Ret, Args, T> | undefined,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  options?: T extends UpdateDefinition<any, infer A> ? UpdateHandlerOptions<A> : { description?: string; unfinishedPolicy?: UpdateHandlerOptions<Args>['unfinishedPolicy'] },
): void {
  const activator = assertInWorkflowContext('setHandler()');
  checkHandler(handler);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const fn = handler as ((...args: any[]) => any) | undefined;
  if (def.type === 'signal') {
    if (fn) {
      activator.signalHandlers.set(def.name, fn);
      activator.dispatchBufferedSignals();
    } else {
      activator.signalHandlers.delete(def.name);
    }
  } else if (def.type === 'query') {
    if (def.name === STACK_TRACE_QUERY || def.name.startsWith('__keel')) {
      throw new TypeError(`Cannot register a query handler for reserved name '${def.name}'`);
    }
    if (fn) activator.queryHandlers.set(def.name, fn);
    else activator.queryHandlers.delete(def.name);
  } else if (def.type === 'update') {
    const opts = options as UpdateHandlerOptions<Args> | undefined;
    if (opts?.validator !== undefined && typeof opts.validator !== 'function') throw new TypeError(`Expected validator to be a function. Got: '${typeof opts.validator}'`);
    setUpdateHandler(activator, def.name, fn, opts);
  } else {
    throw new TypeError(`Invalid definition type: ${String((def as { type?: unknown }).type)}`);
  }
}

/**
 * Sets the handler of signals that have no handler of their own (called with the signal's name,
 * then its arguments); `undefined` removes it. Buffered signals are delivered to it at once.
 */
export function setDefaultSignalHandler(handler: DefaultSignalHandler | undefined): void {
  const activator = assertInWorkflowContext('setDefaultSignalHandler()');
  checkHandler(handler);
  activator.defaultSignalHandler = handler;
  if (handler) activator.dispatchBufferedSignals();
}
