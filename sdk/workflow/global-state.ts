// Owns "which workflow run is executing": the current Activator, kept on the realm's global object.
//
// Why on globalThis and not in a module variable: a bundle may end up with two copies of this
// module (two import paths to the SDK), and each vm context has its own global object, so the
// global is the one place every copy in a run agrees on, and that no other run can see.
import { IllegalStateError } from '../common/index.js';
import type { Activator } from './activator.js';

/** The global the current Activator is kept on. */
export const ACTIVATOR_KEY = '__keelWorkflowActivator';

type GlobalWithActivator = { [ACTIVATOR_KEY]?: Activator };

/** The Activator of the run executing now, or `undefined` outside a workflow (e.g. in client code). */
export function maybeGetActivator(): Activator | undefined {
  return (globalThis as GlobalWithActivator)[ACTIVATOR_KEY];
}

/**
 * Makes `activator` the current one. The runtime calls it on every entry (activate, collect, query),
 * so that the continuations the following microtask drain runs see their own run.
 */
export function setActivator(activator: Activator | undefined): void {
  (globalThis as GlobalWithActivator)[ACTIVATOR_KEY] = activator;
}

/**
 * The current Activator.
 *
 * @throws {IllegalStateError} `<what> can only be used in a workflow context` outside a workflow.
 */
export function assertInWorkflowContext(what: string): Activator {
  const activator = maybeGetActivator();
  if (activator === undefined) throw new IllegalStateError(`${what} can only be used in a workflow context`);
  return activator;
}

/** The current Activator, for internal code that only ever runs inside a workflow. */
export function getActivator(): Activator {
  return assertInWorkflowContext('This function');
}

/**
 * Whether the calling code runs inside a workflow run (as opposed to, say, client code that
 * imported a workflow module for its signal definitions).
 */
export function inWorkflowContext(): boolean {
  return maybeGetActivator() !== undefined;
}
