// Owns the workflow logger `log`: replay-aware (silent while replaying, so each record is written
// once however often history is replayed), tagged with the run's identity, written to a sink.
import { composeInterceptors } from '../common/interceptors.js';
import { loggerFrom } from '../common/logger.js';
import { assertInWorkflowContext } from './global-state.js';
import type { LogLevel, LogMetadata, WorkflowLogger, WorkflowLogSink } from './interfaces.js';

/** The default sink: the sandbox's `console` (the worker decides what that is). */
export const consoleLogSink: WorkflowLogSink = {
  log(level: LogLevel, message: string, meta: LogMetadata): void {
    const c = (globalThis as { console?: Partial<Record<'debug' | 'info' | 'warn' | 'error', (...a: unknown[]) => void>> })
      .console;
    const write = level === 'ERROR' ? c?.error : level === 'WARN' ? c?.warn : level === 'INFO' ? c?.info : c?.debug;
    write?.call(c, `[${level}] ${message}`, meta);
  },
};

function write(level: LogLevel, message: string, meta?: LogMetadata): void {
  const activator = assertInWorkflowContext('log');
  if (activator.isReplaying) return;
  const start = activator.startInfo;
  const base: LogMetadata = {
    sdkComponent: 'workflow',
    ...(start && {
      namespace: start.namespace,
      taskQueue: start.taskQueue,
      workflowId: start.workflowId,
      runId: start.runId,
      workflowType: start.workflowType,
    }),
  };
  // Outbound interceptors may add attributes (a trace id, say), as Temporal's getLogAttributes.
  const attributes: LogMetadata = { ...composeInterceptors(activator.interceptors.outbound, 'getLogAttributes', (a) => a)(base), ...meta };
  activator.logSink.log(level, message, attributes);
}

/**
 * The workflow's logger, as Temporal's `log`: records are dropped while the workflow replays
 * history, and carry the run's namespace, task queue, workflow id, run id and type.
 *
 * @example
 * log.info('charging', { orderId });
 */
export const log: WorkflowLogger = loggerFrom(write);
