// Owns the worker's side of sinks, as Temporal's `InjectedSinks`: the functions a worker gives
// for the sinks its workflows call through `proxySinks`, and running the calls an activation
// recorded — after the activation, skipping replayed ones unless `callDuringReplay`, and never
// letting a sink's error reach the workflow.
import type { Logger } from '../common/index.js';
import type { SinkCallLike } from '../workflow/activation.js';
import type { Sink, SinkFunction, Sinks, WorkflowInfo } from '../workflow/index.js';

/** The worker's implementation of one sink function. */
export interface InjectedSinkFunction<F extends SinkFunction> {
  /** Called with the run's info at the time of the call, then the workflow's arguments. */
  fn(info: WorkflowInfo, ...args: Parameters<F>): void | Promise<void>;
  /** Also call it for calls made while the workflow replays history. Default false. */
  callDuringReplay?: boolean;
}

export type InjectedSink<T extends Sink> = { [P in keyof T]: InjectedSinkFunction<T[P]> };

/**
 * The `sinks` option of `Worker.create`: an implementation for every sink the workflows use.
 *
 * @example
 * const sinks: InjectedSinks<AlertSinks> = {
 *   alerts: { send: { fn: (info, message) => pager.page(`${info.workflowId}: ${message}`) } },
 * };
 */
export type InjectedSinks<T extends Sinks> = { [P in keyof T]: InjectedSink<T[P]> };

/** Runs an activation's recorded sink calls, in order. */
export function runSinkCalls(calls: readonly SinkCallLike[], sinks: InjectedSinks<Sinks> | undefined, isReplaying: boolean, log: Pick<Logger, 'log'>): void {
  for (const call of calls) {
    const injected = sinks?.[call.ifaceName]?.[call.fnName];
    const meta = { sdkComponent: 'worker', ifaceName: call.ifaceName, fnName: call.fnName, workflowId: (call.workflowInfo as WorkflowInfo).workflowId };
    if (!injected) {
      log.log('ERROR', 'Workflow referenced an unregistered external sink', meta);
      continue;
    }
    if (isReplaying && !injected.callDuringReplay) continue;
    const failed = (error: unknown) => log.log('ERROR', 'External sink function threw an error', { ...meta, error });
    try {
      const result = injected.fn(call.workflowInfo as WorkflowInfo, ...(call.args as []));
      if (result && typeof (result as Promise<void>).then === 'function') (result as Promise<void>).catch(failed);
    } catch (error) {
      failed(error);
    }
  }
}
