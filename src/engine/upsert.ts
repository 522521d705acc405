/**
 * The workflow's upserts of its own search attributes and memo (Temporal's
 * UpsertWorkflowSearchAttributes and ModifyWorkflowProperties commands): merged into the run's
 * state, recorded as an event, and written to the run's visibility summary in the same
 * transaction, so list filters and describe see them together with the event.
 */
import type { CommandOf, Payload } from '../../protocol/index.js';
import { checkSearchAttributes } from '../visibility/search-attributes.js';
import { ServiceError } from '../service-error.js';
import type { RunState } from './run-state.js';
import type { Txn } from './transaction.js';

/** Whether an upserted value removes the attribute: `null`, `[]`, or `{ type, value }` with either. */
function removes(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object' && 'type' in value && Object.keys(value).every((k) => k === 'type' || k === 'value')) return removes((value as { value?: unknown }).value);
  return false;
}

/** The run's attributes after `upserted`; undefined when none are left. */
export function mergeSearchAttributes(current: Record<string, unknown> | undefined, upserted: Record<string, unknown>): Record<string, unknown> | undefined {
  const merged: Record<string, unknown> = { ...(current ?? {}) };
  for (const [name, value] of Object.entries(upserted)) {
    if (removes(value)) delete merged[name];
    else merged[name] = value;
  }
  return Object.keys(merged).length > 0 ? merged : undefined;
}

/**
 * Checks an upsert against the attributes it would be merged into (the run's, after the earlier
 * upserts of the same completion) and returns the merge, so that the whole completion is refused
 * before anything changes when one value cannot be indexed.
 * @throws {ServiceError} INVALID_ARGUMENT naming the command and the attribute.
 */
export function validateSearchAttributeUpsert(current: Record<string, unknown> | undefined, cmd: CommandOf<'UpsertWorkflowSearchAttributes'>, where: string, index: number): Record<string, unknown> | undefined {
  if (Object.keys(cmd.searchAttributes).length === 0) {
    throw new ServiceError('BAD_COMMAND', `${where}: searchAttributes is empty; upsert at least one attribute.`, { index });
  }
  // The merge is checked whole: a value is refused alone, and the limit on indexed values counts the run's total.
  const merged = mergeSearchAttributes(current, cmd.searchAttributes);
  try {
    checkSearchAttributes(merged);
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    throw new ServiceError(err.code, `${where}: ${err.message.replace(/^Invalid request: /, '')}`, { index, ...(err.details ?? {}) });
  }
  return merged;
}

export function validateMemoUpsert(cmd: CommandOf<'ModifyWorkflowProperties'>, where: string, index: number): void {
  if (Object.keys(cmd.upsertedMemo).length === 0) {
    throw new ServiceError('BAD_COMMAND', `${where}: upsertedMemo is empty; upsert at least one memo field.`, { index });
  }
}

export function upsertSearchAttributes(tx: Txn, run: RunState, cmd: CommandOf<'UpsertWorkflowSearchAttributes'>, completedEventId: number): void {
  tx.addEvent(run, 'UpsertWorkflowSearchAttributes', { searchAttributes: cmd.searchAttributes, workflowTaskCompletedEventId: completedEventId });
  const merged = mergeSearchAttributes(run.searchAttributes, cmd.searchAttributes);
  if (merged) run.searchAttributes = merged;
  else delete run.searchAttributes;
  tx.markVisibility(run);
}

export function modifyWorkflowProperties(tx: Txn, run: RunState, cmd: CommandOf<'ModifyWorkflowProperties'>, completedEventId: number): void {
  tx.addEvent(run, 'WorkflowPropertiesModified', { upsertedMemo: cmd.upsertedMemo, workflowTaskCompletedEventId: completedEventId });
  const memo: Record<string, Payload> = { ...(run.memo ?? {}) };
  for (const [name, payload] of Object.entries(cmd.upsertedMemo)) {
    if (payload === null) delete memo[name];
    else memo[name] = payload;
  }
  if (Object.keys(memo).length > 0) run.memo = memo;
  else delete run.memo;
  tx.markVisibility(run);
}
