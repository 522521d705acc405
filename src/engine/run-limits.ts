/**
 * Per-run limits on pending work, as Temporal's defaults (`Limits.maxPendingPerKind`, 2,000 each):
 * activities, timers, child workflows, signals to other workflows and cancel requests to other
 * workflows. Each pending item lives in the run's state row, which every change of the run reads
 * and writes, so without a bound one completion could make the row too big to store or to load.
 * A completion that would pass a limit is refused, and nothing of it is written.
 */
import { Limits, type Command } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';
import type { RunState } from './run-state.js';

type Kind = 'activities' | 'timers' | 'children' | 'signals' | 'cancelRequests';

const ADDS: Partial<Record<Command['type'], Kind>> = {
  ScheduleActivityTask: 'activities',
  StartTimer: 'timers',
  StartChildWorkflowExecution: 'children',
  SignalExternalWorkflowExecution: 'signals',
  RequestCancelExternalWorkflowExecution: 'cancelRequests',
};

function pending(run: RunState): Record<Kind, number> {
  const external = Object.values(run.externalCalls ?? {});
  return {
    activities: Object.keys(run.activities).length,
    timers: Object.keys(run.timers).length,
    children: Object.keys(run.children ?? {}).length,
    signals: external.filter((c) => c.kind === 'signal').length,
    cancelRequests: external.filter((c) => c.kind === 'cancel').length,
  };
}

/** Throws LIMIT_EXCEEDED when the commands would leave the run with too many pending items of a kind. */
export function checkPendingLimits(run: RunState, commands: Command[], limit: number = Limits.maxPendingPerKind): void {
  const counts = pending(run);
  commands.forEach((cmd, i) => {
    const kind = ADDS[cmd.type];
    if (!kind || ++counts[kind] <= limit) return;
    throw new ServiceError(
      'LIMIT_EXCEEDED',
      `commands[${i}] (${cmd.type}) would leave the run with more than ${limit} pending ${kind}, the limit per run; wait for some to finish, or continue as new.`,
      { index: i, limit: `maxPending.${kind}`, max: limit },
    );
  });
}
