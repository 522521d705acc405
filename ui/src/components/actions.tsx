// Actions on an execution — signal, update, request cancellation, terminate (while it runs), reset
// (at any time) — each asks for confirmation in a dialog before anything is sent, and reports what happened.
import { useState } from 'preact/hooks';
import { api, jsonPayload } from '../api.js';
import { requestId } from '../navigation.js';
import { DecodedJson, ErrorNote, Modal, toast } from './common.js';
import { ResetDialog } from './reset-dialog.js';
import type { HistoryEvent } from '../../../protocol/events.js';
import type { Payload } from '../../../protocol/payload.js';

type Action = 'signal' | 'update' | 'cancel' | 'terminate' | 'reset';
const IDENTITY = 'keel-ui';

export function Actions(props: { namespace: string; workflowId: string; runId: string; running: boolean; events: HistoryEvent[]; onDone: () => void }) {
  const [open, setOpen] = useState<Action | undefined>();
  const close = () => setOpen(undefined);
  const why = props.running ? undefined : 'The run has closed';
  return (
    <div class="actions" role="group" aria-label="Actions">
      <button type="button" class="btn" disabled={!props.running} title={why} onClick={() => setOpen('signal')} aria-haspopup="dialog">
        Signal
      </button>
      <button type="button" class="btn" disabled={!props.running} title={why} onClick={() => setOpen('update')} aria-haspopup="dialog">
        Update
      </button>
      <button type="button" class="btn" disabled={!props.running} title={why} onClick={() => setOpen('cancel')} aria-haspopup="dialog">
        Cancel
      </button>
      <button type="button" class="btn danger" disabled={!props.running} title={why} onClick={() => setOpen('terminate')} aria-haspopup="dialog">
        Terminate
      </button>
      <button type="button" class="btn danger" onClick={() => setOpen('reset')} aria-haspopup="dialog" title="Start a new run from a workflow task of this one">
        Reset
      </button>
      <SignalDialog {...props} open={open === 'signal'} onClose={close} />
      <UpdateDialog {...props} open={open === 'update'} onClose={close} />
      <ReasonDialog {...props} action="cancel" open={open === 'cancel'} onClose={close} />
      <ReasonDialog {...props} action="terminate" open={open === 'terminate'} onClose={close} />
      <ResetDialog namespace={props.namespace} workflowId={props.workflowId} runId={props.runId} events={props.events} open={open === 'reset'} onClose={close} />
    </div>
  );
}

interface DialogProps {
  namespace: string;
  workflowId: string;
  runId: string;
  open: boolean;
  onClose: () => void;
  onDone: () => void;
}

/** The dialog's input as the call's arguments: one JSON value, or none when left empty; a parse error is the dialog's error. */
function argsFromJson(input: string): unknown[] {
  if (!input.trim()) return [];
  try {
    return [JSON.parse(input)];
  } catch (err) {
    throw new Error(`The input is not JSON: ${(err as Error).message}`);
  }
}

function SignalDialog(p: DialogProps) {
  const [name, setName] = useState('');
  const [input, setInput] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await api.signal(p.namespace, p.workflowId, { runId: p.runId, signalName: name.trim(), input: argsFromJson(input).map(jsonPayload), identity: IDENTITY, requestId: requestId() });
      toast(`Signal “${name.trim()}” sent`);
      setError(undefined);
      p.onClose();
      p.onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={p.open} title="Send a signal" onClose={p.onClose}>
      <form class="form" onSubmit={submit}>
        <label>
          Signal name
          <input name="signalName" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} spellcheck={false} autocomplete="off" />
        </label>
        <label>
          Input (JSON, one argument; leave empty for none)
          <textarea name="input" rows={5} value={input} onInput={(e) => setInput((e.target as HTMLTextAreaElement).value)} spellcheck={false} />
        </label>
        <p class="muted">
          Sends the signal to run <code>{p.runId}</code> of <code>{p.workflowId}</code>. It is written to the history and delivered to the workflow.
        </p>
        <ErrorNote error={error} />
        <div class="buttons">
          <button type="button" class="btn ghost" onClick={p.onClose}>
            Cancel
          </button>
          <button type="submit" class="btn primary" disabled={busy || !name.trim()}>
            Send signal
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** Sends an update and shows its result; a rejection or a handler's failure is shown as the error. */
function UpdateDialog(p: DialogProps) {
  const [name, setName] = useState('');
  const [input, setInput] = useState('');
  const [error, setError] = useState<unknown>();
  const [result, setResult] = useState<{ value: Payload | undefined } | undefined>();
  const [busy, setBusy] = useState(false);
  const close = () => {
    setResult(undefined);
    setError(undefined);
    p.onClose();
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setResult(undefined);
    try {
      const answer = await api.update(p.namespace, p.workflowId, { runId: p.runId, updateId: requestId(), name: name.trim(), args: argsFromJson(input).map(jsonPayload), waitForStage: 'COMPLETED', identity: IDENTITY });
      const outcome = answer.outcome;
      if (outcome && 'failure' in outcome) setError(new Error(`Update failed: ${outcome.failure.message}`));
      else if (answer.stage !== 'COMPLETED') setError(new Error(`Update ${answer.updateId} was accepted; its handler is still running. Its result will be in the history.`));
      else {
        setError(undefined);
        setResult({ value: outcome?.success });
        toast(`Update “${name.trim()}” completed`);
      }
      p.onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={p.open} title="Send an update" onClose={close}>
      <form class="form" onSubmit={submit}>
        <label>
          Update name
          <input name="updateName" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} spellcheck={false} autocomplete="off" />
        </label>
        <label>
          Input (JSON, one argument; leave empty for none)
          <textarea name="input" rows={5} value={input} onInput={(e) => setInput((e.target as HTMLTextAreaElement).value)} spellcheck={false} />
        </label>
        <p class="muted">
          Sends the update to run <code>{p.runId}</code> of <code>{p.workflowId}</code>. A worker validates it first: a rejected update leaves the history unchanged.
        </p>
        {result && <DecodedJson value={result.value} namespace={p.namespace} label="Update result" />}
        <ErrorNote error={error} />
        <div class="buttons">
          <button type="button" class="btn ghost" onClick={close}>
            Close
          </button>
          <button type="submit" class="btn primary" disabled={busy || !name.trim()}>
            Send update
          </button>
        </div>
      </form>
    </Modal>
  );
}

function ReasonDialog(p: DialogProps & { action: 'cancel' | 'terminate' }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const terminate = p.action === 'terminate';
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const body = { runId: p.runId, identity: IDENTITY, requestId: requestId(), ...(reason.trim() ? { reason: reason.trim() } : {}) };
      if (terminate) await api.terminate(p.namespace, p.workflowId, body);
      else await api.cancel(p.namespace, p.workflowId, body);
      toast(terminate ? 'Workflow terminated' : 'Cancellation requested');
      setError(undefined);
      p.onClose();
      p.onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={p.open} title={terminate ? 'Terminate this workflow?' : 'Request cancellation?'} onClose={p.onClose}>
      <form class="form" onSubmit={submit}>
        <p>
          {terminate ? (
            <>
              Terminating ends run <code>{p.runId}</code> of <code>{p.workflowId}</code> at once: the workflow gets no chance to clean up, and pending activities are
              abandoned.
            </>
          ) : (
            <>
              The workflow <code>{p.workflowId}</code> is asked to cancel; its code decides how (cancellation scopes, cleanup activities).
            </>
          )}
        </p>
        <label>
          Reason (recorded in the history)
          <input name="reason" value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} autocomplete="off" />
        </label>
        <ErrorNote error={error} />
        <div class="buttons">
          <button type="button" class="btn ghost" onClick={p.onClose}>
            Back
          </button>
          <button type="submit" class={`btn ${terminate ? 'danger' : 'primary'}`} disabled={busy}>
            {terminate ? 'Terminate' : 'Request cancellation'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
