// Owns the public surface of `keel/workflow`: the API workflow code uses (Temporal's
// @temporalio/workflow names). Importing it has no side effects, so client code may import
// workflow modules for their signal and query definitions; the functions that need a running
// workflow throw IllegalStateError outside one.

export { proxyActivities, scheduleActivity } from './activities.js';
export { proxyLocalActivities, scheduleLocalActivity, type LocalActivityOptions } from './local-activities.js';
export { sleep } from './timers.js';
export { condition } from './conditions.js';
export { defineSignal, defineQuery, setHandler, setDefaultSignalHandler } from './handlers.js';
export { defineUpdate, allHandlersFinished, currentUpdateInfo } from './updates.js';
export { HandlerUnfinishedPolicy } from './interfaces.js';
export { workflowInfo } from './info.js';
export { patched, deprecatePatch } from './patch.js';
export { continueAsNew, makeContinueAsNewFunc, ContinueAsNew, type ContinueAsNewOptions } from './continue-as-new.js';
export { uuid4 } from './uuid.js';
export { upsertSearchAttributes, upsertMemo } from './upsert.js';
export {
  startChild,
  executeChild,
  type ChildWorkflowOptions,
  type ChildWorkflowOptionsFor,
  type ChildWorkflowHandle,
} from './child-workflows.js';
export { getExternalWorkflowHandle, type ExternalWorkflowHandle } from './external-workflows.js';
export { log } from './log.js';
export { proxySinks, type Sink, type Sinks, type SinkFunction, type SinkCall } from './sinks.js';
export { CancellationScope, type CancellationScopeOptions } from './cancellation-scope.js';
export { inWorkflowContext } from './global-state.js';
export { WorkflowError, DeterminismViolationError } from './errors.js';
export type {
  ActivityOptions,
  ActivityFunction,
  ActivityInterfaceFor,
  UntypedActivities,
  NotAnActivityMethod,
  SignalDefinition,
  QueryDefinition,
  UpdateDefinition,
  UpdateHandlerOptions,
  UpdateInfo,
  Handler,
  DefaultSignalHandler,
  WorkflowInfo,
  ParentWorkflowInfo,
  RootWorkflowInfo,
  UnsafeWorkflowInfo,
  LogLevel,
  LogMetadata,
  WorkflowLogger,
  WorkflowLogSink,
} from './interfaces.js';

// Shared with the rest of the SDK, re-exported as @temporalio/workflow does.
export {
  TemporalFailure,
  ApplicationFailure,
  ActivityFailure,
  CancelledFailure,
  TimeoutFailure,
  TerminatedFailure,
  ChildWorkflowFailure,
  ServerFailure,
  IllegalStateError,
  ValueError,
  isCancellation,
  rootCause,
  ActivityCancellationType,
  WorkflowIdReusePolicy,
  WorkflowIdConflictPolicy,
  ParentClosePolicy,
  SearchAttributeType,
  defineSearchAttributeKey,
  TypedSearchAttributes,
  type SearchAttributeKey,
  type SearchAttributePair,
  type SearchAttributeUpdatePair,
  ChildWorkflowCancellationType,
  WorkflowExecutionAlreadyStartedError,
  RetryState,
  TimeoutType,
  type ApplicationFailureOptions,
  type Duration,
  type RetryPolicy,
} from '../common/index.js';
export type {
  Headers,
  Next,
  WorkflowInterceptors,
  WorkflowInterceptorsFactory,
  WorkflowInboundCallsInterceptor,
  WorkflowOutboundCallsInterceptor,
  WorkflowInternalsInterceptor,
  WorkflowExecuteInput,
  SignalInput,
  QueryInput,
  UpdateInput,
  ActivityInput,
  LocalActivityInput,
  TimerInput,
  StartChildWorkflowExecutionInput,
  SignalWorkflowInput,
  ContinueAsNewInput,
  GetLogAttributesInput,
  ActivateInput,
  ConcludeActivationInput,
  ConcludeActivationOutput,
  DisposeInput,
} from './interceptors.js';
export {
  WorkflowNotFoundError,
  NamespaceNotFoundError,
  PayloadConverterError,
  defaultPayloadConverter,
  type Payload,
  type PayloadConverter,
} from '../common/index.js';
export type { UntypedActivities as ActivityInterface } from './interfaces.js';
// Temporal's generic workflow types; type-only, so nothing of the client enters a workflow bundle.
export type { Workflow, WorkflowResultType, WorkflowReturnType, WithWorkflowArgs, SearchAttributes } from '../client/types.js';
