/**
 * `keel/worker`: what a worker process imports, as `@temporalio/worker` has it.
 * @module
 */
export { Worker, type WorkerOptions, type WorkerPlugin, type State } from './worker.js';
export type {
  WorkerInterceptors,
  ActivityInterceptorsFactory,
  ActivityInterceptors,
  ActivityInboundCallsInterceptor,
  ActivityOutboundCallsInterceptor,
  ActivityExecuteInput,
  GetLogAttributesInput,
  Headers,
  Next,
} from './interceptors.js';
export type { InjectedSinks, InjectedSink, InjectedSinkFunction } from './sinks.js';
export { NativeConnection, type NativeConnectionOptions } from './connection.js';
export {
  bundleWorkflowCode,
  type BundleOptions,
  type WorkflowBundle,
  type WorkflowBundleWithSourceMap,
  type WorkflowBundlePath,
  type WorkflowBundlePathWithSourceMap,
  type WorkflowBundleOption,
} from './workflow-bundler.js';
export { runReplayHistory, runReplayHistories, type ReplayOptions, type HistoryInput, type ReplayHistory, type ReplayResult } from './replay.js';
export { WorkflowBundleError, CachedRunInvalidError, HistoryGapError, ReplayError, DeterminismViolationError } from './errors.js';
export {
  Runtime,
  DefaultLogger,
  makeTelemetryFilterString,
  LogTimestamp,
  type RuntimeOptions,
  type TelemetryOptions,
  type MakeTelemetryFilterStringOptions,
  type LogEntry,
} from './runtime.js';
export { type Logger, type LogLevel, type LogMetadata, withMetadata } from '../common/index.js';
export { activityLogAttributes } from '../activity/context.js';
export { IllegalStateError, defaultPayloadConverter, type DataConverter } from '../common/index.js';
