// Owns the sandbox side of the bundle entry: importing this module makes the sandbox's globals
// deterministic, and it exports what the entry needs. Only the worker's generated entry imports
// it; client code imports `keel/workflow` (index.ts), which has no side effects.
import type { WorkflowRuntimeApi } from './activation.js';
import { installDeterministicGlobals, type GlobalLike } from './global-overrides.js';
import { createRuntime as createRuntimeImpl, type RuntimeOptions, type WorkflowRuntime } from './runtime.js';

// Runs when the bundle is evaluated, before the workflows module (the entry imports this module
// first), so module-level code in workflow files already sees the deterministic globals.
installDeterministicGlobals(globalThis as unknown as GlobalLike);

/**
 * Makes the runtime of the run this sandbox hosts (globals are already deterministic).
 *
 * @example
 * // the entry the worker bundles (absolute paths in practice), this module imported first:
 * import { createRuntime } from '<sdk>/workflow/runtime-entry';
 * import * as workflows from '<workflowsPath>';
 * globalThis['__keelRuntime'] = createRuntime(workflows); // RUNTIME_GLOBAL
 */
export function createRuntime(workflows: Record<string, unknown>, options?: Omit<RuntimeOptions, 'globals'>): WorkflowRuntime {
  return createRuntimeImpl(workflows, options);
}

export { RUNTIME_GLOBAL } from './activation.js';
export { installDeterministicGlobals, type GlobalLike } from './global-overrides.js';
export type { WorkflowRuntimeApi, WorkflowRuntime, RuntimeOptions };
