// Owns updates on the client side: sending one (`executeUpdate`, `startUpdate`), the
// `WorkflowUpdateHandle` that waits for its result, and turning the service's answer into the
// result or the `WorkflowUpdateFailedError` Temporal's client gives.
import type { ResponseOf } from '../../protocol/index.js';
import { composeInterceptors, decodeOptionalFailureToOptionalError, decodeOptionalSinglePayload, encodeToPayloads } from '../common/index.js';
import { mapServiceErrors } from './error-mapping.js';
import type { WorkflowClientInterceptor } from './interceptors.js';
import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from './handler-errors.js';
import type { WorkflowOperationsContext, WorkflowTarget } from './workflow-operations.js';
import { dropUndefined } from './workflow-options.js';

/** The stage an update call waits for (Temporal's `WorkflowUpdateStage`). */
export const WorkflowUpdateStage = {
  /** The validator passed and the update is in history; its handler may still be running. */
  ACCEPTED: 'ACCEPTED',
  /** The handler returned or threw (or the validator rejected the update). */
  COMPLETED: 'COMPLETED',
} as const;
export type WorkflowUpdateStage = (typeof WorkflowUpdateStage)[keyof typeof WorkflowUpdateStage];

/** Options of `executeUpdate`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface WorkflowUpdateOptions<Args extends any[] = any[]> {
  args?: Args;
  /** Makes a retry harmless: the same id gets the first update's outcome. @default a new UUID */
  updateId?: string;
}

/** Options of `startUpdate`: also the stage to wait for (only `ACCEPTED`, as in Temporal). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface WorkflowStartUpdateOptions<Args extends any[] = any[]> extends WorkflowUpdateOptions<Args> {
  waitForStage: typeof WorkflowUpdateStage.ACCEPTED;
}

/**
 * An accepted update, from `startUpdate` or `getUpdateHandle`: wait for its result.
 *
 * @example
 * const update = await handle.startUpdate(setPrice, { args: [42], waitForStage: WorkflowUpdateStage.ACCEPTED });
 * const previous = await update.result();
 */
export interface WorkflowUpdateHandle<Ret> {
  readonly updateId: string;
  readonly workflowId: string;
  readonly workflowRunId?: string;
  /**
   * Waits for the update to complete and returns its result.
   * @throws {WorkflowUpdateFailedError} when the handler failed or the validator rejected it.
   */
  result(): Promise<Ret>;
}

type UpdateAnswer = ResponseOf<'updateWorkflow'>;

/** The update calls of one namespace. */
export class WorkflowUpdates {
  constructor(private readonly context: WorkflowOperationsContext) {}

  /** Sends the update and waits until it reaches `stage` (re-polling as each long poll ends). */
  async send(target: WorkflowTarget & { firstExecutionRunId?: string }, name: string, options: WorkflowUpdateOptions, stage: WorkflowUpdateStage): Promise<UpdateAnswer> {
    const send = composeInterceptors<WorkflowClientInterceptor, 'startUpdate'>(this.context.interceptors ?? [], 'startUpdate', async (input) => {
      const { workflowExecution: wf, firstExecutionRunId } = input;
      const updateId = input.options.updateId ?? crypto.randomUUID();
      const args = await encodeToPayloads(this.context.dataConverter, ...input.args);
      const header = Object.keys(input.headers).length > 0 ? input.headers : undefined;
      const request = dropUndefined({ runId: wf.runId, firstExecutionRunId, updateId, name: input.updateName, args, header, waitForStage: input.options.waitForStage, identity: this.context.identity });
      const first = await this.call(wf, () => this.context.connection.call('updateWorkflow', request, { namespace: this.context.namespace, params: { workflowId: wf.workflowId } }));
      const answer = first.stage === 'COMPLETED' || input.options.waitForStage === 'ACCEPTED' ? first : await this.poll({ workflowId: wf.workflowId, runId: first.runId }, first.updateId, input.options.waitForStage);
      return { updateId: answer.updateId, workflowRunId: answer.runId, stage: answer.stage, ...(answer.outcome ? { outcome: answer.outcome } : {}) };
    });
    const out = await send(
      dropUndefined({
        updateName: name,
        args: (options.args ?? []) as unknown[],
        workflowExecution: { workflowId: target.workflowId, ...(target.runId ? { runId: target.runId } : {}) },
        firstExecutionRunId: target.firstExecutionRunId,
        headers: {},
        options: dropUndefined({ updateId: options.updateId, waitForStage: stage }),
      }),
    );
    return { updateId: out.updateId, runId: out.workflowRunId, stage: out.stage, ...(out.outcome ? { outcome: out.outcome } : {}) };
  }

  /** Waits (long polls, again and again) until the accepted update reaches `stage`. */
  async poll(target: WorkflowTarget, updateId: string, stage: WorkflowUpdateStage): Promise<UpdateAnswer> {
    for (;;) {
      const answer = await this.call(target, () =>
        this.context.connection.call('pollWorkflowUpdate', dropUndefined({ runId: target.runId, waitForStage: stage }), {
          namespace: this.context.namespace,
          params: { workflowId: target.workflowId, updateId },
        }),
      );
      if (answer.stage === 'COMPLETED' || stage === 'ACCEPTED') return answer;
    }
  }

  /** The update's result, or its failure as a WorkflowUpdateFailedError. */
  async outcome(answer: UpdateAnswer): Promise<unknown> {
    const outcome = answer.outcome ?? {};
    if ('failure' in outcome) {
      const cause = await decodeOptionalFailureToOptionalError(this.context.dataConverter, outcome.failure);
      throw new WorkflowUpdateFailedError('Workflow Update failed', cause);
    }
    return decodeOptionalSinglePayload(this.context.dataConverter, outcome.success);
  }

  /** A handle to the update `updateId` of the workflow; `result()` waits for it. */
  handle<Ret>(target: WorkflowTarget, updateId: string, known?: UpdateAnswer): WorkflowUpdateHandle<Ret> {
    return {
      updateId,
      workflowId: target.workflowId,
      workflowRunId: known?.runId ?? target.runId,
      result: async () => {
        const done = known?.stage === 'COMPLETED' ? known : await this.poll({ workflowId: target.workflowId, runId: known?.runId ?? target.runId }, updateId, 'COMPLETED');
        return (await this.outcome(done)) as Ret;
      },
    };
  }

  private async call<T>(target: WorkflowTarget, fn: () => Promise<T>): Promise<T> {
    try {
      return await mapServiceErrors({ workflowId: target.workflowId, ...(target.runId ? { runId: target.runId } : {}) }, fn);
    } catch (err) {
      // A deadline (withDeadline) or an abort (withAbortSignal) ended the call: Temporal's error for it.
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
        throw new WorkflowUpdateRPCTimeoutOrCancelledError(`The update call ended before the update reached the stage asked (${err.message}); it may still be accepted or complete: wait with getUpdateHandle(updateId).result()`, { cause: err });
      }
      throw err;
    }
  }
}
