// Owns how `keel workflow show` presents a history to people: one line per event with the
// attributes that matter, payloads decoded, failures by their message, durations readable.
import type { Failure, HistoryEvent, Payload } from '../protocol/index.js';
import { formatJsonLine, truncate } from './output.js';
import { payloadValue, payloadValues } from './values.js';

/** Attributes that are noise in a one-line summary (ids of bookkeeping events, headers, policies). */
const HIDDEN = new Set(['header', 'retryPolicy', 'workflowTaskCompletedEventId', 'requestId', 'originalExecutionRunId', 'firstExecutionRunId', 'searchAttributes', 'memo']);
/** Attributes that hold one payload, or a list of them. */
const PAYLOAD = new Set(['result']);
const PAYLOADS = new Set(['input', 'details', 'heartbeatDetails']);
/** Attributes that hold a failure, shown by its message chain. */
const FAILURES = new Set(['failure', 'lastFailure']);

/** One event's attributes as `key=value` pairs, for the DETAILS column. */
export function summarizeEvent(event: HistoryEvent, maxLength = 160): string {
  const parts: string[] = [];
  for (const [key, raw] of Object.entries(updateAttributes(event) ?? (event.attributes as Record<string, unknown>))) {
    if (raw === undefined || (HIDDEN.has(key) && !(key === 'searchAttributes' && event.eventType === 'UpsertWorkflowSearchAttributes'))) continue;
    let name = key;
    let value: string;
    if (PAYLOAD.has(key)) {
      const decoded = payloadValue(raw as Payload);
      if (decoded === undefined) continue; // a void result says nothing
      value = formatJsonLine(decoded);
    }
    else if (key === 'upsertedMemo') value = formatJsonLine(Object.fromEntries(Object.entries(raw as Record<string, Payload | null>).map(([k, p]) => [k, p === null ? null : payloadValue(p)])));
    else if (PAYLOADS.has(key)) value = formatJsonLine(payloadValues(raw as Payload[]));
    else if (FAILURES.has(key)) value = JSON.stringify(failureMessage(raw as Failure));
    // Child and external-call events name a type as { name } and a run as { workflowId, runId }.
    else if (key === 'workflowType' && typeof raw === 'object' && raw !== null) value = String((raw as { name?: unknown }).name);
    else if (key === 'workflowExecution' && typeof raw === 'object' && raw !== null) {
      const { workflowId, runId } = raw as { workflowId?: string; runId?: string };
      value = runId ? `${workflowId}/${runId}` : String(workflowId);
    }
    else if (key.endsWith('Ms') && typeof raw === 'number') {
      name = key.slice(0, -2);
      value = formatDurationMs(raw);
    } else value = typeof raw === 'string' ? raw : formatJsonLine(raw);
    parts.push(`${name}=${value}`);
  }
  return truncate(parts.join(' '), maxLength);
}

/** Update events' nested attributes, flattened to what a reader wants: the update id, name, input and outcome. */
function updateAttributes(event: HistoryEvent): Record<string, unknown> | undefined {
  if (event.eventType === 'WorkflowExecutionUpdateAccepted') {
    const { meta, input } = event.attributes.acceptedRequest;
    return { updateId: meta.updateId, name: input.name, input: input.args, identity: meta.identity };
  }
  if (event.eventType === 'WorkflowExecutionUpdateCompleted') {
    const { meta, acceptedEventId, outcome } = event.attributes;
    return { updateId: meta.updateId, acceptedEventId, ...('failure' in outcome ? { failure: outcome.failure } : { result: outcome.success }) };
  }
  return undefined;
}

/** A failure's message followed by its causes': `activity failed: card declined`. */
export function failureMessage(failure: Failure | undefined): string {
  const messages: string[] = [];
  for (let f = failure, depth = 0; f && depth < 10; f = f.cause, depth++) if (f.message) messages.push(f.message);
  return messages.join(': ');
}

/** Milliseconds as the largest units that fit: `1500` → `1.5s`, `5400000` → `1h30m`. */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const units: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  let rest = ms;
  let out = '';
  for (const [unit, size] of units) {
    if (rest >= size) {
      const n = unit === 's' ? rest / size : Math.floor(rest / size);
      out += `${Number.isInteger(n) ? n : n.toFixed(3).replace(/0+$/, '')}${unit}`;
      rest -= Math.floor(n) * size;
      if (unit === 's') rest = 0;
    }
  }
  return out || `${ms}ms`;
}
