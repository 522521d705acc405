/**
 * Overlap policies as Temporal's scheduler applies them: what to do with the action times that came
 * due (the buffer) given whether the schedule's last workflow is still running. Pure.
 */

import { ScheduleOverlapPolicy } from '../../protocol/schedules.js';

export { ScheduleOverlapPolicy };

/** An action waiting to start: its times, its policy and whether a person asked for it. */
export interface BufferedStart {
  /** The time the spec named (or the trigger/backfill time): the workflow id's suffix. */
  nominal: number;
  /** When it came due (nominal + jitter). */
  actual: number;
  overlap: ScheduleOverlapPolicy;
  /** Trigger or backfill: taken even while paused and with no remaining actions. */
  manual?: boolean;
}

export interface BufferOutcome {
  /** Start these now, in order. */
  start: BufferedStart[];
  /** Still waiting for the running workflow to close. */
  keep: BufferedStart[];
  /** Dropped by SKIP (or a second BUFFER_ONE). */
  skipped: number;
  /** The running workflows must be cancelled (CANCEL_OTHER) or terminated (TERMINATE_OTHER) first. */
  cancel: boolean;
  terminate: boolean;
}

/** Temporal keeps at most this many starts waiting (BUFFER_ALL); more are dropped and counted. */
export const MAX_BUFFER = 1000;

/**
 * Decides, in order, what each waiting start does. `running`: a workflow the schedule started
 * (other than under ALLOW_ALL) is still running. A start that goes ahead counts as running for
 * the ones after it, so two due starts under SKIP start the first and drop the second.
 */
export function processBuffer(buffer: readonly BufferedStart[], running: boolean): BufferOutcome {
  const out: BufferOutcome = { start: [], keep: [], skipped: 0, cancel: false, terminate: false };
  let busy = running;
  for (const s of buffer) {
    if (s.overlap === 'ALLOW_ALL') {
      out.start.push(s);
      continue;
    }
    // Nothing runs and nothing waits ahead of it: it starts.
    if (!busy && out.keep.length === 0) {
      out.start.push(s);
      busy = true;
      continue;
    }
    switch (s.overlap) {
      case 'SKIP':
        out.skipped++;
        break;
      case 'BUFFER_ONE':
        if (out.keep.length === 0) out.keep.push(s);
        else out.skipped++;
        break;
      case 'BUFFER_ALL':
        if (out.keep.length < MAX_BUFFER) out.keep.push(s);
        else out.skipped++;
        break;
      case 'CANCEL_OTHER':
      case 'TERMINATE_OTHER':
        // The newest replaces whatever waited: only it starts once the running one is gone.
        out.skipped += out.keep.length;
        out.keep = [s];
        if (s.overlap === 'CANCEL_OTHER') out.cancel = true;
        else out.terminate = true;
        break;
    }
  }
  return out;
}
