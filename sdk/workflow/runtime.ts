// Owns `createRuntime`: the WorkflowRuntimeApi object (activation.ts) that the worker drives for
// one workflow run, wrapping that run's Activator.
import type { Activation, ActivationResult, QueryRequest, QueryResult, WorkflowRuntimeApi } from './activation.js';
import { Activator, type ActivatorOptions } from './activator.js';
import { installDeterministicGlobals, makeDurableTimeouts, type GlobalLike } from './global-overrides.js';
import { setActivator } from './global-state.js';
import type { WorkflowLogSink } from './interfaces.js';

/** Options of {@link createRuntime}. */
export interface RuntimeOptions extends ActivatorOptions {
  /**
   * A global object to make deterministic with `installDeterministicGlobals` (the sandbox's
   * `globalThis`). Unset, nothing is replaced: runtime-entry.ts does it for the sandbox, and tests
   * in plain Node keep their own globals.
   */
  globals?: GlobalLike;
}

/** The runtime of one workflow run: the worker's contract plus `setLogger`. */
export interface WorkflowRuntime extends WorkflowRuntimeApi {
  setLogger(sink: WorkflowLogSink): void;
}

/**
 * Makes the runtime of one workflow run from the workflows module (its exported functions are
 * the workflow types). The run becomes the realm's current one now and again on every call, so
 * that the continuations of its promises, which run at the following microtask drain, see it.
 *
 * In the worker, each run gets a fresh vm context whose bundle entry calls this once; tests may
 * call it directly in Node, one run at a time.
 *
 * @example
 * const runtime = createRuntime({ order });
 * runtime.activate({ timestamp, isReplaying: false, historyLength: 3, jobs: [{ type: 'startWorkflow', … }] });
 * await new Promise((r) => setImmediate(r));
 * while (runtime.tryUnblockConditions() > 0) await new Promise((r) => setImmediate(r));
 * const { commands } = runtime.collectCommands();
 */
export function createRuntime(workflows: Record<string, unknown>, options?: RuntimeOptions): WorkflowRuntime {
  if (options?.globals) installDeterministicGlobals(options.globals);
  const activator = new Activator(workflows, options);
  activator.durableTimeouts = makeDurableTimeouts(activator);
  setActivator(activator);
  return {
    activate(activation: Activation): void {
      setActivator(activator);
      activator.activate(activation);
    },
    tryUnblockConditions(): number {
      setActivator(activator);
      return activator.tryUnblockConditions();
    },
    hasBlockedConditions(): boolean {
      return activator.blockedConditions.size > 0;
    },
    collectCommands(): ActivationResult {
      setActivator(activator);
      return activator.collectCommands();
    },
    query(request: QueryRequest): QueryResult {
      setActivator(activator);
      return activator.query(request);
    },
    setLogger(sink: WorkflowLogSink): void {
      activator.logSink = sink;
    },
    needsDispose(): boolean {
      return activator.interceptors.internals.length > 0;
    },
    dispose(): void {
      setActivator(activator);
      activator.dispose();
    },
  };
}
