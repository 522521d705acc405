/**
 * Error codes the service answers with, each beside its HTTP status. Every error body is
 * `{ error: { code, message, details? } }`; clients decide on `code`, never on `message`.
 */
export const ErrorStatus = {
  /** The body is not JSON. */
  INVALID_JSON: 400,
  /** A field is missing, has the wrong type or an invalid value; `details.issues` lists them. */
  INVALID_ARGUMENT: 400,
  /** The request body, a payload or a name is over its documented limit. */
  PAYLOAD_TOO_LARGE: 413,
  /**
   * A POST whose Content-Type is not `application/json`. Only JSON is taken, so that a web page on
   * another site cannot send a request (a form, a `no-cors` fetch) without a CORS preflight, which
   * the service refuses.
   */
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** A run already has as many pending activities, timers, children, signals or cancel requests as it may; `details.limit` names which. */
  LIMIT_EXCEEDED: 400,
  /** No route matches the path. */
  ROUTE_NOT_FOUND: 404,
  /** The route exists but not for this method. */
  METHOD_NOT_ALLOWED: 405,
  /** No API key, or one that is not valid. */
  UNAUTHENTICATED: 401,
  /** The API key is valid but not for this namespace. */
  PERMISSION_DENIED: 403,
  /** No namespace of this name is registered (`keel operator namespace create`, or `POST /api/v1/namespaces`). */
  NAMESPACE_NOT_FOUND: 404,
  /** A namespace of this name is already registered. */
  NAMESPACE_ALREADY_EXISTS: 409,
  /** No workflow with this id (and run id, when given). */
  WORKFLOW_NOT_FOUND: 404,
  /** The run has closed and cannot take this request (signal, cancel, terminate). */
  WORKFLOW_NOT_RUNNING: 409,
  /** A run with this workflow id is running, or the reuse policy forbids another. */
  WORKFLOW_ALREADY_STARTED: 409,
  /** The task token is malformed or its signature does not verify. */
  INVALID_TASK_TOKEN: 400,
  /** The task is no longer wanted: completed, timed out, retried or its run closed. */
  TASK_NOT_FOUND: 404,
  /**
   * A poll of a sticky queue the service closed for good: its worker shut down, or was taken for dead
   * (a task handed to it was not acknowledged in time). A worker still alive moves to a new sticky queue.
   */
  STICKY_QUEUE_CLOSED: 410,
  /** A command names an activity that is not pending. */
  UNKNOWN_ACTIVITY: 400,
  /** A command names a timer that is not pending. */
  UNKNOWN_TIMER: 400,
  /** A command reuses the id of an activity or timer that is still pending. */
  DUPLICATE_ID: 400,
  /** The commands of a completion are not valid together (e.g. a command after the one that closes the run). */
  BAD_COMMAND: 400,
  /** The same request id was used earlier for a different request. */
  REQUEST_ID_CONFLICT: 409,
  /** No worker answered the query in time. */
  QUERY_TIMEOUT: 504,
  /** The worker could not answer the query: unknown query type, or its handler threw. */
  QUERY_FAILED: 400,
  /** The workflow has no handler for this query type; the message lists the registered ones. */
  QUERY_NOT_REGISTERED: 400,
  /** The query's `queryRejectCondition` refused it for the run's status (`details.status`). */
  QUERY_REJECTED: 409,
  /** No worker validated the update in time (no worker polls the task queue, or it is stuck). */
  UPDATE_TIMEOUT: 504,
  /** No update with this id was accepted by this run. */
  UPDATE_NOT_FOUND: 404,
  /**
   * A reset names a point it cannot go back to: the event is not just after a workflow task was
   * scheduled or started (a WorkflowTaskCompleted's id is the usual one), the run has no such task,
   * or work that cannot be rebuilt (a child workflow, a call to another workflow) was pending there.
   */
  INVALID_RESET_POINT: 400,
  /** No schedule with this id. */
  SCHEDULE_NOT_FOUND: 404,
  /** A schedule with this id already exists. */
  SCHEDULE_ALREADY_RUNNING: 409,
  /** The schedule changed since its conflict token was read; describe it again and retry. */
  SCHEDULE_CONFLICT: 409,
  /** A shard's channel (protocol 7, `…/shards/{shard}/channel`) asked for without `Upgrade: websocket`: it is opened as a WebSocket only. */
  UPGRADE_REQUIRED: 426,
  /** The feature is turned off in this deployment, e.g. time skipping outside a local test service. */
  FEATURE_DISABLED: 403,
  /** Anything unexpected; the service logs it. */
  INTERNAL: 500,
} as const;
export type ErrorCode = keyof typeof ErrorStatus;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}
