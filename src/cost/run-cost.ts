/**
 * A run's units and cost as describe and its visibility summary carry them: the units stored in
 * its row, plus — for the object's current run — what the meter counted since that row was last
 * written, and the bytes the object's database keeps now, priced with protocol/prices.ts.
 */
import { NO_UNITS, addUnits, executionCost, type ExecutionCost, type ExecutionUnits } from '../../protocol/prices.js';
import type { WorkflowStore } from '../storage/workflow-store.js';
import type { UsageMeter } from './usage-meter.js';

export function runUnits(store: WorkflowStore, meter: UsageMeter, runId: string, databaseBytes: number): ExecutionUnits {
  let units = store.storedUsage(runId) ?? NO_UNITS;
  if (store.currentRunId() === runId) units = addUnits(units, meter.peek());
  return { ...units, storedBytes: databaseBytes };
}

export function runCost(store: WorkflowStore, meter: UsageMeter, runId: string, databaseBytes: number): ExecutionCost {
  return executionCost(runUnits(store, meter, runId, databaseBytes));
}
