/**
 * Keel's wire protocol: every message between clients, workers and the service, with
 * the schemas that validate them. Imports nothing from `cloudflare:*` or `node:*`, so
 * the service, the SDK, the CLI and the UI all build on the same definitions.
 */
export { Payload, Payloads, Failure, RetryPolicy, TimeoutType, RetryState } from './payload.js';
export {
  WorkflowIdReusePolicy,
  WorkflowIdConflictPolicy,
  WorkflowExecutionStatus,
  ActivityCancellationType,
  ParentClosePolicy,
  WorkflowTaskFailedCause,
  ResetType,
  ResetReapplyExcludeType,
  TaskQueueKind,
  enumValues,
} from './enums.js';
export {
  EventAttributes,
  EventType,
  HistoryEvent,
  CLOSE_EVENT_TYPES,
  COMMAND_EVENT_TYPES,
  type EventOf,
  type AttributesOf,
} from './events.js';
export { Command, CLOSE_COMMANDS, type CommandType, type CommandOf } from './commands.js';
export { ErrorStatus, type ErrorCode, type ErrorBody } from './errors.js';
export { PRICES, priceUnits, executionCost, totalUsd, formatUsd, type ExecutionUnits, type ExecutionCost, type PriceLine } from './prices.js';
export {
  Api,
  API_PREFIX,
  Limits,
  namespacePath,
  endpointPathTemplate,
  DEFAULT_RETENTION_MS,
  MIN_RETENTION_MS,
  NamespaceState,
  NAMESPACE_NAME_PATTERN,
  type NamespaceInfo,
  PendingActivityState,
  UpdateStage,
  QueryRejectCondition,
  type Endpoint,
  type EndpointName,
  type RequestOf,
  type ParsedRequestOf,
  type ResponseOf,
  type WorkflowTask,
  type ActivityTask,
  type WorkflowExecution,
  type HistoryEnd,
  BATCHED_ENDPOINTS,
  type BatchedEndpoint,
  type BatchItemOf,
  type InvalidBatchItem,
} from './api.js';
export { SPECULATIVE_EVENTS, continueAsNewSuggested } from './speculation.js';
export { shardOf } from './workflow-shard.js';
export { SHARD_CHANNEL_ENDPOINTS, CLIENT_CHANNEL_ENDPOINTS, WORKER_CHANNEL_ENDPOINTS, shardChannelPath, shardChannelServesQuery, shardChannelServesOf, type ShardChannelEndpoint, type ShardChannelCall, type ShardChannelAnswer, type ShardChannelServes, type ShardChannelWake, type ShardChannelQueueKind } from './shard-channel.js';
export { ScheduleOverlapPolicy, type ScheduleWire, type ScheduleSpecWire, type DescribeScheduleWire, type ScheduleListEntryWire } from './schedules.js';
export { openApiDocument } from './openapi.js';
export { isStickyQueueName, ownsStickyQueue, stickyQueueName } from './sticky-queue.js';
