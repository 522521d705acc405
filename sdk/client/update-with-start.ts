// Owns `WithStartWorkflowOperation`, Temporal's description of the start half of update-with-start:
// the workflow to start (or whose running run to use, per its required conflict policy), and the
// handle to it once `executeUpdateWithStart` / `startUpdateWithStart` has run.
import { IllegalStateError, type WorkflowIdConflictPolicy } from '../common/index.js';
import type { Workflow } from './types.js';
import type { WorkflowHandle } from './workflow-handle.js';
import type { WorkflowStartOptions } from './workflow-options.js';

/** Start options of update-with-start: `workflowIdConflictPolicy` is required, as in Temporal. */
export type WithStartWorkflowOperationOptions<T extends Workflow> = WorkflowStartOptions<T> & { workflowIdConflictPolicy: WorkflowIdConflictPolicy };

/**
 * The workflow that `executeUpdateWithStart` / `startUpdateWithStart` starts, or whose running run
 * it updates. Use each instance once.
 *
 * @example
 * const startWorkflowOperation = new WithStartWorkflowOperation(cart, {
 *   workflowId: 'cart-7', taskQueue: 'shop', args: ['user-7'], workflowIdConflictPolicy: 'USE_EXISTING',
 * });
 * const total = await client.workflow.executeUpdateWithStart(addItem, { args: ['book'], startWorkflowOperation });
 * const handle = await startWorkflowOperation.workflowHandle();
 */
export class WithStartWorkflowOperation<T extends Workflow> {
  private used = false;
  private settle!: { resolve(h: WorkflowHandle<T>): void; reject(err: unknown): void };
  private readonly handle: Promise<WorkflowHandle<T>>;

  constructor(
    readonly workflowTypeOrFunc: string | T,
    readonly options: WithStartWorkflowOperationOptions<T>,
  ) {
    this.handle = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // Callers who never ask for the handle must not see an unhandled rejection.
    this.handle.catch(() => undefined);
  }

  /** The handle of the run the operation started or used; rejects if the start failed. */
  workflowHandle(): Promise<WorkflowHandle<T>> {
    return this.handle;
  }

  /** Marks the operation used (it may run once) and gives the client what settles its handle. @internal */
  static claim<T extends Workflow>(op: WithStartWorkflowOperation<T>): { resolve(h: WorkflowHandle<T>): void; reject(err: unknown): void } {
    if (op.used) throw new IllegalStateError('This WithStartWorkflowOperation instance has already been executed.');
    op.used = true;
    return op.settle;
  }
}
