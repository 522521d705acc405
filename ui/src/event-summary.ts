// Owns the one-line summary of a history event shown in the table (ids, names, attempts,
// failures — never payload contents, which are decoded on demand). Pure.
import type { HistoryEvent } from '../../protocol/events.js';

type Attrs = Record<string, unknown>;

const failureText = (f: unknown) => {
  const x = f as { message?: string; applicationFailureInfo?: { type?: string }; cause?: { message?: string } } | undefined;
  if (!x) return '';
  const type = x.applicationFailureInfo?.type;
  return `${type ? `${type}: ` : ''}${x.message ?? ''}${x.cause?.message ? ` ← ${x.cause.message}` : ''}`;
};

/** A workflow type as child events carry it ({ name }), or as a plain string. */
const typeName = (t: unknown) => (typeof t === 'object' && t !== null ? (t as Attrs)['name'] : t);

export function eventSummary(e: HistoryEvent): string {
  const a = e.attributes as Attrs;
  const parts: string[] = [];
  const add = (label: string, v: unknown) => {
    if (v !== undefined && v !== null && v !== '') parts.push(`${label} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  };
  switch (e.eventType as string) {
    case 'WorkflowExecutionStarted':
      add('type', a['workflowType']);
      add('queue', a['taskQueue']);
      add('cron', a['cronSchedule']);
      if (a['initiator'] === 'RETRY' || a['initiator'] === 'CRON_SCHEDULE') add('by', a['initiator'] === 'RETRY' ? 'retry' : 'cron schedule');
      break;
    case 'ActivityTaskScheduled':
      add('', `${a['activityType']} #${a['activityId']}`);
      add('queue', a['taskQueue']);
      break;
    case 'ActivityTaskStarted':
      add('scheduled', a['scheduledEventId']);
      add('attempt', a['attempt']);
      add('by', a['identity']);
      break;
    case 'TimerStarted':
      add('timer', a['timerId']);
      add('fires in', `${a['startToFireTimeoutMs']}ms`);
      break;
    case 'TimerFired':
    case 'TimerCanceled':
      add('timer', a['timerId']);
      break;
    case 'WorkflowExecutionSignaled':
      add('signal', a['signalName']);
      add('by', a['identity']);
      break;
    case 'MarkerRecorded':
      add('marker', a['markerName']);
      break;
    case 'WorkflowExecutionTerminated':
      add('reason', a['reason']);
      add('by', a['identity']);
      break;
    case 'WorkflowExecutionCancelRequested':
      add('cause', a['cause']);
      add('by', a['identity']);
      break;
    case 'WorkflowTaskStarted':
      add('by', a['identity']);
      break;
    case 'WorkflowTaskFailed':
      add('cause', a['cause']);
      break;
    case 'UpsertWorkflowSearchAttributes':
      // Attribute names only: values may be long, and the JSON view shows them.
      add('attributes', Object.keys((a['searchAttributes'] as Attrs | undefined) ?? {}).join(', '));
      break;
    case 'WorkflowPropertiesModified':
      add('memo', Object.keys((a['upsertedMemo'] as Attrs | undefined) ?? {}).join(', '));
      break;
    case 'WorkflowExecutionUpdateAccepted': {
      const req = a['acceptedRequest'] as { meta?: { updateId?: string; identity?: string }; input?: { name?: string } } | undefined;
      add('update', req?.input?.name);
      add('id', req?.meta?.updateId);
      add('by', req?.meta?.identity);
      break;
    }
    case 'WorkflowExecutionUpdateCompleted': {
      const outcome = a['outcome'] as { failure?: unknown } | undefined;
      add('id', (a['meta'] as { updateId?: string } | undefined)?.updateId);
      add('accepted', a['acceptedEventId']);
      if (outcome?.failure) parts.push(failureText(outcome.failure));
      break;
    }
    case 'StartChildWorkflowExecutionInitiated':
      add('', `${typeName(a['workflowType'])} ${a['workflowId']}`);
      add('close policy', a['parentClosePolicy']);
      break;
    case 'StartChildWorkflowExecutionFailed':
      add('', `${typeName(a['workflowType'])} ${a['workflowId']}`);
      add('cause', a['cause']);
      break;
    case 'ChildWorkflowExecutionStarted':
    case 'ChildWorkflowExecutionCompleted':
    case 'ChildWorkflowExecutionFailed':
    case 'ChildWorkflowExecutionCanceled':
    case 'ChildWorkflowExecutionTimedOut':
    case 'ChildWorkflowExecutionTerminated':
      add('child', (a['workflowExecution'] as Attrs | undefined)?.['workflowId']);
      add('initiated', a['initiatedEventId']);
      break;
    case 'SignalExternalWorkflowExecutionInitiated':
      add('signal', a['signalName']);
      add('to', (a['workflowExecution'] as Attrs | undefined)?.['workflowId']);
      break;
    case 'RequestCancelExternalWorkflowExecutionInitiated':
      add('cancel', (a['workflowExecution'] as Attrs | undefined)?.['workflowId']);
      break;
    case 'ExternalWorkflowExecutionSignaled':
    case 'ExternalWorkflowExecutionCancelRequested':
    case 'SignalExternalWorkflowExecutionFailed':
    case 'RequestCancelExternalWorkflowExecutionFailed':
      add('workflow', (a['workflowExecution'] as Attrs | undefined)?.['workflowId']);
      add('cause', a['cause']);
      add('initiated', a['initiatedEventId']);
      break;
    default:
      break;
  }
  const failure = a['failure'];
  if (failure) parts.push(failureText(failure));
  if (a['scheduledEventId'] !== undefined && !parts.some((p) => p.startsWith('scheduled'))) add('scheduled', a['scheduledEventId']);
  if (a['timeoutType']) add('timeout', a['timeoutType']);
  if (a['retryState'] && a['retryState'] !== 'IN_PROGRESS') add('retry', a['retryState']);
  return parts.map((p) => p.trim()).join(' · ');
}

/** A class for the event's row: failures stand out, closes and signals are tinted. */
export function eventTone(type: string): string {
  if (/Failed|TimedOut|Terminated/.test(type)) return 'bad';
  if (/Canceled|CancelRequested/.test(type)) return 'warn';
  if (/^WorkflowExecution(Completed|ContinuedAsNew)$/.test(type)) return 'good';
  if (/Signaled/.test(type)) return 'signal';
  if (/^WorkflowTask/.test(type)) return 'dim';
  return '';
}
