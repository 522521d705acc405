import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { GlobalsSwitch, RunGlobals } from './run-globals.js';

describe('GlobalsSwitch', () => {
  it('takes a run’s added, replaced and deleted globals off when another run enters, and puts them back', () => {
    const g: Record<string, unknown> = { shared: 1, gone: 2 };
    const globals = new GlobalsSwitch(g);
    const a = new RunGlobals();
    const b = new RunGlobals();
    globals.enter(a);
    g.added = 'a';
    g.shared = 'a';
    delete g.gone;
    globals.enter(b);
    expect(g).toEqual({ shared: 1, gone: 2 });
    g.added = 'b';
    globals.enter(a);
    expect(g).toEqual({ shared: 'a', added: 'a' });
    globals.release(a);
    expect(g).toEqual({ shared: 1, gone: 2 });
    globals.enter(b);
    expect(g).toEqual({ shared: 1, gone: 2, added: 'b' });
  });

  it('forgets a global a run removes again, and a value it sets back', () => {
    const g: Record<string, unknown> = { shared: 1 };
    const globals = new GlobalsSwitch(g);
    const a = new RunGlobals();
    globals.enter(a);
    g.added = 'a';
    g.shared = 2;
    globals.leave();
    globals.enter(a);
    delete g.added;
    g.shared = 1;
    globals.leave();
    expect(a.changes.size).toBe(0);
  });

  it('keeps accessors and symbols apart per run', () => {
    const key = Symbol('k');
    const g: Record<PropertyKey, unknown> = {};
    const globals = new GlobalsSwitch(g);
    const a = new RunGlobals();
    globals.enter(a);
    Object.defineProperty(g, 'lazy', { get: () => 'a', configurable: true });
    g[key] = 'a';
    globals.leave();
    expect(Reflect.ownKeys(g)).toEqual([]);
    globals.enter(a);
    expect([g.lazy, g[key]]).toEqual(['a', 'a']);
  });

  describe('on a vm context, with its object as the mirror', () => {
    // Each change a run can make to the global: the next run must start from the pristine global
    // (including when the switch skips the property-by-property comparison), and the run gets its
    // change back when it enters again.
    const changes: Array<[string, string, string]> = [
      ['a new global', 'globalThis.added = 1', 'typeof added'],
      ['an assignment without declaration', 'undeclared = 1', 'typeof undeclared'],
      ['a built-in replaced', 'globalThis.Array = 1', 'typeof Array'],
      ['a built-in redefined', 'Object.defineProperty(globalThis, "Date", { value: 1, configurable: true, writable: true })', 'typeof Date'],
      ['a built-in deleted', 'delete globalThis.Map', 'typeof Map'],
      ['a host global replaced', 'globalThis.URL = 1', 'typeof URL'],
      ['a host global deleted', 'delete globalThis.URL', 'typeof URL'],
      ['a symbol-keyed global', 'globalThis[Symbol.for("k")] = 1', 'typeof globalThis[Symbol.for("k")]'],
      ['a read-only configurable global redefined', 'Object.defineProperty(globalThis, "sealedish", { value: 2, configurable: true })', 'String(sealedish)'],
      ['an accessor', 'Object.defineProperty(globalThis, "lazy", { get: () => 1, configurable: true })', 'typeof lazy'],
      ['a global only made non-enumerable', 'Object.defineProperty(globalThis, "URL", { enumerable: false })', 'String(Object.keys(globalThis).includes("URL"))'],
    ];
    for (const [what, change, look] of changes) {
      it(`keeps ${what} to the run that made it`, () => {
        const mirror: Record<string, unknown> = { URL };
        const context = vm.createContext(mirror);
        vm.runInContext('Object.defineProperty(globalThis, "sealedish", { value: 1, configurable: true })', context);
        const g = vm.runInContext('globalThis', context) as object;
        const globals = new GlobalsSwitch(g, { mirror: context, transient: ['current'] });
        const seen = () => vm.runInContext(look, context) as unknown;
        const pristine = seen();
        const [a, b, c] = [new RunGlobals(), new RunGlobals(), new RunGlobals()];
        globals.enter(b);
        globals.enter(a);
        vm.runInContext(change, context);
        const changed = seen();
        expect(changed).not.toEqual(pristine);
        globals.enter(b);
        expect(seen()).toEqual(pristine);
        globals.enter(c);
        expect(seen()).toEqual(pristine);
        globals.enter(a);
        expect(seen()).toEqual(changed);
        globals.release(a);
        expect(seen()).toEqual(pristine);
      });
    }

    it('takes the transient globals off as a run leaves, without keeping them as its change', () => {
      const context = vm.createContext({});
      const g = vm.runInContext('globalThis', context) as Record<string, unknown>;
      const globals = new GlobalsSwitch(g, { mirror: context, transient: ['current'] });
      const a = new RunGlobals();
      globals.enter(a);
      g.current = 'a';
      globals.leave();
      expect('current' in g).toBe(false);
      expect(a.changes.size).toBe(0);
      globals.enter(a);
      expect('current' in g).toBe(false);
    });
  });
});
