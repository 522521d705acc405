// Owns continue-as-new in the workflow (Temporal's): `continueAsNew`, `makeContinueAsNewFunc`, the
// `ContinueAsNew` error that carries the command up to the runtime, and the options.
import { composeInterceptors } from '../common/interceptors.js';
import type { CommandOf } from '../../protocol/commands.js';
import { mapToPayloads, msOptionalToNumber, toPayloads, type Duration } from '../common/index.js';
import { typedSearchAttributesToWire, type SearchAttributePair, type TypedSearchAttributes } from '../common/search-attributes.js';
import { markErrorClass } from '../common/error-class.js';
import { assertInWorkflowContext } from './global-state.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyWorkflow = (...args: any[]) => Promise<unknown>;

/** Options of {@link makeContinueAsNewFunc}; what is left out is the current run's. */
export interface ContinueAsNewOptions {
  /** @default the current run's workflow type */
  workflowType?: string;
  /** @default the current run's task queue */
  taskQueue?: string;
  /** @default the current run's */
  workflowRunTimeout?: Duration;
  /** @default the current run's */
  workflowTaskTimeout?: Duration;
  /** Replaces the memo. @default the current run's */
  memo?: Record<string, unknown>;
  /** Replaces the search attributes. @default the current run's */
  searchAttributes?: Record<string, unknown>;
  /** Replaces the search attributes, typed (merged over {@link searchAttributes} when both are given). @default the current run's */
  typedSearchAttributes?: SearchAttributePair[] | TypedSearchAttributes;
}

/**
 * Thrown (as a rejection) by `continueAsNew` and the functions `makeContinueAsNewFunc` makes; when
 * it leaves the workflow function, the run closes and a new run starts with `command`. Do not catch
 * it, or rethrow it if you do.
 */
export class ContinueAsNew extends Error {
  static {
    markErrorClass(this, 'ContinueAsNew');
  }
  constructor(public readonly command: CommandOf<'ContinueAsNewWorkflowExecution'>) {
    super('Workflow continued as new');
    this.name = 'ContinueAsNew';
  }
}

/**
 * A function that continues the workflow as new with its arguments (the new run gets them as the
 * workflow's arguments) and `options`.
 *
 * @example
 * const next = makeContinueAsNewFunc<typeof counter>({ taskQueue: 'other' });
 * if (workflowInfo().continueAsNewSuggested) await next(state);
 */
export function makeContinueAsNewFunc<F extends AnyWorkflow>(options: ContinueAsNewOptions = {}): (...args: Parameters<F>) => Promise<never> {
  const activator = assertInWorkflowContext('makeContinueAsNewFunc()');
  const next = composeInterceptors(activator.interceptors.outbound, 'continueAsNew', async ({ args, headers, options }) => {
    const converter = activator.payloadConverter;
    const runTimeout = msOptionalToNumber(options.workflowRunTimeout);
    const taskTimeout = msOptionalToNumber(options.workflowTaskTimeout);
    const command: CommandOf<'ContinueAsNewWorkflowExecution'> = {
      type: 'ContinueAsNewWorkflowExecution',
      input: toPayloads(converter, ...(args as unknown[])),
      ...(options.workflowType !== undefined ? { workflowType: options.workflowType } : {}),
      ...(options.taskQueue !== undefined ? { taskQueue: options.taskQueue } : {}),
      ...(runTimeout !== undefined ? { workflowRunTimeoutMs: Math.ceil(runTimeout) } : {}),
      ...(taskTimeout !== undefined ? { workflowTaskTimeoutMs: Math.ceil(taskTimeout) } : {}),
      ...(options.memo !== undefined ? { memo: mapToPayloads(converter, options.memo) } : {}),
      ...(options.searchAttributes !== undefined ? { searchAttributes: options.searchAttributes } : {}),
      ...(options.typedSearchAttributes !== undefined
        ? { searchAttributes: { ...(options.searchAttributes ?? {}), ...typedSearchAttributesToWire(options.typedSearchAttributes) } }
        : {}),
      ...(Object.keys(headers).length > 0 ? { header: headers } : {}),
    };
    throw new ContinueAsNew(command);
  });
  return async (...args: Parameters<F>): Promise<never> => {
    activator.assertNotInQuery('continueAsNew()');
    return next({ args: args as unknown[], headers: {}, options });
  };
}

/**
 * Continues the workflow as a new run of the same type, on the same task queue, with `args`:
 * a fresh history, the same workflow id. Never resolves; the run ends here.
 *
 * @example
 * export async function counter(total: number): Promise<number> {
 *   total += await step();
 *   if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof counter>(total);
 *   ...
 * }
 */
export function continueAsNew<F extends AnyWorkflow>(...args: Parameters<F>): Promise<never> {
  return makeContinueAsNewFunc<F>()(...args);
}
