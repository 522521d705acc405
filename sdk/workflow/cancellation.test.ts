// Tests workflow cancellation and CancellationScope nesting (cancellable, nonCancellable, already cancelled).
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { CancellationScope, isCancellation, proxyActivities, sleep } from './index.js';
import { Run, job, v } from './test-support/harness.js';

const run = (workflows: Record<string, unknown>) => new Run(workflows, { AsyncLocalStorage });
const acts = proxyActivities<{ charge(): Promise<string>; refund(): Promise<string> }>({ startToCloseTimeout: '1m' });

describe('workflow cancellation', () => {
  it('cancels a running activity, and the workflow may catch the cancellation and still return', async () => {
    async function wf(): Promise<string> {
      try {
        return await acts.charge();
      } catch (err) {
        if (!isCancellation(err)) throw err;
        return 'cleaned up';
      }
    }
    const r = run({ wf });
    await r.commands([job.start('wf')]);
    const cmds = await r.commands([job.cancel()]);
    expect(cmds[0]).toEqual({ type: 'RequestCancelActivityTask', activityId: '1' });
    expect(cmds[1]?.type === 'CompleteWorkflowExecution' && v(cmds[1].result)).toBe('cleaned up');
  });

  it('ends with CancelWorkflowExecution when the cancellation propagates out of the workflow', async () => {
    async function wf(): Promise<void> {
      await sleep('1 day');
    }
    const r = run({ wf });
    await r.commands([job.start('wf')]);
    expect(await r.commands([job.cancel()])).toEqual([
      { type: 'CancelTimer', timerId: '1' },
      { type: 'CancelWorkflowExecution' },
    ]);
  });

  it('shields an activity in a nonCancellable scope, which completes and is used', async () => {
    async function wf(): Promise<string> {
      const charged = await CancellationScope.nonCancellable(() => acts.charge());
      return charged;
    }
    const r = run({ wf });
    await r.commands([job.start('wf')]);
    expect(await r.commands([job.cancel()])).toEqual([]);
    const [done] = await r.commands([job.complete('1', 'charged')]);
    expect(done?.type === 'CompleteWorkflowExecution' && v(done.result)).toBe('charged');
  });

  it('lets cleanup run in a nonCancellable scope after cancellation', async () => {
    async function wf(): Promise<string> {
      try {
        await acts.charge();
        return 'charged';
      } catch (err) {
        if (!isCancellation(err)) throw err;
        return await CancellationScope.nonCancellable(() => acts.refund());
      }
    }
    const r = run({ wf });
    await r.commands([job.start('wf')]);
    expect(await r.commands([job.cancel()])).toMatchObject([
      { type: 'RequestCancelActivityTask', activityId: '1' },
      { type: 'ScheduleActivityTask', activityId: '2', activityType: 'refund' },
    ]);
    const [done] = await r.commands([job.complete('2', 'refunded')]);
    expect(done?.type === 'CompleteWorkflowExecution' && v(done.result)).toBe('refunded');
  });

  it('rejects at once what starts in a scope already cancelled', async () => {
    async function wf(): Promise<string> {
      const scope = new CancellationScope();
      scope.cancel();
      try {
        await scope.run(() => sleep(5));
        return 'slept';
      } catch (err) {
        return isCancellation(err) ? 'cancelled' : 'other';
      }
    }
    const [done] = await run({ wf }).commands([job.start('wf')]);
    expect(done?.type === 'CompleteWorkflowExecution' && v(done.result)).toBe('cancelled');
  });

  it('exposes cancelRequested and consideredCancelled as Temporal does', async () => {
    const seen: string[] = [];
    async function wf(): Promise<string[]> {
      const outer = new CancellationScope({ cancellable: false });
      await outer.run(async () => {
        const inner = new CancellationScope();
        inner.cancelRequested.catch(() => seen.push('inner requested'));
        outer.cancelRequested.catch(() => seen.push('outer requested'));
        outer.cancel();
        await Promise.resolve();
        seen.push(`outer considered ${outer.consideredCancelled}, inner considered ${inner.consideredCancelled}`);
      });
      return seen;
    }
    const [done] = await run({ wf }).commands([job.start('wf')]);
    expect(done?.type === 'CompleteWorkflowExecution' && v(done.result)).toEqual([
      'outer requested',
      'outer considered false, inner considered false',
    ]);
  });
});
