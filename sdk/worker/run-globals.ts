// Owns what each workflow run sees on the global object of the one vm context that all runs share:
// the global as it was before any run (pristine), plus that run's own changes. A run's changes
// (globals it added, replaced or deleted) are taken off the global when another run enters, and
// put back when the run enters again; no run ever sees another's.

/** The changes one run made to the global object: a property's descriptor, or `undefined` for a deleted one. */
export class RunGlobals {
  readonly changes = new Map<PropertyKey, PropertyDescriptor | undefined>();
}

/**
 * Switches a global object between runs. Only own properties of the global are tracked: a run
 * that mutates a shared built-in in place (`Array.prototype.x = …`, `Math.foo = …`) changes it for
 * every run, as in Temporal's reused V8 context; the deterministic `Math`, `Date` and timers are a
 * run's own globals, installed by its bundle.
 *
 * @example
 * const globals = new GlobalsSwitch(vm.runInContext('globalThis', context));
 * globals.enter(run); // run's globals on, the previous run's off
 */
export class GlobalsSwitch {
  private readonly pristine = new Map<PropertyKey, PropertyDescriptor>();
  private current: RunGlobals | undefined;

  constructor(private readonly global: object) {
    for (const key of Reflect.ownKeys(global)) this.pristine.set(key, Reflect.getOwnPropertyDescriptor(global, key)!);
  }

  /** Makes `run`'s globals the ones on the global object (taking the previous run's off first). */
  enter(run: RunGlobals): void {
    if (this.current === run) return;
    this.leave();
    for (const [key, desc] of run.changes) {
      if (desc) Reflect.defineProperty(this.global, key, desc);
      else Reflect.deleteProperty(this.global, key);
    }
    this.current = run;
  }

  /** Takes the current run's globals off: records what it changed and restores the pristine global. */
  leave(): void {
    const run = this.current;
    if (!run) return;
    this.current = undefined;
    const g = this.global;
    // Everything the run changed was put on at enter, so what differs from pristine now is all of it.
    run.changes.clear();
    const keys = Reflect.ownKeys(g);
    for (const key of keys) {
      const desc = Reflect.getOwnPropertyDescriptor(g, key)!;
      const before = this.pristine.get(key);
      if (before === undefined) {
        run.changes.set(key, desc);
        Reflect.deleteProperty(g, key);
      } else if (!sameValue(before, desc)) {
        run.changes.set(key, desc);
        Reflect.defineProperty(g, key, before);
      }
    }
    // Which pristine properties the run deleted, from the keys read above: each read of the global
    // goes through Node's interceptors (about a microsecond), so the global is not asked again.
    const present = new Set<PropertyKey>(keys);
    for (const [key, desc] of this.pristine) {
      if (!present.has(key)) {
        run.changes.set(key, undefined);
        Reflect.defineProperty(g, key, desc);
      }
    }
  }

  /** Forgets a run that ends: if its globals are on, they come off. */
  release(run: RunGlobals): void {
    if (this.current === run) this.leave();
    run.changes.clear();
  }
}

function sameValue(a: PropertyDescriptor, b: PropertyDescriptor): boolean {
  return Object.is(a.value, b.value) && a.get === b.get && a.set === b.set;
}
