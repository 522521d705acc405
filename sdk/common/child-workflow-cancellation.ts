// Owns ChildWorkflowCancellationType: how a parent awaits the cancellation of a child it cancels
// (Temporal's enum of the same name and values).

/** How a parent workflow awaits the cancellation of a child workflow it cancels (by cancelling the scope it runs in). */
export const ChildWorkflowCancellationType = {
  /** Do not request cancellation of the child; its result rejects at once. */
  ABANDON: 'ABANDON',
  /** Request cancellation and reject the result at once, without waiting for the request to be delivered. */
  TRY_CANCEL: 'TRY_CANCEL',
  /** Request cancellation and wait for the child to close (canceled, or however it ends). The default. */
  WAIT_CANCELLATION_COMPLETED: 'WAIT_CANCELLATION_COMPLETED',
  /** Request cancellation and reject the result once the request reached the child. */
  WAIT_CANCELLATION_REQUESTED: 'WAIT_CANCELLATION_REQUESTED',
} as const;
export type ChildWorkflowCancellationType = (typeof ChildWorkflowCancellationType)[keyof typeof ChildWorkflowCancellationType];
