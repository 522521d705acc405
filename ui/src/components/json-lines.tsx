// The history as JSON: pretty-printed once, shown as windowed lines (a 10,000-event history is
// hundreds of thousands of lines), with payloads decoded or raw, and a download of the whole.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { HistoryEvent } from '../../../protocol/events.js';
import { decodeForDisplay } from '../payloads.js';
import { getSettings } from '../settings.js';
import { useVirtual } from './virtual.js';

const LINE = 18;

export function HistoryJson({ events, namespace, fileName }: { events: readonly HistoryEvent[]; namespace: string; fileName: string }) {
  const [decode, setDecode] = useState(true);
  const [shown, setShown] = useState<{ value: unknown; codecError?: string } | undefined>();
  useEffect(() => {
    let live = true;
    const value = { events };
    if (!decode) {
      setShown({ value });
      return;
    }
    const s = getSettings();
    void decodeForDisplay(value, s.codecEndpoint ? { endpoint: s.codecEndpoint, namespace, includeCredentials: s.codecIncludeCredentials } : undefined).then((d) => live && setShown(d));
    return () => {
      live = false;
    };
  }, [events, decode, namespace]);
  const text = useMemo(() => (shown ? JSON.stringify(shown.value, null, 2) : ''), [shown]);
  const lines = useMemo(() => (text ? text.split('\n') : []), [text]);
  const scroller = useRef<HTMLDivElement>(null);
  const win = useVirtual(lines.length, LINE, scroller, 30);
  const download = () => {
    const url = URL.createObjectURL(new Blob([JSON.stringify({ events }, null, 2)], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <div class="json-tab">
      <div class="toolbar">
        <label class="check">
          <input type="checkbox" checked={decode} onChange={(e) => setDecode((e.target as HTMLInputElement).checked)} /> Decode payloads
        </label>
        <button type="button" class="btn small" onClick={download}>
          Download JSON (raw)
        </button>
        <span class="muted">{lines.length.toLocaleString()} lines</span>
      </div>
      {shown?.codecError && <p class="warn">Codec endpoint: {shown.codecError}</p>}
      <div class="json-lines" ref={scroller} onScroll={win.onScroll} tabIndex={0} role="region" aria-label="History as JSON">
        <pre style={{ height: `${win.total}px` }}>
          {lines.slice(win.start, win.end).map((l, k) => (
            <div key={win.start + k} style={{ top: `${(win.start + k) * LINE}px` }}>
              {l || ' '}
            </div>
          ))}
        </pre>
      </div>
    </div>
  );
}
