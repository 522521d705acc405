// Owns turning the service's run summaries into Temporal's `WorkflowExecutionInfo` (list) and
// `WorkflowExecutionDescription` (describe): status names and codes, times as Dates, memo decoded.
import type { WorkflowExecutionStatus } from '../../protocol/index.js';
import { decodeMapFromPayloads, typedSearchAttributesFromWire, untypedSearchAttributesFromWire, type LoadedDataConverter } from '../common/index.js';
import type { DescribeWorkflowExecutionResponse, RawWorkflowExecutionInfo, WorkflowExecutionDescription, WorkflowExecutionInfo, WorkflowExecutionStatusName } from './types.js';

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

/** A list entry as Temporal's `WorkflowExecutionInfo`, memo decoded. */
export async function toWorkflowExecutionInfo(raw: RawWorkflowExecutionInfo, dataConverter: LoadedDataConverter): Promise<WorkflowExecutionInfo> {
  return {
    type: raw.workflowType,
    workflowId: raw.execution.workflowId,
    runId: raw.execution.runId,
    taskQueue: raw.taskQueue,
    status: workflowStatus(raw.status),
    historyLength: raw.historyLength,
    startTime: new Date(raw.startTime),
    executionTime: raw.executionTime ? new Date(raw.executionTime) : undefined,
    closeTime: raw.closeTime ? new Date(raw.closeTime) : undefined,
    memo: await decodeMapFromPayloads(dataConverter, raw.memo),
    searchAttributes: untypedSearchAttributesFromWire(raw.searchAttributes),
    typedSearchAttributes: typedSearchAttributesFromWire(raw.searchAttributes),
    firstExecutionRunId: raw.firstRunId,
    raw,
  };
}

/** Builds the description of a run from the service's answer: its summary as list has it, plus the parent. */
export async function toWorkflowExecutionDescription(
  raw: DescribeWorkflowExecutionResponse,
  dataConverter: LoadedDataConverter,
): Promise<WorkflowExecutionDescription> {
  return {
    ...(await toWorkflowExecutionInfo(raw, dataConverter)),
    ...(raw.parentExecution ? { parentExecution: { ...raw.parentExecution } } : {}),
    raw,
  };
}
