/**
 * A run's cost as describe answers it: the units stored in its row, plus — for the object's
 * current run — what the meter counted since that row was last written, and the bytes the
 * object's database keeps now, priced with protocol/prices.ts.
 */
import { NO_UNITS, addUnits, executionCost, type ExecutionCost } from '../../protocol/prices.js';
import type { WorkflowStore } from '../storage/workflow-store.js';
import type { UsageMeter } from './usage-meter.js';

export function runCost(store: WorkflowStore, meter: UsageMeter, runId: string, databaseBytes: number): ExecutionCost {
  let units = store.storedUsage(runId) ?? NO_UNITS;
  if (store.currentRunId() === runId) units = addUnits(units, meter.peek());
  return executionCost({ ...units, storedBytes: databaseBytes });
}
