// Tests sleep(): StartTimer / fireTimer, timer ids, CancelTimer on scope cancellation, withTimeout.
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { CancellationScope, CancelledFailure, sleep } from './index.js';
import { Run, job, v } from './test-support/harness.js';

const run = (workflows: Record<string, unknown>) => new Run(workflows, { AsyncLocalStorage });

describe('sleep', () => {
  it('starts a durable timer and resumes when it fires', async () => {
    async function nap(): Promise<number> {
      const before = Date.now();
      await sleep('1 hour');
      return Date.now() - before;
    }
    const r = run({ nap });
    expect(await r.commands([job.start('nap')])).toEqual([{ type: 'StartTimer', timerId: '1', startToFireTimeoutMs: 3_600_000 }]);
    expect(await r.commands([job.fire('1')])).toMatchObject([{ type: 'CompleteWorkflowExecution' }]);
  });

  it('numbers timers 1, 2, … and sleeps at least 1 ms', async () => {
    async function wf(): Promise<void> {
      await Promise.all([sleep(0), sleep(2.5), sleep('1s')]);
    }
    expect(await run({ wf }).commands([job.start('wf')])).toEqual([
      { type: 'StartTimer', timerId: '1', startToFireTimeoutMs: 1 },
      { type: 'StartTimer', timerId: '2', startToFireTimeoutMs: 3 },
      { type: 'StartTimer', timerId: '3', startToFireTimeoutMs: 1000 },
    ]);
  });

  it('cancels the timer with CancelTimer and rejects with CancelledFailure when its scope is cancelled', async () => {
    const scope: { s?: CancellationScope } = {};
    async function wf(): Promise<string> {
      scope.s = new CancellationScope();
      try {
        await scope.s.run(() => sleep('1 day'));
        return 'slept';
      } catch (err) {
        return err instanceof CancelledFailure ? err.message : 'other';
      }
    }
    const r = run({ wf });
    await r.commands([job.start('wf')]);
    scope.s!.cancel();
    const cmds = await r.commands([]);
    expect(cmds[0]).toEqual({ type: 'CancelTimer', timerId: '1' });
    expect(cmds[1]?.type === 'CompleteWorkflowExecution' && v(cmds[1].result)).toBe('Cancellation scope cancelled');
    // A TimerFired that raced the cancellation is ignored.
    expect(await r.commands([job.fire('1')])).toEqual([]);
  });

  it('withTimeout cancels what runs inside once its timer fires', async () => {
    async function wf(): Promise<string> {
      try {
        await CancellationScope.withTimeout('1s', () => sleep('1 day'));
        return 'slept';
      } catch (err) {
        return err instanceof CancelledFailure ? 'timed out' : 'other';
      }
    }
    const r = run({ wf });
    expect(await r.commands([job.start('wf')])).toEqual([
      { type: 'StartTimer', timerId: '1', startToFireTimeoutMs: 1000 },
      { type: 'StartTimer', timerId: '2', startToFireTimeoutMs: 86_400_000 },
    ]);
    const cmds = await r.commands([job.fire('1')]);
    expect(cmds[0]).toEqual({ type: 'CancelTimer', timerId: '2' });
    expect(cmds[1]?.type === 'CompleteWorkflowExecution' && v(cmds[1].result)).toBe('timed out');
  });
});
