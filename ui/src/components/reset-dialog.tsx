// The Reset action of the execution page: choose the point (a reset type, or a workflow task's
// completed event from this run's history) and a reason, confirm, then open the new run.
import { useState } from 'preact/hooks';
import type { HistoryEvent } from '../../../protocol/events.js';
import { api } from '../api.js';
import { navigate, requestId } from '../navigation.js';
import { ErrorNote, Modal, toast } from './common.js';

const POINTS = [
  { value: 'LastWorkflowTask', label: 'Last completed workflow task' },
  { value: 'FirstWorkflowTask', label: 'First completed workflow task' },
  { value: 'LastContinuedAsNew', label: 'Last workflow task of the run this one continued from' },
] as const;
type Point = (typeof POINTS)[number]['value'] | 'event';

export interface ResetDialogProps {
  namespace: string;
  workflowId: string;
  runId: string;
  /** This run's history so far: its WorkflowTaskCompleted events are the points offered by id. */
  events: HistoryEvent[];
  open: boolean;
  onClose: () => void;
}

export function ResetDialog(p: ResetDialogProps) {
  const [point, setPoint] = useState<Point>('LastWorkflowTask');
  const [eventId, setEventId] = useState('');
  const [reason, setReason] = useState('');
  const [signals, setSignals] = useState(true);
  const [updates, setUpdates] = useState(true);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const completed = p.events.filter((e) => e.eventType === 'WorkflowTaskCompleted');
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const where = point === 'event' ? { eventId: Number(eventId) } : { resetType: point };
      const reapplyExclude = [...(signals ? [] : ['Signal' as const]), ...(updates ? [] : ['Update' as const])];
      const { runId } = await api.reset(p.namespace, p.workflowId, { runId: p.runId, ...where, reason: reason.trim(), reapplyExclude, identity: 'keel-ui', requestId: requestId() });
      toast('Workflow reset: showing the new run');
      setError(undefined);
      p.onClose();
      navigate({ page: 'execution', namespace: p.namespace, workflowId: p.workflowId, runId, tab: 'history' });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={p.open} title="Reset this workflow?" onClose={p.onClose}>
      <form class="form" onSubmit={submit}>
        <p>
          A new run of <code>{p.workflowId}</code> gets the history of run <code>{p.runId}</code> up to the point you choose; workers replay it with the code they run now and go on
          from there. If the workflow is running, its current run is terminated with the reason.
        </p>
        <label>
          Reset to
          <select name="point" value={point} onChange={(e) => setPoint((e.target as HTMLSelectElement).value as Point)}>
            {POINTS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
            <option value="event">A workflow task by event id…</option>
          </select>
        </label>
        {point === 'event' && (
          <label>
            Event id (a WorkflowTaskCompleted)
            <select name="eventId" required value={eventId} onChange={(e) => setEventId((e.target as HTMLSelectElement).value)}>
              <option value="">Choose…</option>
              {completed.map((ev) => (
                <option key={ev.eventId} value={String(ev.eventId)}>
                  {ev.eventId} — WorkflowTaskCompleted, {new Date(ev.eventTime).toLocaleString()}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Reason (required; recorded in both runs)
          <input name="reason" required value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} autocomplete="off" />
        </label>
        <label class="check">
          <input type="checkbox" name="reapplySignals" checked={signals} onChange={(e) => setSignals((e.target as HTMLInputElement).checked)} /> Re-apply the signals received after the point
        </label>
        <label class="check">
          <input type="checkbox" name="reapplyUpdates" checked={updates} onChange={(e) => setUpdates((e.target as HTMLInputElement).checked)} /> Re-apply the updates received after the point
        </label>
        <ErrorNote error={error} />
        <div class="buttons">
          <button type="button" class="btn ghost" onClick={p.onClose}>
            Back
          </button>
          <button type="submit" class="btn danger" disabled={busy || !reason.trim() || (point === 'event' && !eventId)}>
            Reset
          </button>
        </div>
      </form>
    </Modal>
  );
}
