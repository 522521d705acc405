/**
 * Enumerations shared by the service and the SDK, with Temporal's names and meanings.
 * Each is a `const` object plus a type of its values, so both sides spell them alike.
 */

/** What `start` does when a closed run of the same workflow id exists. */
export const WorkflowIdReusePolicy = {
  /** Start a new run whatever the last one ended with (Temporal's default). */
  ALLOW_DUPLICATE: 'ALLOW_DUPLICATE',
  /** Start a new run only if the last one did not complete successfully. */
  ALLOW_DUPLICATE_FAILED_ONLY: 'ALLOW_DUPLICATE_FAILED_ONLY',
  /** Never start another run with this id. */
  REJECT_DUPLICATE: 'REJECT_DUPLICATE',
  /** Terminate a running run and start a new one (deprecated in Temporal; use the conflict policy). */
  TERMINATE_IF_RUNNING: 'TERMINATE_IF_RUNNING',
} as const;
export type WorkflowIdReusePolicy = (typeof WorkflowIdReusePolicy)[keyof typeof WorkflowIdReusePolicy];

/** What `start` does when a run of the same workflow id is still running. */
export const WorkflowIdConflictPolicy = {
  /** Refuse with WORKFLOW_ALREADY_STARTED (Temporal's default). */
  FAIL: 'FAIL',
  /** Answer with the running run instead of starting one. */
  USE_EXISTING: 'USE_EXISTING',
  /** Terminate the running run and start a new one. */
  TERMINATE_EXISTING: 'TERMINATE_EXISTING',
} as const;
export type WorkflowIdConflictPolicy = (typeof WorkflowIdConflictPolicy)[keyof typeof WorkflowIdConflictPolicy];

/** The status of a workflow run, as Temporal's `WorkflowExecutionStatus`. */
export const WorkflowExecutionStatus = {
  RUNNING: 'RUNNING',
  COMPLETED: 'COMPLETED',
  FAILED: 'FAILED',
  CANCELED: 'CANCELED',
  TERMINATED: 'TERMINATED',
  CONTINUED_AS_NEW: 'CONTINUED_AS_NEW',
  TIMED_OUT: 'TIMED_OUT',
} as const;
export type WorkflowExecutionStatus = (typeof WorkflowExecutionStatus)[keyof typeof WorkflowExecutionStatus];

/** Temporal's spelling of each status in list filters and count groups (`Running`, `TimedOut`, …). */
export const STATUS_FILTER_NAMES: Record<WorkflowExecutionStatus, string> = {
  RUNNING: 'Running',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  CANCELED: 'Canceled',
  TERMINATED: 'Terminated',
  CONTINUED_AS_NEW: 'ContinuedAsNew',
  TIMED_OUT: 'TimedOut',
};

/** How a workflow awaits the cancellation of an activity it cancels. */
export const ActivityCancellationType = {
  /** Request cancellation and resolve the activity's promise at once (Temporal's default). */
  TRY_CANCEL: 'TRY_CANCEL',
  /** Request cancellation and wait until the activity acknowledges it. */
  WAIT_CANCELLATION_COMPLETED: 'WAIT_CANCELLATION_COMPLETED',
  /** Do not request cancellation; resolve the promise at once. */
  ABANDON: 'ABANDON',
} as const;
export type ActivityCancellationType = (typeof ActivityCancellationType)[keyof typeof ActivityCancellationType];

/** What happens to a child workflow when its parent closes. */
export const ParentClosePolicy = {
  TERMINATE: 'TERMINATE',
  ABANDON: 'ABANDON',
  REQUEST_CANCEL: 'REQUEST_CANCEL',
} as const;
export type ParentClosePolicy = (typeof ParentClosePolicy)[keyof typeof ParentClosePolicy];

/** Why a workflow task failed, as Temporal's `WorkflowTaskFailedCause`. */
export const WorkflowTaskFailedCause = {
  UNHANDLED_COMMAND: 'UNHANDLED_COMMAND',
  WORKFLOW_WORKER_UNHANDLED_FAILURE: 'WORKFLOW_WORKER_UNHANDLED_FAILURE',
  NON_DETERMINISTIC_ERROR: 'NON_DETERMINISTIC_ERROR',
  RESET_STICKY_TASK_QUEUE: 'RESET_STICKY_TASK_QUEUE',
  /** The run was reset to this task: the task is failed in the new run, whose events go on from here. */
  RESET_WORKFLOW: 'RESET_WORKFLOW',
} as const;
export type WorkflowTaskFailedCause = (typeof WorkflowTaskFailedCause)[keyof typeof WorkflowTaskFailedCause];

/** Where a reset goes back to when no event id is given (Temporal CLI's `--type`). */
export const ResetType = {
  /** The first completed workflow task (or, when none completed, the first one scheduled). */
  FirstWorkflowTask: 'FirstWorkflowTask',
  /** The last completed workflow task (or, when none completed, the first one scheduled). */
  LastWorkflowTask: 'LastWorkflowTask',
  /** The last completed workflow task of the run this run continued as new from. */
  LastContinuedAsNew: 'LastContinuedAsNew',
} as const;
export type ResetType = (typeof ResetType)[keyof typeof ResetType];

/** Inputs after the reset point a reset can leave out (Temporal's `ResetReapplyExcludeType`); by default all are re-applied. */
export const ResetReapplyExcludeType = {
  Signal: 'Signal',
  Update: 'Update',
} as const;
export type ResetReapplyExcludeType = (typeof ResetReapplyExcludeType)[keyof typeof ResetReapplyExcludeType];

/** The kinds of task a task queue holds. */
export const TaskQueueKind = {
  WORKFLOW: 'workflow',
  ACTIVITY: 'activity',
} as const;
export type TaskQueueKind = (typeof TaskQueueKind)[keyof typeof TaskQueueKind];

/** Which timeout fired, as Temporal's `TimeoutType`. */
export const TimeoutType = {
  START_TO_CLOSE: 'START_TO_CLOSE',
  SCHEDULE_TO_START: 'SCHEDULE_TO_START',
  SCHEDULE_TO_CLOSE: 'SCHEDULE_TO_CLOSE',
  HEARTBEAT: 'HEARTBEAT',
} as const;
export type TimeoutType = (typeof TimeoutType)[keyof typeof TimeoutType];

export const RetryState = {
  IN_PROGRESS: 'IN_PROGRESS',
  NON_RETRYABLE_FAILURE: 'NON_RETRYABLE_FAILURE',
  TIMEOUT: 'TIMEOUT',
  MAXIMUM_ATTEMPTS_REACHED: 'MAXIMUM_ATTEMPTS_REACHED',
  RETRY_POLICY_NOT_SET: 'RETRY_POLICY_NOT_SET',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  CANCEL_REQUESTED: 'CANCEL_REQUESTED',
} as const;
export type RetryState = (typeof RetryState)[keyof typeof RetryState];

/** Makes a `z.enum` argument from a const object's values. */
export function enumValues<T extends Record<string, string>>(o: T): [T[keyof T], ...T[keyof T][]] {
  return Object.values(o) as [T[keyof T], ...T[keyof T][]];
}
