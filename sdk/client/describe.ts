// Owns turning the service's describe answer into Temporal's `WorkflowExecutionDescription`:
// status names and codes, times as Dates, memo decoded.
import type { WorkflowExecutionStatus } from '../../protocol/index.js';
import { decodeMapFromPayloads, typedSearchAttributesFromWire, type LoadedDataConverter } from '../common/index.js';
import type { DescribeWorkflowExecutionResponse, WorkflowExecutionDescription, WorkflowExecutionStatusName } from './types.js';

/** Wire status → Temporal's status name and its numeric value in Temporal's proto enum. */
const STATUS: Record<WorkflowExecutionStatus, { code: number; name: WorkflowExecutionStatusName }> = {
  RUNNING: { code: 1, name: 'RUNNING' },
  COMPLETED: { code: 2, name: 'COMPLETED' },
  FAILED: { code: 3, name: 'FAILED' },
  // Temporal's TypeScript SDK spells it with two Ls; code written for it compares that spelling.
  CANCELED: { code: 4, name: 'CANCELLED' },
  TERMINATED: { code: 5, name: 'TERMINATED' },
  CONTINUED_AS_NEW: { code: 6, name: 'CONTINUED_AS_NEW' },
  TIMED_OUT: { code: 7, name: 'TIMED_OUT' },
};

/** Temporal's status name and numeric value of a wire status (UNKNOWN for one this SDK does not know). */
export function workflowStatus(status: WorkflowExecutionStatus): { code: number; name: WorkflowExecutionStatusName } {
  return STATUS[status] ?? { code: 0, name: 'UNKNOWN' };
}

/** Builds the description of a run from the service's answer, decoding the memo. */
export async function toWorkflowExecutionDescription(
  raw: DescribeWorkflowExecutionResponse,
  dataConverter: LoadedDataConverter,
): Promise<WorkflowExecutionDescription> {
  return {
    type: raw.workflowType,
    workflowId: raw.execution.workflowId,
    runId: raw.execution.runId,
    taskQueue: raw.taskQueue,
    // A status this SDK does not know yet (a newer service) is UNKNOWN, as in Temporal.
    status: STATUS[raw.status] ?? { code: 0, name: 'UNKNOWN' },
    historyLength: raw.historyLength,
    startTime: new Date(raw.startTime),
    executionTime: raw.executionTime ? new Date(raw.executionTime) : undefined,
    closeTime: raw.closeTime ? new Date(raw.closeTime) : undefined,
    memo: await decodeMapFromPayloads(dataConverter, raw.memo),
    searchAttributes: raw.searchAttributes ?? {},
    typedSearchAttributes: typedSearchAttributesFromWire(raw.searchAttributes),
    firstExecutionRunId: raw.firstRunId,
    ...(raw.parentExecution ? { parentExecution: { ...raw.parentExecution } } : {}),
    raw,
  };
}
