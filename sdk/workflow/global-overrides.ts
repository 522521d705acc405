// Owns the sandbox's deterministic globals: Math.random seeded per run, Date at the activation's
// time, setTimeout as a durable timer, crypto.randomUUID from the seeded PRNG, and no WeakRef or
// FinalizationRegistry. Each reads the current run at call time, so a context set up once serves
// the run that the runtime makes current.
import { CancellationScope } from './cancellation-scope.js';
import { DeterminismViolationError } from './errors.js';
import { maybeGetActivator } from './global-state.js';
import { startTimer } from './timers.js';
import type { Activator } from './activator.js';

const INSTALLED = Symbol.for('keel.deterministicGlobals');

/** The globals this module replaces; `installDeterministicGlobals` accepts any object that has them. */
export interface GlobalLike {
  Math: Math;
  Date: DateConstructor;
  [key: string | symbol]: unknown;
}

/**
 * Makes `target` (the sandbox's `globalThis`) deterministic, once:
 *
 * - `Math.random()` draws from the run's PRNG, seeded by the service's `randomnessSeed`
 *   (a fixed seed before the run starts, so module-level draws replay too);
 * - `new Date()` and `Date.now()` give the current activation's time (the real clock only before
 *   the first activation, i.e. at module level; don't keep time there);
 * - `setTimeout(fn, ms, ...args)` starts a durable timer (as `sleep`) in a scope of its own, and
 *   `clearTimeout(handle)` cancels it;
 * - `crypto.randomUUID()` and `crypto.getRandomValues()` draw from the PRNG (`crypto.subtle`, if
 *   the worker provided it, is kept);
 * - `WeakRef` and `FinalizationRegistry` throw `DeterminismViolationError`: garbage collection
 *   is not replayed.
 *
 * Never call it on the worker's own global object: it replaces `Math`, `Date` and timers there.
 */
export function installDeterministicGlobals(target: GlobalLike): void {
  const installed = target[INSTALLED] as { resetFallbackRandom(): void } | undefined;
  if (installed) {
    // Installed by an earlier evaluation of the bundle in this context (the worker's sandbox
    // evaluates it per run in one shared context): this run's module-level draws start from the
    // same fixed seed as every other run's, so they replay.
    installed.resetFallbackRandom();
    return;
  }
  Object.defineProperty(target, INSTALLED, { value: { resetFallbackRandom }, configurable: true });

  const random = (): number => {
    const activator = maybeGetActivator();
    return activator ? activator.random.next() : fallbackRandom();
  };
  // A fresh object inheriting from the original Math, so that the original is never mutated.
  target.Math = Object.create(target.Math, {
    random: { value: random, writable: true, configurable: true },
  }) as Math;

  target.Date = makeDeterministicDate(target.Date);

  // The run's own timeouts (its Activator's, made by its own copy of this module), so that these
  // globals can serve every run of a shared context.
  target.setTimeout = function setTimeout(callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): number {
    const timeouts = maybeGetActivator()?.durableTimeouts;
    if (!timeouts) throw new DeterminismViolationError('setTimeout can only be used in a workflow context');
    return timeouts.set(callback, ms, args);
  };
  target.clearTimeout = function clearTimeout(handle?: number): void {
    maybeGetActivator()?.durableTimeouts?.clear(handle);
  };

  const originalCrypto = target.crypto as { subtle?: unknown } | undefined;
  target.crypto = {
    subtle: originalCrypto?.subtle,
    randomUUID(): string {
      const activator = maybeGetActivator();
      if (!activator) throw new DeterminismViolationError('crypto.randomUUID can only be used in a workflow context');
      return activator.random.uuid4();
    },
    getRandomValues<T extends ArrayBufferView | null>(array: T): T {
      const activator = maybeGetActivator();
      if (!activator) throw new DeterminismViolationError('crypto.getRandomValues can only be used in a workflow context');
      if (
        array instanceof Uint8Array ||
        array instanceof Uint16Array ||
        array instanceof Uint32Array ||
        array instanceof Int8Array ||
        array instanceof Int16Array ||
        array instanceof Int32Array
      ) {
        activator.random.fill(array);
        return array;
      }
      throw new TypeError('crypto.getRandomValues: expected an integer typed array');
    },
  };

  for (const name of ['WeakRef', 'FinalizationRegistry']) {
    target[name] = function unavailable(): never {
      throw new DeterminismViolationError(`${name} cannot be used in workflows because garbage collection is not deterministic`);
    };
  }
}

/** `setTimeout`/`clearTimeout` of one run: durable timers, each in a cancellable scope of its own. */
export interface DurableTimeouts {
  set(callback: (...args: unknown[]) => void, ms: number | undefined, args: unknown[]): number;
  clear(handle?: number): void;
}

/** The durable `setTimeout`/`clearTimeout` of `activator`'s run. */
export function makeDurableTimeouts(activator: Activator): DurableTimeouts {
  const scopes = new Map<number, CancellationScope>();
  return {
    set(callback, ms, args) {
      const handle = activator.nextSeqs.timer; // the timer's sequence number, taken by startTimer below
      const scope = new CancellationScope({ cancellable: true });
      scopes.set(handle, scope);
      scope
        .run(() => startTimer(activator, Number(ms) || 0))
        .then(
          () => {
            scopes.delete(handle);
            callback(...args);
          },
          () => scopes.delete(handle),
        );
      return handle;
    },
    clear(handle) {
      if (handle === undefined) return;
      scopes.get(handle)?.cancel();
      scopes.delete(handle);
    },
  };
}

// Before a run starts (module-level code), Math.random still has to be replayable: a fixed seed.
const FALLBACK_SEED = 0x2545f491;
let fallbackState = FALLBACK_SEED;
function resetFallbackRandom(): void {
  fallbackState = FALLBACK_SEED;
}
function fallbackRandom(): number {
  // mulberry32
  fallbackState = (fallbackState + 0x6d2b79f5) | 0;
  let t = fallbackState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 0x100000000;
}

/**
 * A Date constructor whose no-argument forms (`new Date()`, `Date()`, `Date.now()`) give the
 * activation's time. It behaves as a subclass of the original: `Date.parse`, `Date.UTC`, the
 * prototype and `instanceof Date` are the original's, and user subclasses keep working.
 */
function makeDeterministicDate(OriginalDate: DateConstructor): DateConstructor {
  const now = (): number => maybeGetActivator()?.now ?? OriginalDate.now();
  function WorkflowDate(this: unknown, ...args: unknown[]): unknown {
    if (new.target === undefined) return new OriginalDate(now()).toString(); // `Date()` called as a function
    return Reflect.construct(OriginalDate, args.length === 0 ? [now()] : args, new.target);
  }
  Object.setPrototypeOf(WorkflowDate, OriginalDate); // static inheritance: parse, UTC
  Object.defineProperty(WorkflowDate, 'prototype', { value: OriginalDate.prototype, writable: false });
  Object.defineProperty(WorkflowDate, 'name', { value: 'Date' });
  Object.defineProperty(WorkflowDate, 'now', { value: now, writable: true, configurable: true });
  // `new date.constructor()` (some libraries clone dates so) must not reach the real clock either.
  // The prototype is the sandbox's own intrinsic, so this changes nothing outside the sandbox.
  Object.defineProperty(OriginalDate.prototype, 'constructor', { value: WorkflowDate, writable: true, configurable: true });
  return WorkflowDate as unknown as DateConstructor;
}
