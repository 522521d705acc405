// Owns the public surface of `keel/client` (Temporal's @temporalio/client): the client, its
// connection and transport, handles, options, errors, and the common names client code uses.

export { Client, type ClientOptions, type ClientPlugin, type LoadedClientOptions } from './client.js';
export type {
  ClientInterceptors,
  WorkflowClientInterceptor,
  WorkflowExecution,
  WorkflowStartInput,
  WorkflowSignalInput,
  WorkflowSignalWithStartInput,
  WorkflowQueryInput,
  WorkflowStartUpdateInput,
  WorkflowStartUpdateOutput,
  WorkflowCancelInput,
  WorkflowTerminateInput,
  WorkflowDescribeInput,
  Headers,
  Next,
} from './interceptors.js';
export { BaseClient } from './base-client.js';
export {
  Connection,
  type ConnectionLike,
  type ConnectionOptions,
  type ResolvedConnectionOptions,
} from './connection.js';
export { HttpTransport, DEFAULT_ATTEMPT_TIMEOUT_MS, type HttpTransportOptions, type CallOptions } from './http-transport.js';
export { defaultRetryOptions, type RetryOptions } from './retry.js';
export {
  WorkflowClient,
  workflowTypeName,
  defaultIdentity,
  type WorkflowClientOptions,
  type LoadedWorkflowClientOptions,
} from './workflow-client.js';
export {
  AsyncCompletionClient,
  ActivityNotFoundError,
  ActivityCompletionError,
  ActivityCancelledError,
  type AsyncCompletionClientOptions,
  type FullActivityId,
} from './async-completion-client.js';
export { type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId, type WorkflowHandleWithSignaledRunId } from './workflow-handle.js';
export {
  type WorkflowOptions,
  type WorkflowStartOptions,
  type WorkflowSignalWithStartOptions,
  type WorkflowResultOptions,
  type GetWorkflowHandleOptions,
} from './workflow-options.js';
export {
  type Workflow,
  type WorkflowReturnType,
  type WorkflowResultType,
  type WithWorkflowArgs,
  type SignalDefinition,
  type QueryDefinition,
  type UpdateDefinition,
  type History,
  type SearchAttributes,
  type WorkflowExecutionStatusName,
  type WorkflowExecutionDescription,
  type DescribeWorkflowExecutionResponse,
  type WorkflowExecutionInfo,
  type RawWorkflowExecutionInfo,
  type ListOptions,
  type IntoHistoriesOptions,
  type HistoryAndWorkflowId,
  type AsyncWorkflowListIterable,
  type CountWorkflowExecution,
} from './types.js';
export {
  ServiceError,
  KeelServiceError,
  WorkflowFailedError,
  WorkflowContinuedAsNewError,
  QueryFailedError,
  NotSupportedError,
  type ServiceErrorCode,
} from './errors.js';
export { QueryNotRegisteredError, QueryRejectedError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from './handler-errors.js';
export { WorkflowUpdateStage, type WorkflowUpdateHandle, type WorkflowUpdateOptions, type WorkflowStartUpdateOptions } from './workflow-update.js';

// Names of @temporalio/common that @temporalio/client re-exports, so that client code imports
// them from one place as it did.
export {
  WorkflowIdReusePolicy,
  WorkflowIdConflictPolicy,
  RetryState,
  TimeoutType,
  TemporalFailure,
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
  ServerFailure,
  ActivityFailure,
  ChildWorkflowFailure,
  WorkflowNotFoundError,
  WorkflowExecutionAlreadyStartedError,
  NamespaceNotFoundError,
  ValueError,
  isCancellation,
  defaultPayloadConverter,
  AesGcmPayloadCodec,
  SearchAttributeType,
  defineSearchAttributeKey,
  TypedSearchAttributes,
  type SearchAttributeKey,
  type SearchAttributePair,
  type SearchAttributeUpdatePair,
  type Duration,
  type RetryPolicy,
  type Payload,
  type PayloadConverter,
  type PayloadCodec,
  type FailureConverter,
  type DataConverter,
  type LoadedDataConverter,
} from '../common/index.js';
export {
  ScheduleClient,
  ScheduleNotFoundError,
  ScheduleAlreadyRunning,
  type ScheduleHandle,
  type ScheduleClientOptions,
  type LoadedScheduleClientOptions,
  type ScheduleClientInterceptor,
  type CreateScheduleInput,
  type CreateScheduleOutput,
  type ListScheduleOptions,
} from './schedule-client.js';
export {
  ScheduleOverlapPolicy,
  encodeScheduleOverlapPolicy,
  decodeScheduleOverlapPolicy,
  MONTHS,
  DAYS_OF_WEEK,
  type Month,
  type DayOfWeek,
  type Range,
  type LooseRange,
  type CalendarSpec,
  type CalendarSpecDescription,
  type IntervalSpec,
  type IntervalSpecDescription,
  type ScheduleSpec,
  type ScheduleSpecDescription,
  type ScheduleOptions,
  type ScheduleOptionsAction,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleUpdateOptions,
  type CompiledScheduleAction,
  type CompiledScheduleOptions,
  type CompiledScheduleUpdateOptions,
  type ScheduleSummary,
  type ScheduleSummaryAction,
  type ScheduleSummaryStartWorkflowAction,
  type ScheduleDescription,
  type ScheduleDescriptionAction,
  type ScheduleDescriptionStartWorkflowAction,
  type ScheduleExecutionResult,
  type ScheduleExecutionActionResult,
  type ScheduleExecutionStartWorkflowActionResult,
  type Backfill,
} from './schedule-types.js';
export { WithStartWorkflowOperation, type WithStartWorkflowOperationOptions } from './update-with-start.js';

// Names @temporalio/client re-exports from its common package.
export { IllegalStateError, PayloadConverterError, type Failure as ProtoFailure } from '../common/index.js';
export { HandlerUnfinishedPolicy, type ActivityFunction, type UntypedActivities, type UntypedActivities as ActivityInterface } from '../workflow/interfaces.js';
export { workflowTypeName as extractWorkflowType, QueryRejectCondition } from './workflow-client.js';
