// Owns what every interceptor chain shares (Temporal's @temporalio/common interceptors): the
// `Headers` carried beside user data, the `Next` function type, and composing a list of
// interceptors into one call. Sandbox-safe: the workflow runtime uses it too.
import type { Payload } from '../../protocol/payload.js';

/**
 * Headers: named payloads that travel beside a call's arguments — on starts, signals, queries,
 * updates, activities and child workflows — and are recorded in the history event of the call
 * (Temporal's `Headers`). Interceptors put context there, such as a trace's parent span.
 */
export type Headers = Record<string, Payload>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunc = (...args: any[]) => any;

/** The rest of the chain an interceptor method calls on: the same method of the next interceptor, or the call itself. */
export type Next<IF, FN extends keyof IF> = Required<IF>[FN] extends AnyFunc ? OmitLastParam<Required<IF>[FN]> : never;

/** A tuple without its last element. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OmitLast<T> = T extends [...infer REST, any] ? REST : never;
/** A function type without its last parameter. */
export type OmitLastParam<F extends AnyFunc> = (...args: OmitLast<Parameters<F>>) => ReturnType<F>;

/**
 * Composes `interceptors`' `method` around `next`: the first interceptor of the list is the
 * outermost, so it sees the input first and the output last (Temporal's order).
 *
 * @example
 * const start = composeInterceptors(interceptors, 'start', (input) => send(input));
 * const runId = await start({ workflowType, headers: {}, options });
 */
export function composeInterceptors<I, M extends keyof I>(interceptors: readonly I[], method: M, next: Next<I, M>): Next<I, M> {
  let composed = next as AnyFunc;
  for (let i = interceptors.length - 1; i >= 0; --i) {
    const interceptor = interceptors[i]!;
    const fn = interceptor[method] as AnyFunc | undefined;
    if (fn !== undefined) {
      const prev = composed;
      composed = (input: unknown) => fn.call(interceptor, input, prev);
    }
  }
  return composed as Next<I, M>;
}
