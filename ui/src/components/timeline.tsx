// The timeline: a time axis over the run, one row per activity, timer and child workflow (bars
// from scheduled to closed; the lighter part is waiting to start), and rows of marks for
// signals, markers and updates. Rows are windowed and bars closer than a pixel merge, so a run of
// thousands of items draws as fast as a short one; zoomed in, only the part in view is laid out.
// Each row's label is a button: it selects the row's first event in the history (keyboard: Tab
// to a label, Enter).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { formatDuration } from '../format.js';
import { layoutBars, layoutMarks, type TimelineModel } from '../timeline-model.js';
import { useVirtual } from './virtual.js';

const ROW = 24;
const AXIS = 20;
const LABEL_W = 280;
const MAX_HEIGHT = 360;

export function Timeline({ model, now, selectedEventId, onSelect }: { model: TimelineModel; now: number; selectedEventId?: number; onSelect: (eventId: number) => void }) {
  const scroller = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  /** Horizontal zoom: the track is `zoom` times the visible width, scrolled sideways. */
  const [zoom, setZoom] = useState(1);
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);
  const visibleTrack = Math.max(100, width - LABEL_W - 12);
  const track = visibleTrack * zoom;
  const end = model.end ?? now;
  const span = Math.max(end - model.start, 1);
  const x = (t: number) => ((t - model.start) / span) * track;
  const win = useVirtual(model.rows.length, ROW, scroller, 6);
  const ticks = useMemo(() => axisTicks(span, track), [span, track]);
  // The part of the track in view, so rows draw only what can be seen.
  const [left, setLeft] = useState(0);
  const onScroll = () => {
    win.onScroll();
    if (scroller.current && scroller.current.scrollLeft !== left) setLeft(scroller.current.scrollLeft);
  };
  const zoomBy = (factor: number) => {
    const el = scroller.current;
    const next = Math.min(256, Math.max(1, zoom * factor));
    if (!el || next === zoom) return;
    // Keep the moment in the middle of the view where it is.
    const middle = (el.scrollLeft + visibleTrack / 2) / track;
    setZoom(next);
    requestAnimationFrame(() => {
      el.scrollLeft = Math.max(0, middle * visibleTrack * next - visibleTrack / 2);
      setLeft(el.scrollLeft);
    });
  };

  return (
    <div class="timeline">
      <div class="tl-toolbar" role="group" aria-label="Timeline zoom">
        <button type="button" class="btn small ghost" onClick={() => zoomBy(1 / 2)} disabled={zoom <= 1} aria-label="Zoom out">
          −
        </button>
        <button type="button" class="btn small ghost" onClick={() => zoomBy(2)} disabled={zoom >= 256} aria-label="Zoom in">
          +
        </button>
        <button type="button" class="btn small ghost" onClick={() => zoomBy(1 / zoom)} disabled={zoom === 1}>
          Fit
        </button>
        <span class="muted">
          {zoom > 1 ? `${zoom}× · ` : ''}
          {formatDuration(span)} · {model.rows.length.toLocaleString()} rows
        </span>
      </div>
      <div
        class="tl-rows"
        ref={scroller}
        onScroll={onScroll}
        data-header-height={AXIS}
        style={{ height: `${Math.min(MAX_HEIGHT, model.rows.length * ROW + AXIS + (zoom > 1 ? 14 : 2))}px`, overflowX: zoom > 1 ? 'auto' : 'hidden' }}
        role="list"
        aria-label={`Timeline, ${model.rows.length} rows`}
      >
        <div class="tl-axis" aria-hidden="true" style={{ width: `${LABEL_W + track}px`, height: `${AXIS}px` }}>
          <div class="tl-corner" style={{ width: `${LABEL_W}px` }} />
          {ticks.map((t) => (
            <span key={t} style={{ left: `${LABEL_W + (t / span) * track}px` }}>
              {tickLabel(t, ticks[1] ?? span)}
            </span>
          ))}
        </div>
        <div style={{ height: `${win.total}px`, width: `${LABEL_W + track}px`, position: 'relative' }}>
          {model.rows.slice(win.start, win.end).map((row, k) => {
            const i = win.start + k;
            // Only what falls in the visible part of the track (plus a margin) is laid out.
            const from = model.start + ((left - visibleTrack) / track) * span;
            const to = model.start + ((left + 2 * visibleTrack) / track) * span;
            const bars = layoutBars(zoom > 1 ? row.bars.filter((b) => (b.to ?? now) >= from && b.from <= to) : row.bars, x, now);
            const marks = layoutMarks(zoom > 1 ? row.marks.filter((m) => m.at >= from && m.at <= to) : row.marks, x);
            const selected = selectedEventId !== undefined && (row.eventId === selectedEventId || row.bars.some((b) => b.eventId === selectedEventId));
            return (
              <div key={row.key} role="listitem" class={`tl-row tl-${row.kind}${selected ? ' selected' : ''}`} style={{ top: `${i * ROW}px`, height: `${ROW}px` }}>
                <button type="button" class="tl-label" style={{ width: `${LABEL_W}px` }} title={row.label} onClick={() => onSelect(row.eventId)}>
                  {row.label}
                </button>
                <svg width={track} height={ROW} class="tl-track">
                  {bars.map((b) => {
                    const began = b.bar.began !== undefined && b.count === 1 ? Math.min(Math.max(x(b.bar.began), b.x1), b.x2) : b.x1;
                    const dur = (b.bar.to ?? now) - b.bar.from;
                    const title = b.count > 1 ? `${b.count} × ${row.label}` : `${b.bar.title} · ${formatDuration(dur)}`;
                    return (
                      <g key={b.x1} class={`bar o-${b.bar.outcome}`} onClick={() => onSelect(b.bar.eventId)}>
                        <title>{title}</title>
                        {began > b.x1 && <rect class="wait" x={b.x1} y={6} width={began - b.x1} height={ROW - 12} rx={2} />}
                        <rect x={began} y={5} width={Math.max(b.x2 - began, 2)} height={ROW - 10} rx={2} />
                      </g>
                    );
                  })}
                  {marks.map((m) => (
                    <g key={m.x} class="mark" onClick={() => onSelect(m.mark.eventId)}>
                      <title>{m.count > 1 ? `${m.count} × ${m.mark.title}` : m.mark.title}</title>
                      <path d={`M${m.x} 5 L${m.x + 5} ${ROW / 2} L${m.x} ${ROW - 5} L${m.x - 5} ${ROW / 2} Z`} />
                    </g>
                  ))}
                </svg>
              </div>
            );
          })}
        </div>
      </div>
      <p class="tl-legend muted" aria-hidden="true">
        <span class="lg o-completed" /> completed <span class="lg o-running" /> running <span class="lg o-failed" /> failed / timed out <span class="lg o-canceled" />{' '}
        canceled <span class="lg wait" /> waiting to start <span class="lg mark" /> signal / marker
      </p>
    </div>
  );
}

/** Round offsets from the start for axis labels, about one per 120 px. */
function axisTicks(span: number, track: number): number[] {
  const want = Math.max(2, Math.floor(track / 120));
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 144e5, 216e5, 432e5, 864e5, 1728e5, 6048e5];
  const step = steps.find((s) => span / s <= want) ?? Math.ceil(span / want);
  const out: number[] = [];
  for (let t = 0; t <= span + 1e-9 && out.length < 50; t += step) out.push(t);
  return out;
}

/** An axis label precise enough that neighbouring ticks never read alike. */
function tickLabel(t: number, step: number): string {
  if (t === 0) return '0';
  if (step >= 1000) return `+${formatDuration(t)}`;
  if (t < 1000) return `+${+t.toFixed(step < 1 ? 2 : 0)}ms`;
  return `+${(t / 1000).toFixed(step < 10 ? 3 : step < 100 ? 2 : 1)}s`;
}
