/**
 * `keel/worker`: what a worker process imports, as `@temporalio/worker` has it.
 * @module
 */
export { Worker, type WorkerOptions, type State } from './worker.js';
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
export { type InjectedSinks, type InjectedSink, type InjectedSinkFunction } from './sinks.js';
export { activityLogAttributes } from '../activity/context.js';
export { IllegalStateError, defaultPayloadConverter, type DataConverter } from '../common/index.js';
