// Owns Temporal's history JSON form at the SDK's edge: `fetchHistory()` answers it, and replay
// reads it — a history Keel recorded or one exported from a Temporal cluster
// (`temporal workflow show --output json`). The wire and the worker keep Keel's own event shape
// (attribute names are Temporal's already; durations in ms, plain strings for types and queues),
// so this is a pure translation both ways: proto3 JSON's `EVENT_TYPE_…` names, `<type>EventAttributes`
// keys, int64 as strings, durations as "1.5s", `{ name }` types, `{ name, kind }` task queues,
// `{ payloads }` / `{ fields }` / `{ indexedFields }` wrappers, and enum values with their prefixes.
import type { EventType, HistoryEvent, Payload } from '../../protocol/index.js';
import { ValueError, defaultPayloadConverter } from '../common/index.js';

/** One history event in Temporal's JSON form (proto3 JSON of `temporal.api.history.v1.HistoryEvent`). */
export interface TemporalHistoryEvent {
  eventId: string;
  eventTime: string;
  eventType: string;
  [attributes: string]: unknown;
}

/** A history in Temporal's JSON form: what `fetchHistory()` answers and `temporal workflow show --output json` prints. */
export interface TemporalHistory {
  events: TemporalHistoryEvent[];
}

/** Duration fields: Keel's `<name>Ms` in ms ⇄ Temporal's `<name>` as "<seconds>s". */
const DURATIONS = new Set([
  'workflowExecutionTimeout', 'workflowRunTimeout', 'workflowTaskTimeout', 'startToCloseTimeout', 'scheduleToCloseTimeout',
  'scheduleToStartTimeout', 'heartbeatTimeout', 'startToFireTimeout', 'firstWorkflowTaskBackoff', 'backoffStartInterval',
  'initialInterval', 'maximumInterval', 'nextRetryDelay',
]);
/** Enum fields and the prefix Temporal's JSON gives their values. */
const ENUM_PREFIXES: Record<string, string> = {
  retryState: 'RETRY_STATE_',
  timeoutType: 'TIMEOUT_TYPE_',
  parentClosePolicy: 'PARENT_CLOSE_POLICY_',
  workflowIdReusePolicy: 'WORKFLOW_ID_REUSE_POLICY_',
  initiator: 'CONTINUE_AS_NEW_INITIATOR_',
};
/** `cause` is an enum whose prefix depends on the event. */
const CAUSE_PREFIXES: Partial<Record<EventType, string>> = {
  WorkflowTaskFailed: 'WORKFLOW_TASK_FAILED_CAUSE_',
  StartChildWorkflowExecutionFailed: 'START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_',
  SignalExternalWorkflowExecutionFailed: 'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_',
  RequestCancelExternalWorkflowExecutionFailed: 'CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_',
};
/** Payload lists (`{ payloads }` in Temporal's form). */
const PAYLOAD_LISTS = new Set(['input', 'details', 'lastCompletionResult', 'lastHeartbeatDetails', 'args']);
/** Single payloads that Temporal's form holds as a one-element `{ payloads }`. */
const SINGLE_PAYLOADS = new Set(['result', 'success']);
/** Payload maps (`{ fields }`). */
const PAYLOAD_MAPS = new Set(['memo', 'header', 'upsertedMemo']);
/** Keel's own attributes, which Temporal's protobuf has no field for (its JSON parsers refuse unknown fields): left out of Temporal's form. */
const KEEL_ONLY: Partial<Record<EventType, ReadonlySet<string>>> = {
  // When the timer counts from, if not from its TimerStarted (src/engine/timer-anchor.ts); replay does not read it.
  TimerStarted: new Set(['anchorTime']),
};
/** Events whose `workflowType` Keel already holds as `{ name }` (the child workflow events). */
const NAMED_TYPE_EVENTS = new Set<string>([
  'StartChildWorkflowExecutionInitiated', 'StartChildWorkflowExecutionFailed', 'ChildWorkflowExecutionStarted', 'ChildWorkflowExecutionCompleted',
  'ChildWorkflowExecutionFailed', 'ChildWorkflowExecutionCanceled', 'ChildWorkflowExecutionTimedOut', 'ChildWorkflowExecutionTerminated',
]);

// Temporal's int64 fields that Keel's events carry (as JSON strings in Temporal's form).
const isInt64Key = (key: string) => key === 'eventId' || key.endsWith('EventId') || key === 'historySizeBytes';
const screaming = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
const attributesKey = (type: string) => `${type[0]!.toLowerCase()}${type.slice(1)}EventAttributes`;
const isPayload = (v: unknown): v is Payload =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'data' in v && 'metadata' in v && Object.keys(v).length === 2;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** ms as Temporal's JSON duration ("10s", "0.250s"). */
export function msToDurationString(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const rest = ms % 1000;
  return rest === 0 ? `${seconds}s` : `${seconds}.${String(rest).padStart(3, '0').replace(/0+$/, '')}s`;
}

/** Temporal's JSON duration ("10s", "1.5s", "0.000250s") as ms. */
export function durationStringToMs(text: string): number {
  const match = /^(-?\d+)(?:\.(\d{1,9}))?s$/.exec(text);
  if (!match) throw new ValueError(`Not a duration in Temporal's JSON form ("<seconds>s"): ${JSON.stringify(text)}`);
  const fraction = (match[2] ?? '').padEnd(9, '0');
  return Number(match[1]) * 1000 + Math.round(Number(fraction) / 1e6);
}

// ---- Keel → Temporal ------------------------------------------------------------------

/** A Keel history (as the service answers it) in Temporal's JSON form. */
export function toTemporalHistory(events: readonly HistoryEvent[]): TemporalHistory {
  return { events: events.map(toTemporalEvent) };
}

function toTemporalEvent(event: HistoryEvent): TemporalHistoryEvent {
  const type = event.eventType;
  return {
    eventId: String(event.eventId),
    eventTime: event.eventTime,
    eventType: `EVENT_TYPE_${screaming(type)}`,
    [attributesKey(type)]: toTemporalObject(event.attributes as Record<string, unknown>, type, true),
  };
}

function toTemporalObject(o: Record<string, unknown>, type: EventType, top: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) {
    if (value === undefined || (top && KEEL_ONLY[type]?.has(key))) continue;
    const [k, v] = toTemporalField(key, value, type, top);
    out[k] = v;
  }
  return out;
}

function toTemporalField(key: string, value: unknown, type: EventType, top: boolean): [string, unknown] {
  if (key.endsWith('Ms') && typeof value === 'number' && DURATIONS.has(key.slice(0, -2))) return [key.slice(0, -2), msToDurationString(value)];
  if (isInt64Key(key) && typeof value === 'number') return [key, String(value)];
  if (typeof value === 'string' && ENUM_PREFIXES[key]) return [key, `${ENUM_PREFIXES[key]}${value}`];
  if (key === 'cause' && typeof value === 'string' && top && CAUSE_PREFIXES[type]) return [key, `${CAUSE_PREFIXES[type]}${value}`];
  if (key === 'taskQueue' && typeof value === 'string') return [key, { name: value, kind: 'TASK_QUEUE_KIND_NORMAL' }];
  if ((key === 'workflowType' || key === 'activityType') && typeof value === 'string') return [key, { name: value }];
  if (PAYLOAD_LISTS.has(key) && Array.isArray(value)) return [key, { payloads: value }];
  if (key === 'details' && type === 'MarkerRecorded' && top && isObject(value)) {
    return [key, Object.fromEntries(Object.entries(value).map(([name, list]) => [name, { payloads: list }]))];
  }
  if (SINGLE_PAYLOADS.has(key) && isPayload(value)) return [key, { payloads: [value] }];
  if (PAYLOAD_MAPS.has(key) && isObject(value)) return [key, { fields: value }];
  if (key === 'searchAttributes' && isObject(value)) {
    return [key, { indexedFields: Object.fromEntries(Object.entries(value).map(([name, v]) => [name, searchAttributePayload(v)])) }];
  }
  if (isPayload(value)) return [key, value];
  if (Array.isArray(value)) return [key, value.map((v) => (isObject(v) && !isPayload(v) ? toTemporalObject(v, type, false) : v))];
  if (isObject(value)) return [key, toTemporalObject(value, type, false)];
  return [key, value];
}

/** A search attribute value as Temporal indexes it: JSON, with its type in the metadata when known. */
function searchAttributePayload(value: unknown): Payload {
  const typed = isObject(value) && typeof value['type'] === 'string' && 'value' in value;
  const payload = defaultPayloadConverter.toPayload(typed ? value['value'] : value);
  return typed ? { ...payload, metadata: { ...payload.metadata, type: btoa(String(value['type'])) } } : payload;
}

// ---- Temporal → Keel ------------------------------------------------------------------

/** Whether `history` is in Temporal's JSON form (its event types are `EVENT_TYPE_…`). */
export function isTemporalHistory(events: readonly unknown[]): boolean {
  const first = events[0];
  return isObject(first) && typeof first['eventType'] === 'string' && first['eventType'].startsWith('EVENT_TYPE_');
}

/**
 * A history in Temporal's JSON form as Keel's events (for replay). Fields proto3 JSON leaves out
 * when empty are filled in; fields Keel has no use for (`taskId`, `version`, `workerVersion`, …)
 * are dropped later by the event schemas.
 *
 * @throws {ValueError} for an event type Keel does not know.
 */
export function fromTemporalHistory(events: readonly unknown[]): HistoryEvent[] {
  return events.map((raw, i) => {
    if (!isObject(raw) || typeof raw['eventType'] !== 'string') throw new ValueError(`History event ${i + 1} has no eventType`);
    const type = toPascal(raw['eventType'].replace(/^EVENT_TYPE_/, '')) as EventType;
    const attributes = raw[attributesKey(type)];
    if (!isObject(attributes)) throw new ValueError(`History event ${String(raw['eventId'])} (${raw['eventType']}) has no ${attributesKey(type)}; Keel does not know this event type`);
    return {
      eventId: Number(raw['eventId']),
      eventTime: String(raw['eventTime']),
      eventType: type,
      attributes: withDefaults(type, fromTemporalObject(attributes, type, true)),
    } as HistoryEvent;
  });
}

const toPascal = (screamingName: string) => screamingName.toLowerCase().replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());

function fromTemporalObject(o: Record<string, unknown>, type: EventType, top: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) {
    if (value === undefined || value === null) continue;
    const [k, v] = fromTemporalField(key, value, type, top);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function fromTemporalField(key: string, value: unknown, type: EventType, top: boolean): [string, unknown] {
  // "0s" is proto3's unset duration (no timeout, no back-off): Keel leaves such a field out.
  if (DURATIONS.has(key) && typeof value === 'string') return [`${key}Ms`, durationStringToMs(value) || undefined];
  if (isInt64Key(key) && typeof value === 'string') return [key, Number(value)];
  if (typeof value === 'string' && ENUM_PREFIXES[key]) return [key, value.replace(ENUM_PREFIXES[key], '')];
  if (key === 'cause' && typeof value === 'string' && top && CAUSE_PREFIXES[type]) return [key, value.replace(CAUSE_PREFIXES[type], '')];
  if (key === 'taskQueue' && isObject(value)) return [key, String(value['name'] ?? '')];
  if (key === 'activityType' && isObject(value)) return [key, String(value['name'] ?? '')];
  if (key === 'workflowType' && isObject(value) && !(top && NAMED_TYPE_EVENTS.has(type))) return [key, String(value['name'] ?? '')];
  if (key === 'details' && type === 'MarkerRecorded' && top && isObject(value)) {
    return [key, Object.fromEntries(Object.entries(value).map(([name, list]) => [name, isObject(list) ? (list['payloads'] ?? []) : list]))];
  }
  // `{ payloads }`, or `{}` for an empty list (an update's `input` is an object of its own, with `args`).
  const isPayloadList = isObject(value) && ('payloads' in value || Object.keys(value).length === 0);
  if (PAYLOAD_LISTS.has(key) && isPayloadList) return [key, (value['payloads'] as unknown[] | undefined) ?? []];
  if (SINGLE_PAYLOADS.has(key) && isPayloadList) return [key, (value['payloads'] as unknown[] | undefined)?.[0]];
  if (PAYLOAD_MAPS.has(key) && isObject(value)) return [key, value['fields'] ?? {}];
  if (key === 'searchAttributes' && isObject(value)) {
    const fields = isObject(value['indexedFields']) ? value['indexedFields'] : {};
    return [key, Object.fromEntries(Object.entries(fields).map(([name, p]) => [name, searchAttributeValue(p as Payload)]))];
  }
  if (isPayload(value)) return [key, value];
  if (Array.isArray(value)) return [key, value.map((v) => (isObject(v) && !isPayload(v) ? fromTemporalObject(v, type, false) : v))];
  if (isObject(value)) return [key, fromTemporalObject(value, type, false)];
  return [key, value];
}

function searchAttributeValue(payload: Payload): unknown {
  const value = defaultPayloadConverter.fromPayload(payload);
  const type = payload.metadata?.['type'];
  return type ? { type: atob(type), value } : value;
}

/** Fields proto3 JSON omits when they hold their zero value, which Keel's schemas require. */
function withDefaults(type: EventType, a: Record<string, unknown>): Record<string, unknown> {
  const filled: Record<string, unknown> = { ...a };
  const need = (key: string, value: unknown) => {
    if (filled[key] === undefined) filled[key] = value;
  };
  switch (type) {
    case 'WorkflowExecutionStarted':
      need('input', []);
      need('attempt', 1);
      need('originalExecutionRunId', filled['firstExecutionRunId'] ?? '');
      break;
    case 'ActivityTaskScheduled':
      need('input', []);
      need('retryPolicy', {});
      break;
    case 'WorkflowExecutionSignaled':
    case 'WorkflowExecutionContinuedAsNew':
    case 'StartChildWorkflowExecutionInitiated':
    case 'SignalExternalWorkflowExecutionInitiated':
      need('input', []);
      break;
    case 'MarkerRecorded':
      need('details', {});
      break;
    case 'ActivityTaskTimedOut':
    case 'ActivityTaskCanceled':
    case 'WorkflowTaskTimedOut':
      need('startedEventId', 0);
      break;
    default:
      break;
  }
  if (type === 'SignalExternalWorkflowExecutionInitiated' || type === 'RequestCancelExternalWorkflowExecutionInitiated') need('childWorkflowOnly', false);
  if (type === 'WorkflowTaskScheduled' || type === 'ActivityTaskStarted') need('attempt', 1);
  return filled;
}
