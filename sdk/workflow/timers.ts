// Owns durable timers: `sleep`, and the StartTimer / CancelTimer commands behind it, linked to
// the current cancellation scope.
import { composeInterceptors } from '../common/interceptors.js';
import type { TimerInput } from './interceptors.js';
import type { CommandOf } from '../../protocol/commands.js';
import { msToNumber, type Duration } from '../common/index.js';
import type { Activator } from './activator.js';
import { CancellationScope } from './cancellation-scope.js';
import { assertInWorkflowContext } from './global-state.js';

/** A timer the workflow waits for. */
export interface PendingTimer {
  timerId: string;
  durationMs: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
}

/**
 * Starts a durable timer in the current scope: a StartTimer command now, resolved by the
 * `fireTimer` job. Cancelling the scope cancels the timer: its StartTimer command is withdrawn if
 * it has not been sent yet (as Temporal's core does), otherwise a CancelTimer command follows;
 * either way the promise rejects with the scope's `CancelledFailure`.
 *
 * Timer ids are the run's timer sequence numbers (`'1'`, `'2'`, …), so replay gives the same ids.
 */
export function startTimer(activator: Activator, ms: number): Promise<void> {
  activator.assertNotInQuery('A timer');
  const seq = activator.nextSeqs.timer++;
  // The wire needs whole, positive milliseconds; round up so a timer never fires early.
  const start = composeInterceptors(activator.interceptors.outbound, 'startTimer', (input) => startTimerNext(activator, input));
  return start({ durationMs: Math.max(1, Math.ceil(ms)), seq });
}

/** The end of the `startTimer` chain: the StartTimer command, and the promise that it fires. */
function startTimerNext(activator: Activator, { durationMs, seq }: TimerInput): Promise<void> {
  const timerId = String(seq);
  return new Promise<void>((resolve, reject) => {
    const scope = CancellationScope.current();
    if (scope.consideredCancelled) {
      scope.cancelRequested.catch(reject);
      return;
    }
    const command: CommandOf<'StartTimer'> = { type: 'StartTimer', timerId, startToFireTimeoutMs: durationMs };
    if (scope.cancellable) {
      scope.cancelRequested.catch((err: unknown) => {
        if (!activator.timers.delete(timerId)) return; // fired already
        if (!activator.withdrawCommand(command)) activator.pushCommand({ type: 'CancelTimer', timerId });
        reject(err);
      });
    }
    activator.pushCommand(command);
    activator.timers.set(timerId, { timerId, durationMs, resolve, reject });
  });
}

/** Resolves the timer `timerId` (the `fireTimer` job). A timer cancelled meanwhile is ignored. */
export function fireTimer(activator: Activator, timerId: string): void {
  const timer = activator.timers.get(timerId);
  if (!timer) return;
  activator.timers.delete(timerId);
  timer.resolve();
}

/**
 * Waits for `ms` (a number of milliseconds or a string such as `'1 hour'`) on a durable timer:
 * the workflow can be evicted, the worker restarted, and the sleep still ends on time. A duration
 * of 0 or less sleeps 1 ms, as in Temporal.
 *
 * Cancelling the current scope cancels the timer and rejects with a `CancelledFailure`.
 *
 * @example
 * await sleep('1 day');
 */
export function sleep(ms: Duration): Promise<void> {
  const activator = assertInWorkflowContext('sleep()');
  return startTimer(activator, msToNumber(ms));
}
