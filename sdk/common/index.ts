// Owns the public surface of `keel/common`: the sandbox-safe part of the SDK shared by client,
// worker, workflow and activity code (Temporal's @temporalio/common). Everything here loads in the
// workflow sandbox: no `node:*`, no Buffer, no process.

// Enums of the wire protocol, with Temporal's names. Values come from the zod-free
// protocol/enums.ts rather than protocol/index.ts, which would put zod and every
// wire schema into the workflow bundle.
export {
  WorkflowIdReusePolicy,
  WorkflowIdConflictPolicy,
  ActivityCancellationType,
  ParentClosePolicy,
  RetryState,
  TimeoutType,
} from '../../protocol/enums.js';
// `Payload` is Temporal's (bytes), what codecs take; `WirePayload` is the wire form (base64), what
// payload converters, failure details and headers still carry (see docs/temporal-differences.md).
export type { Payload as WirePayload, Failure } from '../../protocol/index.js';
export { ChildWorkflowCancellationType } from './child-workflow-cancellation.js';

export { type Logger, type LogLevel, type LogMetadata, SdkComponent, withMetadata } from './logger.js';
export { type Duration, msToNumber, msOptionalToNumber } from './duration.js';
export {
  encodeBase64,
  decodeBase64,
  encodeUtf8,
  decodeUtf8,
  utf8ToBase64,
  base64ToUtf8,
  type Payload,
  payloadFromWire,
  payloadToWire,
} from './encoding.js';
export { markErrorClass, isError, errorMessage, type ErrorClass } from './error-class.js';
export {
  ValueError,
  PayloadConverterError,
  IllegalStateError,
  WorkflowNotFoundError,
  WorkflowExecutionAlreadyStartedError,
  NamespaceNotFoundError,
} from './errors.js';
export {
  FAILURE_SOURCE,
  type WorkflowExecution,
  TemporalFailure,
  ServerFailure,
  type ApplicationFailureOptions,
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
  ActivityFailure,
  ChildWorkflowFailure,
  ensureError,
  errorType,
  ensureApplicationFailure,
  ensureTemporalFailure,
  rootCause,
  isCancellation,
} from './failure.js';
export {
  type FailureConverter,
  type DefaultEncodedFailureAttributes,
  type DefaultFailureConverterOptions,
  DefaultFailureConverter,
  defaultFailureConverter,
  errorToFailure,
  failureToError,
} from './failure-converter.js';
export {
  METADATA_ENCODING_KEY,
  encodingTypes,
  type EncodingType,
  type PayloadConverter,
  type PayloadConverterWithEncoding,
  encodingOf,
  UndefinedPayloadConverter,
  BinaryPayloadConverter,
  JsonPayloadConverter,
  CompositePayloadConverter,
  DefaultPayloadConverter,
  defaultPayloadConverter,
  toPayloads,
  fromPayloadsAtIndex,
  arrayFromPayloads,
  mapToPayloads,
  mapFromPayloads,
} from './payload-converter.js';
export {
  type PayloadCodec,
  encodeWithCodecs,
  decodeWithCodecs,
  encodeOptional,
  decodeOptional,
  encodeOptionalSingle,
  decodeOptionalSingle,
  encodeMap,
  decodeMap,
  encodeFailure,
  decodeFailure,
  encodeOptionalFailure,
  decodeOptionalFailure,
} from './payload-codec.js';
export {
  type AesGcmPayloadCodecOptions,
  type WebCryptoKey,
  METADATA_ENCRYPTION_KEY_ID,
  AesGcmPayloadCodec,
} from './aes-gcm-codec.js';
export {
  type DataConverter,
  type LoadedDataConverter,
  defaultDataConverter,
  loadDataConverter,
  encodeToPayloads,
  encodeToPayload,
  decodeArrayFromPayloads,
  decodeFromPayloadsAtIndex,
  decodeOptionalSinglePayload,
  encodeMapToPayloads,
  decodeMapFromPayloads,
  encodeErrorToFailure,
  decodeOptionalFailureToOptionalError,
} from './data-converter.js';
export { type RetryPolicy, compileRetryPolicy, decompileRetryPolicy } from './retry-policy.js';
export type { SignalDefinition, QueryDefinition, UpdateDefinition } from './definitions.js';
export {
  SearchAttributeType,
  defineSearchAttributeKey,
  TypedSearchAttributes,
  typedSearchAttributesToWire,
  typedSearchAttributesFromWire,
  untypedSearchAttributesFromWire,
  typedValueToWire,
  type SearchAttributeKey,
  type SearchAttributePair,
  type SearchAttributeUpdatePair,
  type IndexedValueTypeMapping,
} from './search-attributes.js';
export { type Headers, type Next, type OmitLastParam, composeInterceptors } from './interceptors.js';
export { HandlerUnfinishedPolicy, type ActivityFunction, type UntypedActivities, type UntypedActivities as ActivityInterface } from '../workflow/interfaces.js';
export type { ActivityOptions } from '../workflow/interfaces.js';
export type { LocalActivityOptions } from '../workflow/local-activities.js';
// Temporal's generic workflow types; type-only, so nothing of the client enters a workflow bundle.
export type { Workflow, WorkflowResultType, WorkflowReturnType, WithWorkflowArgs, SearchAttributes } from '../client/types.js';
