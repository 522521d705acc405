/** A delivered call's answer, recorded on the calling run: a child's start, an external signal's or cancel's outcome. */
import { recordChildStartResult } from './child-workflows.js';
import { recordExternalResult } from './external-calls.js';
import type { Txn } from './transaction.js';
import type { CallResult, WorkflowCall } from './workflow-call.js';

export function recordCallResult(tx: Txn, call: WorkflowCall, result: CallResult): void {
  if (call.kind === 'startChild') recordChildStartResult(tx, call, result);
  else if (call.kind === 'signal' || call.kind === 'cancel') recordExternalResult(tx, call, result);
}
