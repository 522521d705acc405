// Owns what each workflow run sees on the global object of the one vm context that all runs share:
// the global as it was before any run (pristine), plus that run's own changes. A run's changes
// (globals it added, replaced or deleted) are taken off the global when another run enters, and
// put back when the run enters again; no run ever sees another's.

/** The changes one run made to the global object: a property's descriptor, or `undefined` for a deleted one. */
export class RunGlobals {
  readonly changes = new Map<PropertyKey, PropertyDescriptor | undefined>();
}

/** Options of {@link GlobalsSwitch}. */
export interface GlobalsSwitchOptions {
  /**
   * The object the vm context was made from (`vm.createContext(object)`): Node's interceptors copy
   * every string-keyed property a run sets or defines on the context's global onto it. When it is
   * unchanged, and so are the global's keys and the few properties it does not see, the run
   * changed nothing, and the global need not be compared property by property (each read of the
   * global goes through Node's interceptors, about a microsecond).
   */
  mirror?: object;
  /**
   * Globals the runtime sets on every entry into the context (the current run's Activator): taken
   * off when a run leaves, never kept as one of its changes, so that a run that changed nothing
   * else costs no switch.
   */
  transient?: readonly PropertyKey[];
}

/**
 * Switches a global object between runs. Only own properties of the global are tracked: a run
 * that mutates a shared built-in in place (`Array.prototype.x = …`, `Math.foo = …`) changes it for
 * every run, as in Temporal's reused V8 context; the deterministic `Math`, `Date` and timers are a
 * run's own globals, installed by its bundle.
 *
 * @example
 * const globals = new GlobalsSwitch(vm.runInContext('globalThis', context), { mirror: context });
 * globals.enter(run); // run's globals on, the previous run's off
 */
export class GlobalsSwitch {
  private readonly pristine = new Map<PropertyKey, PropertyDescriptor>();
  /** The global's keys before any run, in their order. */
  private readonly pristineKeys: PropertyKey[];
  /**
   * Pristine properties whose changes the mirror may not see: symbol-keyed ones, and read-only
   * configurable ones (some Node versions leave their redefinition to V8). Compared one by one.
   */
  private readonly unmirrored: PropertyKey[];
  private readonly mirror: object | undefined;
  /** The mirror's properties while the global is pristine. */
  private mirrorSnapshot = new Map<PropertyKey, PropertyDescriptor>();
  private readonly transient: readonly PropertyKey[];
  private current: RunGlobals | undefined;

  constructor(
    private readonly global: object,
    options: GlobalsSwitchOptions = {},
  ) {
    this.transient = options.transient ?? [];
    for (const key of this.transient) Reflect.deleteProperty(global, key);
    this.pristineKeys = Reflect.ownKeys(global);
    for (const key of this.pristineKeys) this.pristine.set(key, Reflect.getOwnPropertyDescriptor(global, key)!);
    this.unmirrored = this.pristineKeys.filter((key) => {
      const d = this.pristine.get(key)!;
      return typeof key === 'symbol' || (d.configurable === true && 'value' in d && d.writable === false);
    });
    this.mirror = options.mirror;
    this.snapshotMirror();
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
    for (const key of this.transient) Reflect.deleteProperty(g, key);
    // A run with no changes of its own entered a pristine global: if nothing moved, it still is.
    if (run.changes.size === 0 && this.untouched()) return;
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
    // Putting the pristine properties back went through the interceptors too, which copied them
    // onto the mirror: what it holds now is what it holds while the global is pristine.
    this.snapshotMirror();
  }

  /** Forgets a run that ends: if its globals are on, they come off. */
  release(run: RunGlobals): void {
    if (this.current === run) this.leave();
    run.changes.clear();
  }

  /**
   * Whether the global is provably as pristine: the mirror shows no string-keyed write or
   * definition, the keys show no deletion or new symbol, and the properties the mirror does not
   * see are unchanged. False (compare it all) without a mirror.
   */
  private untouched(): boolean {
    const mirror = this.mirror;
    if (!mirror) return false;
    const mirrorKeys = Reflect.ownKeys(mirror);
    if (mirrorKeys.length !== this.mirrorSnapshot.size) return false;
    for (const key of mirrorKeys) {
      const before = this.mirrorSnapshot.get(key);
      if (!before || !sameValue(before, Reflect.getOwnPropertyDescriptor(mirror, key)!)) return false;
    }
    const keys = Reflect.ownKeys(this.global);
    const pristineKeys = this.pristineKeys;
    if (keys.length !== pristineKeys.length) return false;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== pristineKeys[i]) return false;
    for (const key of this.unmirrored) {
      const now = Reflect.getOwnPropertyDescriptor(this.global, key);
      if (!now || !sameValue(this.pristine.get(key)!, now)) return false;
    }
    return true;
  }

  private snapshotMirror(): void {
    if (!this.mirror) return;
    this.mirrorSnapshot = new Map(Reflect.ownKeys(this.mirror).map((key) => [key, Reflect.getOwnPropertyDescriptor(this.mirror!, key)!]));
  }
}

function sameValue(a: PropertyDescriptor, b: PropertyDescriptor): boolean {
  return Object.is(a.value, b.value) && a.get === b.get && a.set === b.set && a.writable === b.writable && a.enumerable === b.enumerable && a.configurable === b.configurable;
}
