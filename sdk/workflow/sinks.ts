// Owns sinks inside the sandbox, as Temporal's `proxySinks`: a workflow calls functions that run
// outside it, on the worker (metrics, custom logging). Calls are only recorded here, with the
// run's info at the moment of the call; the worker runs them after the activation, and not for a
// replayed activation unless the sink function asks to (`callDuringReplay`).
import { assertInWorkflowContext } from './global-state.js';
import { buildWorkflowInfo } from './info.js';
import type { WorkflowInfo } from './interfaces.js';

/** A function of a sink: what the workflow calls; it returns nothing to the workflow. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SinkFunction = (...args: any[]) => void;
/** A group of sink functions. */
export type Sink = Record<string, SinkFunction>;
/** The sinks a workflow uses, by name; the worker injects the implementations (`InjectedSinks`). */
export type Sinks = Record<string, Sink>;

/** One recorded call, as the worker receives it. */
export interface SinkCall {
  ifaceName: string;
  fnName: string;
  args: unknown[];
  workflowInfo: WorkflowInfo;
}

/**
 * The workflow's handle on the sinks the worker injects. Each call returns at once; the worker
 * calls the injected function after the current activation.
 *
 * @example
 * export interface AlertSinks extends Sinks { alerts: { send(message: string): void } }
 * const { alerts } = proxySinks<AlertSinks>();
 * alerts.send('order stuck');
 */
export function proxySinks<T extends Sinks>(): T {
  return new Proxy({} as T, {
    get(_, ifaceName) {
      return new Proxy({} as Sink, {
        get(_, fnName) {
          return (...args: unknown[]) => {
            const activator = assertInWorkflowContext('Proxied sinks functions');
            activator.sinkCalls.push({ ifaceName: String(ifaceName), fnName: String(fnName), args, workflowInfo: buildWorkflowInfo(activator) });
          };
        },
      });
    },
  });
}
