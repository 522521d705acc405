// Owns the worker connection's request metrics under Temporal's Core SDK client names and labels:
// temporal_request / _failure / _latency, and temporal_long_request / _failure / _latency for long
// polls, each with `operation` (Temporal's gRPC method name), `namespace`, `task_queue` where the call
// has one, and `status_code` on failures (gRPC's code names, UPPER_SNAKE_CASE, as every SDK has them).
import type { EndpointName, ErrorCode, RequestOf } from '../../protocol/index.js';
import type { BoundCounter, BoundHistogram, Labels, MetricRegistry } from '../../protocol/metric-registry.js';
import type { CallOptions } from '../client/http-transport.js';
import { KeelServiceError } from '../client/errors.js';

/**
 * Each endpoint's operation: the WorkflowService method a Temporal SDK calls for the same thing, so
 * dashboards and alerts written for Temporal (e.g. `operation="RespondWorkflowTaskCompleted"`) match.
 * Keel's own endpoints keep their name in the same PascalCase form.
 */
export const OPERATIONS: Readonly<Record<EndpointName, string>> = {
  startWorkflow: 'StartWorkflowExecution',
  describeWorkflow: 'DescribeWorkflowExecution',
  signalWorkflow: 'SignalWorkflowExecution',
  signalWithStartWorkflow: 'SignalWithStartWorkflowExecution',
  requestCancelWorkflow: 'RequestCancelWorkflowExecution',
  terminateWorkflow: 'TerminateWorkflowExecution',
  resetWorkflow: 'ResetWorkflowExecution',
  getWorkflowHistory: 'GetWorkflowExecutionHistory',
  queryWorkflow: 'QueryWorkflow',
  updateWorkflow: 'UpdateWorkflowExecution',
  // Temporal sends update-with-start as a multi-operation, and its metrics name it so.
  updateWithStartWorkflow: 'ExecuteMultiOperation',
  pollWorkflowUpdate: 'PollWorkflowExecutionUpdate',
  pollWorkflowTask: 'PollWorkflowTaskQueue',
  // Keel's own (protocol 6): the same poll, at a workflow shard.
  pollShardWorkflowTask: 'PollShardWorkflowTaskQueue',
  completeWorkflowTask: 'RespondWorkflowTaskCompleted',
  failWorkflowTask: 'RespondWorkflowTaskFailed',
  respondQueryTask: 'RespondQueryTaskCompleted',
  acknowledgeTask: 'AcknowledgeTask',
  pollActivityTask: 'PollActivityTaskQueue',
  heartbeatActivityTask: 'RecordActivityTaskHeartbeat',
  completeActivityTask: 'RespondActivityTaskCompleted',
  failActivityTask: 'RespondActivityTaskFailed',
  // Keel's own (protocol 5): several of the four above in one exchange.
  batchTasks: 'RespondTasksBatch',
  cancelActivityTask: 'RespondActivityTaskCanceled',
  heartbeatActivityById: 'RecordActivityTaskHeartbeatById',
  completeActivityById: 'RespondActivityTaskCompletedById',
  failActivityById: 'RespondActivityTaskFailedById',
  cancelActivityById: 'RespondActivityTaskCanceledById',
  cancelPolls: 'CancelPolls',
  shutdownWorker: 'ShutdownWorker',
  describeTaskQueue: 'DescribeTaskQueue',
  listWorkflows: 'ListWorkflowExecutions',
  describeNamespaceCost: 'DescribeNamespaceCost',
  countWorkflows: 'CountWorkflowExecutions',
  createSchedule: 'CreateSchedule',
  describeSchedule: 'DescribeSchedule',
  updateSchedule: 'UpdateSchedule',
  patchSchedule: 'PatchSchedule',
  deleteSchedule: 'DeleteSchedule',
  listSchedules: 'ListSchedules',
  deleteWorkflow: 'DeleteWorkflowExecution',
  registerNamespace: 'RegisterNamespace',
  listNamespaces: 'ListNamespaces',
  describeNamespace: 'DescribeNamespace',
  updateNamespace: 'UpdateNamespace',
  advanceWorkflowTime: 'AdvanceWorkflowTime',
};

/** The gRPC status Temporal's service would answer with for each of Keel's error codes. */
const STATUS_CODES: Readonly<Record<ErrorCode | 'UNAVAILABLE' | 'UNKNOWN', string>> = {
  INVALID_JSON: 'INVALID_ARGUMENT',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  PAYLOAD_TOO_LARGE: 'INVALID_ARGUMENT',
  UNSUPPORTED_MEDIA_TYPE: 'INVALID_ARGUMENT',
  LIMIT_EXCEEDED: 'RESOURCE_EXHAUSTED',
  ROUTE_NOT_FOUND: 'UNIMPLEMENTED',
  METHOD_NOT_ALLOWED: 'UNIMPLEMENTED',
  UPGRADE_REQUIRED: 'UNIMPLEMENTED',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  NAMESPACE_NOT_FOUND: 'NOT_FOUND',
  NAMESPACE_ALREADY_EXISTS: 'ALREADY_EXISTS',
  WORKFLOW_NOT_FOUND: 'NOT_FOUND',
  // Temporal answers a signal or cancel of a closed run "workflow execution already completed", NotFound.
  WORKFLOW_NOT_RUNNING: 'NOT_FOUND',
  WORKFLOW_ALREADY_STARTED: 'ALREADY_EXISTS',
  INVALID_TASK_TOKEN: 'INVALID_ARGUMENT',
  // Temporal's matching answers a poll of a sticky queue whose worker it took for gone StickyWorkerUnavailable, Unavailable.
  STICKY_QUEUE_CLOSED: 'UNAVAILABLE',
  TASK_NOT_FOUND: 'NOT_FOUND',
  UNKNOWN_ACTIVITY: 'INVALID_ARGUMENT',
  UNKNOWN_TIMER: 'INVALID_ARGUMENT',
  DUPLICATE_ID: 'INVALID_ARGUMENT',
  BAD_COMMAND: 'INVALID_ARGUMENT',
  REQUEST_ID_CONFLICT: 'FAILED_PRECONDITION',
  QUERY_TIMEOUT: 'DEADLINE_EXCEEDED',
  QUERY_FAILED: 'INVALID_ARGUMENT',
  QUERY_NOT_REGISTERED: 'INVALID_ARGUMENT',
  QUERY_REJECTED: 'FAILED_PRECONDITION',
  UPDATE_TIMEOUT: 'DEADLINE_EXCEEDED',
  UPDATE_NOT_FOUND: 'NOT_FOUND',
  INVALID_RESET_POINT: 'INVALID_ARGUMENT',
  SCHEDULE_NOT_FOUND: 'NOT_FOUND',
  SCHEDULE_ALREADY_RUNNING: 'ALREADY_EXISTS',
  SCHEDULE_CONFLICT: 'FAILED_PRECONDITION',
  FEATURE_DISABLED: 'UNIMPLEMENTED',
  INTERNAL: 'INTERNAL',
  UNAVAILABLE: 'UNAVAILABLE',
  UNKNOWN: 'UNKNOWN',
};

/** A Keel error answer's gRPC status code name; a 429 is RESOURCE_EXHAUSTED whatever its body. */
export function statusCodeOf(err: KeelServiceError): string {
  return err.status === 429 ? 'RESOURCE_EXHAUSTED' : (STATUS_CODES[err.code] ?? 'UNKNOWN');
}

/**
 * Long polls, counted apart as Temporal's Core does (its poll methods and the history long poll), so
 * that their 20-second waits do not swamp the latency of ordinary calls.
 */
export function isLongPoll(endpoint: EndpointName, request: unknown): boolean {
  if (endpoint === 'pollWorkflowTask' || endpoint === 'pollShardWorkflowTask' || endpoint === 'pollActivityTask') return true;
  return endpoint === 'getWorkflowHistory' && (request as { waitNewEvent?: unknown } | undefined)?.waitNewEvent === true;
}

/**
 * Runs one call and records it. As Core: every call counts once in `request` and in `request_latency`
 * (failed ones too); `request_failure` counts the calls the service answered with an error. A call
 * that got no answer (network failure, aborted) is not a failure there either. Keel's transport
 * retries inside one call, so a call retried after a 503 counts once (Core counts each attempt).
 */
export async function recordRequest<T>(registry: MetricRegistry, endpoint: EndpointName, request: RequestOf<EndpointName>, options: CallOptions, call: () => Promise<T>): Promise<T> {
  const taskQueue = options.params?.taskQueue ?? (request as { taskQueue?: unknown } | undefined)?.taskQueue;
  const series = requestSeries(registry, endpoint, isLongPoll(endpoint, request), options.namespace, typeof taskQueue === 'string' ? taskQueue : undefined);
  series.count.inc();
  const t0 = performance.now();
  try {
    return await call();
  } catch (err) {
    if (err instanceof KeelServiceError) registry.inc(series.failureName, series.failureHelp, { ...series.labels, status_code: statusCodeOf(err) });
    throw err;
  } finally {
    series.latency.observe(performance.now() - t0);
  }
}

/** One operation's series (count and latency), bound once: a worker makes several calls per task. */
interface RequestSeries {
  labels: Labels;
  count: BoundCounter;
  latency: BoundHistogram;
  failureName: string;
  failureHelp: string;
}

/** Each registry's bound series, by long-poll kind, operation, namespace and task queue. */
const boundSeries = new WeakMap<MetricRegistry, Map<string, RequestSeries>>();

function requestSeries(registry: MetricRegistry, endpoint: EndpointName, long: boolean, namespace: string, taskQueue: string | undefined): RequestSeries {
  let byKey = boundSeries.get(registry);
  if (!byKey) boundSeries.set(registry, (byKey = new Map()));
  const key = `${long ? 'L' : 'S'}\0${endpoint}\0${namespace}\0${taskQueue ?? '\u0001'}`;
  let series = byKey.get(key);
  if (!series) {
    const name = long ? 'temporal_long_request' : 'temporal_request';
    const labels = { namespace, operation: OPERATIONS[endpoint], ...(taskQueue !== undefined ? { task_queue: taskQueue } : {}) };
    series = {
      labels,
      count: registry.counter(name, long ? 'Count of long-poll request successes by rpc name' : 'Count of client request successes by rpc name', labels),
      latency: registry.histogram(`${name}_latency`, long ? 'Histogram of client long-poll request latencies (ms)' : 'Histogram of client request latencies (ms)', labels),
      failureName: `${name}_failure`,
      failureHelp: long ? 'Count of long-poll request failures by rpc name' : 'Count of client request failures by rpc name',
    };
    byKey.set(key, series);
  }
  return series;
}
