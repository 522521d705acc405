// Owns the workflow's upserts of its own search attributes and memo (Temporal's
// `upsertSearchAttributes` and `upsertMemo`): each is a command that the service records as an
// event, and takes effect in `workflowInfo()` at once. Replay runs the same calls again, so the
// values workflowInfo shows are rebuilt from the code, not read back from the events.
import type { Payload } from '../../protocol/payload.js';
import { typedSearchAttributesToWire, type SearchAttributeUpdatePair } from '../common/index.js';
import type { Activator } from './activator.js';
import { assertInWorkflowContext } from './global-state.js';

/** The run's attributes and memo after its upserts, per run; a run without upserts has its start's. */
const upserted = new WeakMap<Activator, { searchAttributes?: Record<string, unknown>; memo?: Record<string, Payload> }>();

/** The run's search attributes as the service holds them (untyped values, or `{ type, value }`). */
export function currentSearchAttributes(activator: Activator): Record<string, unknown> {
  return { ...(upserted.get(activator)?.searchAttributes ?? activator.startInfo?.searchAttributes ?? {}) };
}

/** The run's memo as payloads, or undefined when it has none. */
export function currentMemo(activator: Activator): Record<string, Payload> | undefined {
  const state = upserted.get(activator);
  return state && 'memo' in state ? state.memo : activator.startInfo?.memo;
}

// The same rule as the service's: null, [] or { type, value } with either removes the attribute.
function removes(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object' && 'type' in value) return removes((value as { value?: unknown }).value);
  return false;
}

/**
 * Adds, changes or removes search attributes of this run: in list filters, `describe()` and
 * `workflowInfo()`. Takes Temporal's two forms:
 * - typed: `SearchAttributeUpdatePair`s of keys from `defineSearchAttributeKey`; `value: null` removes;
 * - untyped (deprecated in Temporal): a record of values, each typed as at start; `[]` removes.
 *
 * @example
 * const status = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
 * upsertSearchAttributes([{ key: status, value: 'shipped' }]);
 */
export function upsertSearchAttributes(searchAttributes: Record<string, unknown> | SearchAttributeUpdatePair[]): void {
  const activator = assertInWorkflowContext('upsertSearchAttributes()');
  activator.assertNotInQuery('upsertSearchAttributes()');
  const wire: Record<string, unknown> = Array.isArray(searchAttributes) ? typedSearchAttributesToWire(searchAttributes) : { ...searchAttributes };
  if (Object.keys(wire).length === 0) throw new TypeError('upsertSearchAttributes() needs at least one attribute');
  for (const [name, value] of Object.entries(wire)) if (value === undefined) wire[name] = null;
  activator.pushCommand({ type: 'UpsertWorkflowSearchAttributes', searchAttributes: wire });
  const merged = currentSearchAttributes(activator);
  for (const [name, value] of Object.entries(wire)) {
    if (removes(value)) delete merged[name];
    else merged[name] = value;
  }
  upserted.set(activator, { ...upserted.get(activator), searchAttributes: merged });
}

/**
 * Adds, changes or removes memo fields of this run (merged at the first level); a field set to
 * `undefined` or `null` is removed. Values go through the payload converter, as at start.
 *
 * @example
 * upsertMemo({ progress: '3 of 5 shipped' });
 */
export function upsertMemo(memo: Record<string, unknown>): void {
  const activator = assertInWorkflowContext('upsertMemo()');
  activator.assertNotInQuery('upsertMemo()');
  if (Object.keys(memo).length === 0) throw new TypeError('upsertMemo() needs at least one field');
  const upsertedMemo: Record<string, Payload | null> = {};
  for (const [name, value] of Object.entries(memo)) upsertedMemo[name] = value === undefined || value === null ? null : activator.payloadConverter.toPayload(value);
  activator.pushCommand({ type: 'ModifyWorkflowProperties', upsertedMemo });
  const merged: Record<string, Payload> = { ...(currentMemo(activator) ?? {}) };
  for (const [name, payload] of Object.entries(upsertedMemo)) {
    if (payload === null) delete merged[name];
    else merged[name] = payload;
  }
  upserted.set(activator, { ...upserted.get(activator), memo: Object.keys(merged).length > 0 ? merged : undefined });
}
