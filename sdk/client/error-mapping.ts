// Owns turning the service's error codes into the error classes Temporal's client throws, decided
// by `code` alone, never by the message.
import { NamespaceNotFoundError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '../common/index.js';
import { KeelServiceError, QueryFailedError } from './errors.js';
import { QueryNotRegisteredError, QueryRejectedError, WorkflowUpdateRPCTimeoutOrCancelledError } from './handler-errors.js';
import type { WorkflowExecutionStatus } from '../../protocol/index.js';

/** What the call was about, for the fields of the rebuilt error. */
export interface ErrorContext {
  workflowId: string;
  runId?: string;
  workflowType?: string;
}

/**
 * The error a failed call should surface as:
 * - `WORKFLOW_NOT_FOUND`, `WORKFLOW_NOT_RUNNING` → `WorkflowNotFoundError` (Temporal reports a
 *   closed run the same way: it is not found among running ones);
 * - `WORKFLOW_ALREADY_STARTED` → `WorkflowExecutionAlreadyStartedError`;
 * - `NAMESPACE_NOT_FOUND` → `NamespaceNotFoundError`;
 * - `QUERY_FAILED` → `QueryFailedError`; `QUERY_NOT_REGISTERED` → `QueryNotRegisteredError`;
 *   `QUERY_REJECTED` → `QueryRejectedError`; `UPDATE_TIMEOUT` → `WorkflowUpdateRPCTimeoutOrCancelledError`;
 * - anything else unchanged (a `KeelServiceError`, a `ServiceError`, an abort reason).
 */
export function toClientError(err: unknown, context: ErrorContext): unknown {
  if (!(err instanceof KeelServiceError)) return err;
  switch (err.code) {
    case 'WORKFLOW_NOT_FOUND':
    case 'WORKFLOW_NOT_RUNNING':
      // The service's error as the cause: its details (a provisional run's `shardMemory`) stay readable.
      return Object.assign(new WorkflowNotFoundError(err.message, context.workflowId, context.runId), { cause: err });
    case 'WORKFLOW_ALREADY_STARTED':
      return new WorkflowExecutionAlreadyStartedError(err.message, context.workflowId, context.workflowType ?? '');
    case 'NAMESPACE_NOT_FOUND':
      return new NamespaceNotFoundError(String(err.details?.namespace ?? ''));
    case 'QUERY_FAILED':
      return new QueryFailedError(err.message, err);
    case 'QUERY_NOT_REGISTERED':
      return new QueryNotRegisteredError(err.message, err);
    case 'QUERY_REJECTED':
      return new QueryRejectedError(String(err.details?.status ?? 'UNSPECIFIED') as WorkflowExecutionStatus);
    case 'UPDATE_TIMEOUT':
      return new WorkflowUpdateRPCTimeoutOrCancelledError(err.message, { cause: err });
    default:
      return err;
  }
}

/** Runs `call`, rethrowing its failure as {@link toClientError} maps it. */
export async function mapServiceErrors<T>(context: ErrorContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toClientError(err, context);
  }
}
