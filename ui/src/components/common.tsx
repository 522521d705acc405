// Small pieces every page uses: links, status badges, JSON blocks, payload views, the toast
// region and a confirmation dialog built on <dialog> (focus stays inside, Escape closes).
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { WorkflowExecutionStatus } from '../../../protocol/enums.js';
import { statusLabel } from '../format.js';
import { linkClick } from '../navigation.js';
import { decodeForDisplay } from '../payloads.js';
import { formatRoute, type Route } from '../route.js';
import { getSettings } from '../settings.js';

export function Link(props: { to: Route; children: ComponentChildren; class?: string; title?: string }) {
  return (
    <a href={formatRoute(props.to)} onClick={linkClick} class={props.class} title={props.title}>
      {props.children}
    </a>
  );
}

export function StatusBadge({ status }: { status: WorkflowExecutionStatus }) {
  return <span class={`status status-${status.toLowerCase().replace(/_/g, '-')}`}>{statusLabel(status)}</span>;
}

export function JsonBlock({ value, label }: { value: unknown; label?: string }) {
  const text = value === undefined ? '—' : JSON.stringify(value, null, 2);
  return (
    <pre class="json" aria-label={label} tabIndex={0}>
      {text}
    </pre>
  );
}

/**
 * Shows a value holding payloads (a payload, a list of them, a failure, event attributes) with
 * each payload decoded: locally for JSON, through the configured codec otherwise.
 */
export function DecodedJson({ value, namespace, label }: { value: unknown; namespace: string; label?: string }) {
  const [shown, setShown] = useState<{ value: unknown; codecError?: string } | undefined>();
  useEffect(() => {
    let live = true;
    const s = getSettings();
    void decodeForDisplay(value, s.codecEndpoint ? { endpoint: s.codecEndpoint, namespace, includeCredentials: s.codecIncludeCredentials } : undefined).then((d) => live && setShown(d));
    return () => {
      live = false;
    };
  }, [value, namespace]);
  if (!shown) return <pre class="json muted">decoding…</pre>;
  return (
    <>
      {shown.codecError && <p class="warn">Codec endpoint: {shown.codecError}</p>}
      <JsonBlock value={shown.value} label={label} />
    </>
  );
}

export interface Toast {
  id: number;
  text: string;
  kind: 'ok' | 'error';
}
let toastSeq = 0;
const toastListeners = new Set<(t: Toast) => void>();
export function toast(text: string, kind: Toast['kind'] = 'ok'): void {
  const t = { id: ++toastSeq, text, kind };
  for (const l of toastListeners) l(t);
}

export function Toasts() {
  const [items, setItems] = useState<Toast[]>([]);
  useEffect(() => {
    const add = (t: Toast) => {
      setItems((xs) => [...xs, t]);
      setTimeout(() => setItems((xs) => xs.filter((x) => x.id !== t.id)), 4000);
    };
    toastListeners.add(add);
    return () => void toastListeners.delete(add);
  }, []);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {items.map((t) => (
        <div key={t.id} class={`toast toast-${t.kind}`}>
          {t.text}
        </div>
      ))}
    </div>
  );
}

/** A modal dialog; `open` shows it with showModal(), so focus stays in it and Escape closes it. */
export function Modal(props: { open: boolean; title: string; onClose: () => void; children: ComponentChildren; class?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog ref={ref} class={`modal ${props.class ?? ''}`} aria-label={props.title} onClose={props.onClose} onCancel={props.onClose}>
      {props.open && (
        <>
          <h2>{props.title}</h2>
          {props.children}
        </>
      )}
    </dialog>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error as { code?: string; message?: string };
  // A filter error quotes the filter with a caret under the offending position: keep it aligned.
  const [first, ...rest] = (e.message ?? String(error)).split('\n');
  return (
    <div class="error" role="alert">
      {e.code ? <strong>{e.code}: </strong> : null}
      {first}
      {rest.length > 0 && <pre class="caret">{rest.join('\n')}</pre>}
    </div>
  );
}

/** Re-renders every `ms` while `active`, for clocks and bars that grow with time. */
export function useTick(ms: number, active: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms, active]);
  return now;
}
