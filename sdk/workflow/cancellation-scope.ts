// Owns CancellationScope: the tree of scopes that carries cancellation from the workflow (or user
// code) down to its timers, activities and conditions, with Temporal's nesting semantics.
import { CancelledFailure, msOptionalToNumber, type Duration } from '../common/index.js';
import { getActivator } from './global-state.js';

/** The part of Node's `AsyncLocalStorage` that scopes need; the worker puts the class on the sandbox's global. */
export interface AsyncLocalStorageLike<T> {
  run<R>(store: T, fn: () => R): R;
  getStore(): T | undefined;
}

/** A constructor of {@link AsyncLocalStorageLike}. */
export type AsyncLocalStorageConstructor = new <T>() => AsyncLocalStorageLike<T>;

/** Remembers the current scope across `await`s. */
export type ScopeStorage = AsyncLocalStorageLike<CancellationScope>;

/**
 * Makes the storage of the current scope. With `AsyncLocalStorage` (the worker provides it as a
 * global of the sandbox, as Temporal's does) the scope follows every continuation. Without it,
 * only the synchronous part of `scope.run(fn)` sees the scope; code after an `await` sees the
 * root scope: enough for plain Node tests, not for production.
 */
export function createScopeStorage(als?: AsyncLocalStorageConstructor): ScopeStorage {
  const Als = als ?? (globalThis as { AsyncLocalStorage?: AsyncLocalStorageConstructor }).AsyncLocalStorage;
  if (Als) return new Als<CancellationScope>();
  const stack: CancellationScope[] = [];
  return {
    run<R>(scope: CancellationScope, fn: () => R): R {
      stack.push(scope);
      try {
        return fn();
      } finally {
        stack.pop();
      }
    },
    getStore: () => stack[stack.length - 1],
  };
}

/** Reserved to make the root scope; not exported, so user code cannot make a second root. */
const NO_PARENT = Symbol('NO_PARENT');

/** Options of a {@link CancellationScope}. */
export interface CancellationScopeOptions {
  /** Request cancellation of the scope after this long (a durable timer). */
  timeout?: Duration;
  /**
   * When false, cancellation requested on this scope or on its ancestors does not reach what runs
   * inside it (a `CancelledFailure` thrown inside still propagates). @default true
   */
  cancellable?: boolean;
  /** The parent scope. @default CancellationScope.current() */
  parent?: CancellationScope | typeof NO_PARENT;
}

/**
 * Cancellation scopes carry cancellation requests (from `handle.cancel()`, or from user code) to
 * the operations a workflow awaits, as Temporal's do.
 *
 * Scopes form a tree whose root runs the workflow function. Cancelling a cancellable scope
 * cancels its timers, activities and conditions, which reject with a `CancelledFailure` (for an
 * activity, an `ActivityFailure` caused by one), and its cancellable child scopes. A
 * non-cancellable scope shields everything inside it. Starting an operation in a scope already
 * cancelled fails at once.
 *
 * @example
 * try {
 *   await someActivity();
 * } catch (err) {
 *   if (isCancellation(err)) {
 *     await CancellationScope.nonCancellable(() => cleanupActivity());
 *   }
 *   throw err;
 * }
 */
export class CancellationScope {
  /** Time in ms before the scope requests its own cancellation. */
  protected readonly timeout?: number;

  /** Whether cancellation reaches the operations and scopes inside this one. */
  public readonly cancellable: boolean;

  /** The parent scope; absent only for the root. */
  public readonly parent?: CancellationScope;

  /**
   * Rejects with a `CancelledFailure` when cancellation of this scope is requested, directly or
   * from a cancellable ancestor. A non-cancellable scope receives requests made on itself, but is
   * never considered cancelled.
   */
  public readonly cancelRequested: Promise<never>;

  #cancelRequested = false;
  #reject!: (reason: unknown) => void;

  constructor(options?: CancellationScopeOptions) {
    this.timeout = msOptionalToNumber(options?.timeout);
    this.cancellable = options?.cancellable ?? true;
    this.cancelRequested = new Promise<never>((_, reject) => {
      this.#reject = (reason) => {
        this.#cancelRequested = true;
        reject(reason);
      };
    });
    // Nobody may be listening; the request must not surface as an unhandled rejection.
    this.cancelRequested.catch(() => undefined);
    if (options?.parent !== NO_PARENT) {
      const parent = options?.parent ?? CancellationScope.current();
      this.parent = parent;
      // Only a cancellable parent passes cancellation down: a non-cancellable one shields its
      // children (Temporal's behaviour since its NonCancellableScopesAreShieldedFromPropagation flag).
      if (parent.cancellable) {
        this.#cancelRequested = parent.#cancelRequested;
        parent.cancelRequested.catch((err: unknown) => this.#reject(err));
      }
    }
  }

  /** Whether the scope is cancelled: cancellation was requested and the scope is cancellable. */
  public get consideredCancelled(): boolean {
    return this.#cancelRequested && this.cancellable;
  }

  /**
   * Runs `fn` with this scope as the current one: the timers, activities, conditions and scopes
   * `fn` creates, before and after its `await`s, are linked to this scope.
   */
  public run<T>(fn: () => Promise<T>): Promise<T> {
    return getActivator().scopeStorage.run(this, () => this.runInContext(fn));
  }

  private async runInContext<T>(fn: () => Promise<T>): Promise<T> {
    if (this.timeout !== undefined) {
      // The timer belongs to this scope, so that cancelling the scope first also cancels it.
      getActivator()
        .sleep(this.timeout)
        .then(
          () => this.cancel(),
          () => undefined, // the scope was cancelled first
        );
    }
    return await fn();
  }

  /** Requests cancellation of this scope and, through cancellable links, of everything inside it. */
  public cancel(): void {
    this.#reject(new CancelledFailure('Cancellation scope cancelled'));
  }

  /** Rejects `cancelRequested` with `reason`; for the root scope's own message. */
  protected requestCancel(reason: unknown): void {
    this.#reject(reason);
  }

  /** The scope the calling code runs in; the root scope outside any `run`. */
  public static current(): CancellationScope {
    const activator = getActivator();
    return activator.scopeStorage.getStore() ?? activator.rootScope;
  }

  /** `new CancellationScope({ cancellable: true }).run(fn)` */
  public static cancellable<T>(fn: () => Promise<T>): Promise<T> {
    return new this({ cancellable: true }).run(fn);
  }

  /** `new CancellationScope({ cancellable: false }).run(fn)` */
  public static nonCancellable<T>(fn: () => Promise<T>): Promise<T> {
    return new this({ cancellable: false }).run(fn);
  }

  /** `new CancellationScope({ cancellable: true, timeout }).run(fn)`: cancels `fn` after `timeout`. */
  public static withTimeout<T>(timeout: Duration, fn: () => Promise<T>): Promise<T> {
    return new this({ cancellable: true, timeout }).run(fn);
  }
}

/** The scope the workflow function runs in; cancelling the workflow cancels it. */
export class RootCancellationScope extends CancellationScope {
  constructor() {
    super({ cancellable: true, parent: NO_PARENT });
  }

  public override cancel(): void {
    this.requestCancel(new CancelledFailure('Workflow cancelled'));
  }
}
