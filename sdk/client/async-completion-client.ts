// Owns `client.activity` (Temporal's `AsyncCompletionClient`): completing, failing, cancelling and
// heartbeating an activity from outside the worker that ran it — the other half of an activity
// that threw `CompleteAsyncError` — by its task token or by workflow id + activity id.
import type { EndpointName } from '../../protocol/index.js';
import { decodeUtf8, encodeErrorToFailure, encodeToPayload, encodeToPayloads, markErrorClass, type LoadedDataConverter } from '../common/index.js';
import type { ConnectionLike } from './connection.js';
import { KeelServiceError } from './errors.js';

/** An activity by its ids; without `runId`, the workflow's latest run. */
export interface FullActivityId {
  workflowId: string;
  runId?: string;
  activityId: string;
}

/** The activity is not pending: unknown ids, already completed, timed out or retried (a stale task token), or its run closed. */
export class ActivityNotFoundError extends Error {
  static {
    markErrorClass(this, 'ActivityNotFoundError');
  }
}

/** The service refused the completion for another reason; `cause` is its error. */
export class ActivityCompletionError extends Error {
  static {
    markErrorClass(this, 'ActivityCompletionError');
  }
}

/** Thrown by {@link AsyncCompletionClient.heartbeat} when the activity's cancellation was requested: stop, and `reportCancellation`. */
export class ActivityCancelledError extends Error {
  static {
    markErrorClass(this, 'ActivityCancelledError');
  }
}

/** What the client shares with its sub-clients. */
export interface AsyncCompletionClientOptions {
  connection: ConnectionLike;
  namespace: string;
  dataConverter: LoadedDataConverter;
  identity: string;
}

type Target = Uint8Array | FullActivityId;
type ActKind = 'complete' | 'fail' | 'cancel' | 'heartbeat';
const BY_TOKEN = { complete: 'completeActivityTask', fail: 'failActivityTask', cancel: 'cancelActivityTask', heartbeat: 'heartbeatActivityTask' } as const satisfies Record<ActKind, EndpointName>;
const BY_ID = { complete: 'completeActivityById', fail: 'failActivityById', cancel: 'cancelActivityById', heartbeat: 'heartbeatActivityById' } as const satisfies Record<ActKind, EndpointName>;

/**
 * Completes activities asynchronously, as Temporal's `AsyncCompletionClient`. The activity throws
 * `CompleteAsyncError` after handing its task token (`Context.current().info.taskToken`) or its ids
 * to whatever will finish the work; that then calls one of these. The activity's timeouts still run
 * meanwhile: heartbeat if it has a heartbeat timeout.
 *
 * @example
 * // in the activity
 * await queue.send({ token: Context.current().info.taskToken });
 * throw new CompleteAsyncError();
 * // later, anywhere
 * await client.activity.complete(token, 'done');
 */
export class AsyncCompletionClient {
  constructor(private readonly options: AsyncCompletionClientOptions) {}

  /** Completes the activity with `result`. */
  public async complete(taskTokenOrFullActivityId: Target, result?: unknown): Promise<void> {
    await this.act('complete', taskTokenOrFullActivityId, { result: await encodeToPayload(this.options.dataConverter, result) });
  }

  /** Fails the activity's current attempt with `err`; the activity's retry policy decides whether it is retried. */
  public async fail(taskTokenOrFullActivityId: Target, err: unknown): Promise<void> {
    await this.act('fail', taskTokenOrFullActivityId, { failure: await encodeErrorToFailure(this.options.dataConverter, err) });
  }

  /** Reports that the activity stopped because its cancellation was requested. */
  public async reportCancellation(taskTokenOrFullActivityId: Target, details?: unknown): Promise<void> {
    const payloads = details === undefined ? [] : await encodeToPayloads(this.options.dataConverter, details);
    await this.act('cancel', taskTokenOrFullActivityId, payloads.length ? { details: payloads } : {});
  }

  /**
   * Records a heartbeat with `details` (an attempt after a failure gets them).
   * @throws {ActivityCancelledError} when cancellation of the activity was requested.
   */
  public async heartbeat(taskTokenOrFullActivityId: Target, details?: unknown): Promise<void> {
    const payloads = details === undefined ? [] : await encodeToPayloads(this.options.dataConverter, details);
    const answer = (await this.act('heartbeat', taskTokenOrFullActivityId, payloads.length ? { details: payloads } : {})) as { cancelRequested: boolean };
    if (answer.cancelRequested) throw new ActivityCancelledError('cancelled');
  }

  private async act(kind: ActKind, target: Target, body: Record<string, unknown>): Promise<unknown> {
    const { connection, namespace, identity } = this.options;
    try {
      if (target instanceof Uint8Array) {
        return await connection.call(BY_TOKEN[kind], { taskToken: decodeUtf8(target), identity, ...body } as never, { namespace });
      }
      const { workflowId, runId, activityId } = target;
      return await connection.call(BY_ID[kind], { ...(runId ? { runId } : {}), identity, ...body } as never, { namespace, params: { workflowId, activityId } });
    } catch (err) {
      if (!(err instanceof KeelServiceError)) throw err;
      if (err.code === 'TASK_NOT_FOUND' || err.code === 'WORKFLOW_NOT_FOUND') throw new ActivityNotFoundError(err.message, { cause: err });
      throw new ActivityCompletionError(err.message, { cause: err });
    }
  }
}
