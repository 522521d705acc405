// The full history as a table, windowed: only the rows in view are in the DOM, so 10,000 events
// scroll as smoothly as 10. Keyboard: focus the table, then ↑ ↓ PageUp PageDown Home End move
// the selection; the selected event's attributes show decoded beside it.
import { useEffect, useRef } from 'preact/hooks';
import type { HistoryEvent } from '../../../protocol/events.js';
import { eventSummary, eventTone } from '../event-summary.js';
import { eventTypeLabel, formatDuration, formatTime } from '../format.js';
import { DecodedJson } from './common.js';
import { useVirtual } from './virtual.js';

const ROW = 30;
const HEADER = 32;

export function EventTable(props: { events: readonly HistoryEvent[]; namespace: string; selectedEventId?: number; onSelect: (eventId: number) => void }) {
  const { events, selectedEventId, onSelect } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const win = useVirtual(events.length, ROW, scroller, 12);
  const start = events[0] ? Date.parse(events[0].eventTime) : 0;
  // Event ids are dense from 1, so an id's index is id - 1.
  const selectedIndex = selectedEventId !== undefined && events[selectedEventId - 1]?.eventId === selectedEventId ? selectedEventId - 1 : -1;
  const selected = selectedIndex >= 0 ? events[selectedIndex] : undefined;

  // Keys move the selection a row or a page: scroll no more than needed. A selection made
  // elsewhere (the timeline, a link) is brought to the middle.
  const byKey = useRef(false);
  useEffect(() => {
    if (selectedIndex >= 0) win.scrollToIndex(selectedIndex, byKey.current ? 'nearest' : 'center');
    byKey.current = false;
  }, [selectedIndex, events.length > 0]);

  const onKey = (e: KeyboardEvent) => {
    const page = Math.max(1, Math.floor(((scroller.current?.clientHeight ?? 600) - HEADER) / ROW) - 1);
    const from = selectedIndex < 0 ? -1 : selectedIndex;
    const to =
      e.key === 'ArrowDown' ? from + 1 : e.key === 'ArrowUp' ? from - 1 : e.key === 'PageDown' ? from + page : e.key === 'PageUp' ? from - page : e.key === 'Home' ? 0 : e.key === 'End' ? events.length - 1 : undefined;
    if (to === undefined || events.length === 0) return;
    e.preventDefault();
    byKey.current = true;
    const i = Math.min(events.length - 1, Math.max(0, to));
    onSelect(events[i]!.eventId);
  };

  return (
    <div class="history">
      <div
        class="events"
        ref={scroller}
        onScroll={win.onScroll}
        tabIndex={0}
        onKeyDown={onKey}
        role="grid"
        aria-label={`Event history, ${events.length} events`}
        aria-rowcount={events.length + 1}
        aria-activedescendant={selected ? `ev-${selected.eventId}` : undefined}
        data-header-height={HEADER}
      >
        <div class="ev-head" role="row" aria-rowindex={1} style={{ height: `${HEADER}px` }}>
          <span role="columnheader" class="c-id">
            ID
          </span>
          <span role="columnheader" class="c-time">
            Time
          </span>
          <span role="columnheader" class="c-elapsed">
            Elapsed
          </span>
          <span role="columnheader" class="c-type">
            Type
          </span>
          <span role="columnheader" class="c-details">
            Details
          </span>
        </div>
        <div style={{ height: `${win.total}px`, position: 'relative' }}>
          {events.slice(win.start, win.end).map((e, k) => {
            const i = win.start + k;
            return (
              <div
                key={e.eventId}
                id={`ev-${e.eventId}`}
                role="row"
                aria-rowindex={i + 2}
                aria-selected={e.eventId === selectedEventId}
                class={`ev-row tone-${eventTone(e.eventType)}${e.eventId === selectedEventId ? ' selected' : ''}`}
                style={{ top: `${i * ROW}px`, height: `${ROW}px` }}
                onClick={() => onSelect(e.eventId)}
              >
                <span role="gridcell" class="c-id">
                  {e.eventId}
                </span>
                <span role="gridcell" class="c-time">
                  {formatTime(e.eventTime, true)}
                </span>
                <span role="gridcell" class="c-elapsed">
                  +{formatDuration(Date.parse(e.eventTime) - start)}
                </span>
                <span role="gridcell" class="c-type" title={e.eventType}>
                  {eventTypeLabel(e.eventType)}
                </span>
                <span role="gridcell" class="c-details">
                  {eventSummary(e)}
                </span>
              </div>
            );
          })}
        </div>
      </div>
      <aside class="ev-detail" aria-label="Selected event">
        {selected ? (
          <>
            <h3>
              {selected.eventId} · {eventTypeLabel(selected.eventType)}
            </h3>
            <p class="muted">{formatTime(selected.eventTime, true)}</p>
            <DecodedJson value={selected.attributes} namespace={props.namespace} label={`Attributes of event ${selected.eventId}`} />
          </>
        ) : (
          <p class="muted">Select an event to see its attributes (payloads decoded).</p>
        )}
      </aside>
    </div>
  );
}
