// Owns how times, durations and statuses read in the UI. Pure: no DOM.
import { STATUS_FILTER_NAMES, WorkflowExecutionStatus } from '../../protocol/enums.js';

/** `2026-05-01 14:03:07.123` in the browser's time zone; '—' for none. */
export function formatTime(iso: string | undefined, withMs = false): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const base = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return withMs ? `${base}.${p(d.getMilliseconds(), 3)}` : base;
}

/** A duration in the largest sensible units: `850ms`, `4.2s`, `3m 05s`, `2h 01m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1).replace(/\.0$/, '') : Math.round(s)}s`;
  const p = (n: number) => String(Math.floor(n)).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m ${p(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${p((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** Milliseconds between two ISO times (the second defaults to now). */
export function between(from: string, to?: string, now = Date.now()): number {
  return (to ? Date.parse(to) : now) - Date.parse(from);
}


export const STATUSES = Object.keys(STATUS_FILTER_NAMES) as WorkflowExecutionStatus[];

/** Accepts either spelling (`RUNNING`, `Running`, `running`) and answers the enum value, if it is one. */
export function toStatus(s: string | undefined): WorkflowExecutionStatus | undefined {
  if (!s) return undefined;
  const k = s.replace(/[^a-z]/gi, '').toUpperCase();
  return STATUSES.find((st) => st.replace(/_/g, '') === k);
}

/** `Timed out`, `Continued as new`: a status for people. */
export function statusLabel(s: WorkflowExecutionStatus): string {
  const t = s.replace(/_/g, ' ').toLowerCase();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** `ActivityTaskScheduled` → `Activity task scheduled`. */
export function eventTypeLabel(t: string): string {
  const words = t.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
