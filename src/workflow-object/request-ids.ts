/**
 * Request ids: a change made with one is recorded with its answer (in the change's own
 * transaction), so that a retry of the same request gets the same answer and changes nothing,
 * and the id reused for a different request is refused.
 */
import { ServiceError } from '../service-error.js';
import type { WorkflowStore } from '../storage/workflow-store.js';

export interface RequestKey {
  requestId?: string;
  /** What the request was, so that reusing its id for another request is refused. */
  fingerprint: string;
}

/** A request's key: its id, and its fingerprint — the endpoint and everything else it carries. */
export function requestKey(endpoint: string, req: { requestId?: string }): RequestKey {
  const { requestId, ...rest } = req;
  return { ...(requestId ? { requestId } : {}), fingerprint: `${endpoint}:${JSON.stringify(rest)}` };
}

/**
 * The answer recorded for this request's id, when it was made before.
 * @throws {ServiceError} REQUEST_ID_CONFLICT when the id was used for a different request.
 */
export function priorAnswer<T>(store: WorkflowStore, request: RequestKey | undefined): { answer: T } | undefined {
  if (!request?.requestId) return undefined;
  const prior = store.priorRequest(request.requestId, request.fingerprint);
  if (!prior) return undefined;
  if (!prior.sameRequest) {
    throw new ServiceError('REQUEST_ID_CONFLICT', `Request id '${request.requestId}' was already used for a different request; use a new id for a new request.`);
  }
  return { answer: JSON.parse(prior.response) as T };
}
