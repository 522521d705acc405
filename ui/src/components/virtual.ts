// Owns windowing: a list of any length renders only the rows in view (plus a margin), so a
// 10,000-event history is a few dozen DOM nodes. Rows have one fixed height.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface VirtualWindow {
  /** First and one-past-last index to render. */
  start: number;
  end: number;
  /** Total height of all rows, for the spacer. */
  total: number;
  /** Scrolls so that row `i` is in view: with the least scrolling (`nearest`), or to the middle. */
  scrollToIndex: (i: number, align?: 'nearest' | 'center') => void;
  onScroll: () => void;
}

export function useVirtual(count: number, rowHeight: number, ref: { current: HTMLElement | null }, overscan = 10): VirtualWindow {
  const [view, setView] = useState({ top: 0, height: 600 });
  const frame = useRef(0);
  const measure = useCallback(() => {
    const el = ref.current;
    if (el) setView((v) => (v.top === el.scrollTop && v.height === el.clientHeight ? v : { top: el.scrollTop, height: el.clientHeight || 600 }));
  }, [ref]);
  const onScroll = useCallback(() => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(measure);
  }, [measure]);
  useLayoutEffect(measure, [measure, count]);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [measure, ref]);
  const start = Math.max(0, Math.floor(view.top / rowHeight) - overscan);
  const end = Math.min(count, Math.ceil((view.top + view.height) / rowHeight) + overscan);
  const scrollToIndex = useCallback(
    (i: number, align: 'nearest' | 'center' = 'nearest') => {
      const el = ref.current;
      if (!el) return;
      const top = i * rowHeight;
      const header = Number(el.dataset['headerHeight'] ?? 0);
      const visible = top >= el.scrollTop && top + rowHeight <= el.scrollTop + el.clientHeight - header;
      if (align === 'center' && !visible) el.scrollTop = Math.max(0, top - (el.clientHeight - header - rowHeight) / 2);
      else if (top < el.scrollTop) el.scrollTop = top;
      else if (top + rowHeight > el.scrollTop + el.clientHeight - header) el.scrollTop = top + rowHeight - el.clientHeight + header;
      measure();
    },
    [ref, rowHeight, measure],
  );
  return { start, end, total: count * rowHeight, scrollToIndex, onScroll };
}
