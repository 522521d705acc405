// Owns calls from a workflow to other workflows by id: `getExternalWorkflowHandle` with its
// `signal` and `cancel`, the SignalExternalWorkflowExecution and RequestCancelExternalWorkflowExecution
// commands, and their answers.
import { composeInterceptors } from '../common/interceptors.js';
import type { SignalWorkflowInput } from './interceptors.js';
import type { CommandOf } from '../../protocol/commands.js';
import type { Failure } from '../../protocol/payload.js';
import { toPayloads } from '../common/index.js';
import type { SignalDefinition } from '../common/definitions.js';
import type { Activator } from './activator.js';
import { CancellationScope } from './cancellation-scope.js';
import { assertInWorkflowContext } from './global-state.js';

/** A signal or cancellation request the workflow waits to hear the answer of, by sequence number. */
export interface PendingExternalCall {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Another workflow, by id (Temporal's `ExternalWorkflowHandle`). */
export interface ExternalWorkflowHandle {
  readonly workflowId: string;
  readonly runId?: string;
  /** Requests cancellation of the workflow; rejects when it does not exist or has closed. */
  cancel(): Promise<void>;
  /** Signals the workflow; rejects when it does not exist or has closed. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  signal<Args extends any[] = [], Name extends string = string>(def: SignalDefinition<Args, Name> | string, ...args: Args): Promise<void>;
}

/**
 * A handle to another workflow, to signal it or request its cancellation. Making the handle sends
 * nothing.
 *
 * @example
 * await getExternalWorkflowHandle('order-42').signal(approve, true);
 */
export function getExternalWorkflowHandle(workflowId: string, runId?: string): ExternalWorkflowHandle {
  assertInWorkflowContext('getExternalWorkflowHandle()');
  const target = { workflowId, ...(runId ? { runId } : {}) };
  return {
    workflowId,
    ...(runId ? { runId } : {}),
    cancel: () => requestCancelExternal(target, false),
    signal: (def, ...args) => signalExternal(target, typeof def === 'string' ? def : def.name, args, false),
  };
}

function externalCall(
  activator: Activator,
  pendings: Map<number, PendingExternalCall>,
  seq: number,
  command: CommandOf<'SignalExternalWorkflowExecution'> | CommandOf<'RequestCancelExternalWorkflowExecution'>,
  scope: CancellationScope | undefined,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (!scope) {
      activator.pushCommand(command);
      pendings.set(seq, { resolve, reject });
      return;
    }
    if (scope.consideredCancelled) {
      scope.cancelRequested.catch(reject);
      return;
    }
    if (scope.cancellable) {
      // As Temporal's: a call not sent yet is withdrawn; one sent stays sent, and only the promise rejects.
      scope.cancelRequested.catch((err: unknown) => {
        if (!pendings.has(seq)) return;
        pendings.delete(seq);
        activator.withdrawCommand(command);
        reject(err);
      });
    }
    activator.pushCommand(command);
    pendings.set(seq, { resolve, reject });
  });
}

/** Sends SignalExternalWorkflowExecution; resolves once the signal was delivered. */
export function signalExternal(target: { workflowId: string; runId?: string }, signalName: string, args: unknown[], childWorkflowOnly: boolean): Promise<void> {
  const activator = assertInWorkflowContext('Signalling a workflow');
  activator.assertNotInQuery('Signalling a workflow');
  const seq = activator.nextSeqs.signalExternal++;
  // The caller's scope, taken now: an interceptor's own awaits must not change which scope cancels the call.
  const scope = CancellationScope.current();
  const signal = composeInterceptors(activator.interceptors.outbound, 'signalWorkflow', (input) =>
    externalCall(activator, activator.externalSignals, input.seq, {
      type: 'SignalExternalWorkflowExecution',
      execution: input.target.type === 'child' ? { workflowId: input.target.childWorkflowId } : { ...input.target.workflowExecution },
      signalName: input.signalName,
      input: toPayloads(activator.payloadConverter, ...input.args),
      ...(childWorkflowOnly ? { childWorkflowOnly } : {}),
      ...(Object.keys(input.headers).length > 0 ? { header: input.headers } : {}),
      control: String(input.seq),
    }, scope),
  );
  const to: SignalWorkflowInput['target'] = childWorkflowOnly ? { type: 'child', childWorkflowId: target.workflowId } : { type: 'external', workflowExecution: { ...target } };
  return signal({ seq, signalName, args, headers: {}, target: to });
}

/**
 * Sends RequestCancelExternalWorkflowExecution; resolves once the request reached the workflow.
 * `inScope` false: the request is part of cancelling a child, so the (cancelled) current scope must not stop it.
 */
export function requestCancelExternal(target: { workflowId: string; runId?: string }, childWorkflowOnly: boolean, inScope = true): Promise<void> {
  const activator = assertInWorkflowContext('Cancelling a workflow');
  activator.assertNotInQuery('Cancelling a workflow');
  const seq = activator.nextSeqs.cancelExternal++;
  return externalCall(activator, activator.externalCancels, seq, {
    type: 'RequestCancelExternalWorkflowExecution',
    workflowId: target.workflowId,
    ...(target.runId ? { runId: target.runId } : {}),
    ...(childWorkflowOnly ? { childWorkflowOnly } : {}),
    control: String(seq),
  }, inScope ? CancellationScope.current() : undefined);
}

/** Settles a signal or cancellation request (the resolveSignalExternalWorkflow / resolveRequestCancelExternalWorkflow jobs). */
export function resolveExternalCall(activator: Activator, pendings: Map<number, PendingExternalCall>, seq: number, failure: Failure | undefined): void {
  const pending = pendings.get(seq);
  if (!pending) return;
  pendings.delete(seq);
  if (failure) pending.reject(activator.failureConverter.failureToError(failure, activator.payloadConverter));
  else pending.resolve();
}
