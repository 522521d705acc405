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
});
