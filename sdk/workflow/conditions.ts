// Owns `condition`: promises that resolve when a predicate over workflow state becomes true,
// re-evaluated by the runtime after every job and after microtasks settle.
import type { Duration } from '../common/index.js';
import type { Activator } from './activator.js';
import { CancellationScope } from './cancellation-scope.js';
import { assertInWorkflowContext } from './global-state.js';
import { sleep } from './timers.js';

/** A condition the workflow waits for. */
export interface BlockedCondition {
  fn: () => boolean;
  resolve: () => void;
}

/** Waits until `fn()` is true, in the current scope; evaluated at once, then by {@link tryUnblockConditions}. */
function conditionInner(activator: Activator, fn: () => boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const scope = CancellationScope.current();
    if (scope.consideredCancelled) {
      scope.cancelRequested.catch(reject);
      return;
    }
    const seq = activator.nextSeqs.condition++;
    if (scope.cancellable) {
      scope.cancelRequested.catch((err: unknown) => {
        activator.blockedConditions.delete(seq);
        reject(err);
      });
    }
    if (fn()) {
      resolve();
      return;
    }
    activator.blockedConditions.set(seq, { fn, resolve });
  });
}

/**
 * Evaluates every blocked condition, in the order they were created, until a pass unblocks
 * none (resolving one may make another true only through code that runs synchronously here,
 * e.g. a getter; continuations need a microtask drain first). Returns how many were unblocked.
 */
export function tryUnblockConditions(activator: Activator): number {
  let unblocked = 0;
  for (;;) {
    const before = unblocked;
    for (const [seq, condition] of activator.blockedConditions) {
      if (condition.fn()) {
        activator.blockedConditions.delete(seq); // deleting while iterating a Map is safe
        condition.resolve();
        unblocked++;
      }
    }
    if (unblocked === before) return unblocked;
  }
}

/**
 * Waits until `fn()` returns true, or `timeout` passes (a durable timer).
 *
 * The predicate is evaluated at once, then after every activation job and after the
 * continuations they cause have run, so it may read any workflow state (set by signals, activity
 * results, …). With a timeout, resolves with `true` if the predicate became true and `false` on
 * timeout; a timer not needed any more is cancelled. Cancelling the current scope rejects with a
 * `CancelledFailure`.
 *
 * @example
 * if (!(await condition(() => approved !== undefined, '7 days'))) return 'expired';
 */
export function condition(fn: () => boolean, timeout: Duration): Promise<boolean>;
export function condition(fn: () => boolean): Promise<void>;
export async function condition(fn: () => boolean, timeout?: Duration): Promise<void | boolean> {
  const activator = assertInWorkflowContext('condition()');
  activator.assertNotInQuery('condition()');
  if (timeout === undefined) return conditionInner(activator, fn);
  const scope = new CancellationScope({ cancellable: true });
  return scope.run(async () => {
    try {
      return await Promise.race([sleep(timeout).then(() => false), conditionInner(activator, fn).then(() => true)]);
    } finally {
      // Cancels whichever of the two lost: the timer (withdrawn, or CancelTimer) or the condition.
      scope.cancel();
    }
  });
}
