// Tests condition(): timeouts, signals and continuations that make it true, the unblock loop.
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { condition, defineSignal, proxyActivities, setHandler, sleep } from './index.js';
import { Run, job, v } from './test-support/harness.js';

const run = (workflows: Record<string, unknown>) => new Run(workflows, { AsyncLocalStorage });
const approve = defineSignal<[boolean]>('approve');
const acts = proxyActivities<{ work(): Promise<void>; after(): Promise<void> }>({ startToCloseTimeout: '1m' });

async function approval(): Promise<string> {
  let approved: boolean | undefined;
  setHandler(approve, (value) => {
    approved = value;
  });
  if (!(await condition(() => approved !== undefined, '7 days'))) return 'expired';
  return approved ? 'approved' : 'rejected';
}

describe('condition', () => {
  it('returns false when the timeout fires first', async () => {
    const r = run({ approval });
    expect(await r.commands([job.start('approval')])).toEqual([
      { type: 'StartTimer', timerId: '1', startToFireTimeoutMs: 7 * 86_400_000 },
    ]);
    const [done] = await r.commands([job.fire('1')]);
    expect(done?.type === 'CompleteWorkflowExecution' && v(done.result)).toBe('expired');
  });

  it('returns true when a signal makes it true, and cancels the timer', async () => {
    const r = run({ approval });
    await r.commands([job.start('approval')]);
    const cmds = await r.commands([job.signal('approve', true)]);
    expect(cmds[0]).toEqual({ type: 'CancelTimer', timerId: '1' });
    expect(cmds[1]?.type === 'CompleteWorkflowExecution' && v(cmds[1].result)).toBe('approved');
  });

  it('sends no timer at all when already true', async () => {
    async function wf(): Promise<boolean> {
      return await condition(() => true, '1 hour');
    }
    const cmds = await run({ wf }).commands([job.start('wf')]);
    expect(cmds.map((c) => c.type)).toEqual(['CompleteWorkflowExecution']);
  });

  it('sees state that continuations set, and runs its own continuation in the same activation', async () => {
    async function wf(): Promise<void> {
      let done = false;
      void (async () => {
        await acts.work();
        await Promise.resolve();
        done = true;
      })();
      await condition(() => done);
      await acts.after();
    }
    const r = run({ wf });
    expect(await r.commands([job.start('wf')])).toMatchObject([{ type: 'ScheduleActivityTask', activityType: 'work' }]);
    expect(await r.commands([job.complete('1')])).toMatchObject([{ type: 'ScheduleActivityTask', activityType: 'after' }]);
  });

  it('waits without a timeout until the predicate holds', async () => {
    async function wf(): Promise<number> {
      let n = 0;
      setHandler(defineSignal('tick'), () => {
        n++;
      });
      await condition(() => n >= 2);
      await sleep(1);
      return n;
    }
    const r = run({ wf });
    expect(await r.commands([job.start('wf')])).toEqual([]);
    expect(await r.commands([job.signal('tick')])).toEqual([]);
    expect(await r.commands([job.signal('tick')])).toEqual([{ type: 'StartTimer', timerId: '1', startToFireTimeoutMs: 1 }]);
  });
});
