// Owns sinks seen from the workflow (Temporal's `proxySinks`): one-way calls out of the sandbox,
// such as exporting trace spans. A call is queued on the run and handed to the worker with the
// activation's commands; the worker runs the injected function (see the worker's `sinks` option)
// after the activation, and skips calls made while replaying unless the sink asks for them.
import { assertInWorkflowContext } from './global-state.js';
import { buildWorkflowInfo } from './info.js';
import type { WorkflowInfo } from './interfaces.js';

/** A sink function: its calls return nothing to the workflow. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SinkFunction = (...args: any[]) => void;
/** A sink: named functions. */
export type Sink = Record<string, SinkFunction>;
/** The sinks a workflow calls, by name (Temporal's `Sinks`). */
export type Sinks = Record<string, Sink>;

/** One call of a sink function, as the worker receives it. */
export interface SinkCall {
  ifaceName: string;
  fnName: string;
  args: unknown[];
  /** The run's info when the call was made. */
  workflowInfo: WorkflowInfo;
  /** Whether the run was replaying history when it made the call. */
  isReplaying: boolean;
}

/**
 * The workflow side of the worker's sinks: `sinks.exporter.export(spans)` queues a call the
 * worker makes outside the sandbox. Arguments are copied out, so pass plain data.
 *
 * @example
 * interface MySinks extends Sinks { audit: { record(event: string): void } }
 * const { audit } = proxySinks<MySinks>();
 * audit.record('charged');
 */
export function proxySinks<T extends Sinks>(): T {
  return new Proxy({} as T, {
    get(_, ifaceName) {
      return new Proxy(
        {},
        {
          get(_, fnName) {
            return (...args: unknown[]) => {
              const activator = assertInWorkflowContext('Calling a sink');
              activator.sinkCalls.push({
                ifaceName: String(ifaceName),
                fnName: String(fnName),
                args,
                workflowInfo: buildWorkflowInfo(activator),
                isReplaying: activator.isReplaying,
              });
            };
          },
        },
      );
    },
  });
}
