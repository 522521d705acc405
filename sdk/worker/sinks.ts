// Owns the worker's side of sinks (Temporal's `InjectedSinks`): the functions a workflow's
// `proxySinks()` calls reach, run outside the sandbox after the activation that made the calls.
import type { Sink, SinkCall, SinkFunction, Sinks, WorkflowInfo } from '../workflow/index.js';

/** One injected sink function: gets the calling run's info first, then the workflow's arguments. */
export interface InjectedSinkFunction<F extends SinkFunction> {
  fn(info: WorkflowInfo, ...args: Parameters<F>): void | Promise<void>;
  /** Also run the calls a replaying workflow makes (they were made once already, live). @default false */
  callDuringReplay?: boolean;
}

/** The worker's implementation of one sink. */
export type InjectedSink<T extends Sink> = { [P in keyof T]: InjectedSinkFunction<T[P]> };
/** The worker's `sinks` option: an implementation of each sink the workflows call. */
export type InjectedSinks<T extends Sinks> = { [P in keyof T]: InjectedSink<T[P]> };

/**
 * Runs each call on its injected function, in order. A call made while replaying runs only when
 * its function asks for it; a missing function or one that throws is logged, never fails the task
 * (a sink is one-way: the workflow cannot see what it did).
 */
export function callSinks(sinks: InjectedSinks<Sinks> | undefined, calls: readonly SinkCall[], log: Pick<Console, 'warn'>): void {
  for (const call of calls) {
    const injected = sinks?.[call.ifaceName]?.[call.fnName];
    if (call.isReplaying && !injected?.callDuringReplay) continue;
    if (!injected) {
      log.warn(`Workflow ${call.workflowInfo.workflowId} called sink ${call.ifaceName}.${call.fnName}, which the worker's sinks option does not have`);
      continue;
    }
    try {
      void Promise.resolve(injected.fn(call.workflowInfo, ...call.args)).catch((err: unknown) => log.warn(`Sink ${call.ifaceName}.${call.fnName} failed`, err));
    } catch (err) {
      log.warn(`Sink ${call.ifaceName}.${call.fnName} failed`, err);
    }
  }
}
