/**
 * The calls one workflow object makes to another (child starts and closes, external signals and
 * cancels, parent close policies) and their answers: what the call outbox carries.
 */
import type { ParsedRequestOf, Payload } from '../../protocol/index.js';
import type { ParentInfo } from './run-state.js';

/** A child's start: the workflow object of `workflowId` starts the run with its parent recorded. */
export type ChildStartRequest = ParsedRequestOf<'startWorkflow'> & { parent: ParentInfo };

/** What a child's close tells its parent: the ChildWorkflowExecution* event to write. */
export interface ChildClose {
  eventType: 'ChildWorkflowExecutionCompleted' | 'ChildWorkflowExecutionFailed' | 'ChildWorkflowExecutionCanceled' | 'ChildWorkflowExecutionTimedOut' | 'ChildWorkflowExecutionTerminated';
  /** The close's own attributes (result, failure, details, retry state). */
  attributes: { result?: Payload; failure?: unknown; details?: Payload[]; retryState?: string };
}

export type WorkflowCall =
  /** Answered by ChildWorkflowExecutionStarted or StartChildWorkflowExecutionFailed in the sender. */
  | { kind: 'startChild'; namespace: string; workflowId: string; senderRunId: string; initiatedEventId: number; request: ChildStartRequest }
  /** Answered by ExternalWorkflowExecutionSignaled or SignalExternalWorkflowExecutionFailed. */
  | {
      kind: 'signal';
      namespace: string;
      workflowId: string;
      runId?: string;
      senderRunId: string;
      initiatedEventId: number;
      signalName: string;
      input: Payload[];
      header?: Record<string, Payload>;
    }
  /** Answered by ExternalWorkflowExecutionCancelRequested or RequestCancelExternalWorkflowExecutionFailed. */
  | { kind: 'cancel'; namespace: string; workflowId: string; runId?: string; senderRunId: string; initiatedEventId: number; reason?: string }
  /** One way: a child's chain closed; the parent writes the matching ChildWorkflowExecution* event. */
  | { kind: 'childClosed'; namespace: string; workflowId: string; parent: ParentInfo; child: { workflowId: string; runId: string; workflowType: string }; close: ChildClose }
  /** One way: the parent closed; its child gets the parent close policy (a child already closed is left as it is). */
  | { kind: 'parentClosePolicy'; namespace: string; workflowId: string; senderRunId: string; initiatedEventId: number; policy: 'TERMINATE' | 'REQUEST_CANCEL' };

/** What the receiver answered, as the sender records it. */
export type CallResult = { ok: true; runId?: string } | { ok: false; cause: 'WORKFLOW_ALREADY_EXISTS' | 'EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND' };
