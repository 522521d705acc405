// Tests activities from the workflow side: scheduling, results, failures and the three cancellation types.
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  isCancellation,
  proxyActivities,
} from './index.js';
import { Run, job, v } from './test-support/harness.js';

const run = (workflows: Record<string, unknown>) => new Run(workflows, { AsyncLocalStorage });

interface Acts {
  greet(name: string): Promise<string>;
  shout(text: string): Promise<string>;
}
const acts = proxyActivities<Acts>({ startToCloseTimeout: '1 minute' });

describe('activities', () => {
  it('schedules one activity per activation and completes with the last result', async () => {
    async function twoSteps(name: string): Promise<string> {
      const greeting = await acts.greet(name);
      return await acts.shout(greeting);
    }
    const r = run({ twoSteps });

    expect(await r.commands([job.start('twoSteps', ['Ada'])])).toEqual([
      {
        type: 'ScheduleActivityTask',
        activityId: '1',
        activityType: 'greet',
        taskQueue: 'q',
        input: [expect.anything()],
        startToCloseTimeoutMs: 60_000,
        cancellationType: 'TRY_CANCEL',
      },
    ]);
    const second = await r.commands([job.complete('1', 'hello Ada')]);
    expect(second).toHaveLength(1);
    expect(second[0]).toMatchObject({ type: 'ScheduleActivityTask', activityId: '2', activityType: 'shout' });
    expect(second[0]?.type === 'ScheduleActivityTask' && v(second[0].input[0])).toBe('hello Ada');

    const last = await r.commands([job.complete('2', 'HELLO ADA')]);
    expect(last).toEqual([{ type: 'CompleteWorkflowExecution', result: expect.anything() }]);
    expect(last[0]?.type === 'CompleteWorkflowExecution' && v(last[0].result)).toBe('HELLO ADA');
  });

  it('passes every option to the command, with whole milliseconds', async () => {
    const a = proxyActivities<Acts>({
      activityId: 'greeting',
      taskQueue: 'other',
      scheduleToCloseTimeout: '1h',
      scheduleToStartTimeout: 1500.2,
      heartbeatTimeout: '10s',
      retry: { initialInterval: '2s', maximumAttempts: 3 },
      cancellationType: ActivityCancellationType.ABANDON,
    });
    async function wf(): Promise<void> {
      await a.greet('x');
    }
    expect(await run({ wf }).commands([job.start('wf')])).toEqual([
      {
        type: 'ScheduleActivityTask',
        activityId: 'greeting',
        activityType: 'greet',
        taskQueue: 'other',
        input: [expect.anything()],
        scheduleToCloseTimeoutMs: 3_600_000,
        scheduleToStartTimeoutMs: 1501,
        heartbeatTimeoutMs: 10_000,
        retryPolicy: { initialIntervalMs: 2000, maximumAttempts: 3 },
        cancellationType: 'ABANDON',
      },
    ]);
  });

  it('requires scheduleToCloseTimeout or startToCloseTimeout, as Temporal does', () => {
    expect(() => proxyActivities({ heartbeatTimeout: '1s' })).toThrow(
      new TypeError('Required either scheduleToCloseTimeout or startToCloseTimeout'),
    );
  });

  it('rejects with an ActivityFailure caused by the activity failure', async () => {
    async function wf(): Promise<unknown> {
      try {
        await acts.greet('x');
        return 'no';
      } catch (err) {
        if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) throw err;
        return [err.activityType, err.activityId, err.retryState, err.cause.message, err.cause.type, err.cause.nonRetryable];
      }
    }
    const r = run({ wf });
    await r.commands([job.start('wf')]);
    const [done] = await r.commands([
      job.fail('1', { message: 'card declined', applicationFailureInfo: { type: 'Declined', nonRetryable: true } }),
    ]);
    expect(done?.type === 'CompleteWorkflowExecution' && v(done.result)).toEqual([
      'greet',
      '1',
      'NON_RETRYABLE_FAILURE',
      'card declined',
      'Declined',
      true,
    ]);
  });

  it('fails the workflow with the ActivityFailure when the workflow does not catch it', async () => {
    async function wf(): Promise<void> {
      await acts.greet('x');
    }
    const r = run({ wf });
    await r.commands([job.start('wf')]);
    const [failed] = await r.commands([job.fail('1', { message: 'boom', applicationFailureInfo: { type: 'Error' } })]);
    expect(failed).toMatchObject({
      type: 'FailWorkflowExecution',
      failure: {
        message: 'Activity task failed',
        activityFailureInfo: { activityType: 'greet', activityId: '1' },
        cause: { message: 'boom', applicationFailureInfo: { type: 'Error' } },
      },
    });
  });

  it('TRY_CANCEL requests cancellation and rejects at once with a cancellation', async () => {
    const scope: { s?: CancellationScope } = {};
    async function wf(): Promise<string> {
      scope.s = new CancellationScope();
      try {
        await scope.s.run(() => acts.greet('x'));
        return 'completed';
      } catch (err) {
        return isCancellation(err) && err instanceof ActivityFailure && err.cause instanceof CancelledFailure ? 'cancelled' : 'other';
      }
    }
    const r = run({ wf });
    expect(await r.commands([job.start('wf')])).toMatchObject([{ type: 'ScheduleActivityTask', activityId: '1' }]);
    // Cancelled in a later activation, once the schedule command was sent.
    scope.s!.cancel();
    const cmds = await r.commands([]);
    expect(cmds[0]).toEqual({ type: 'RequestCancelActivityTask', activityId: '1' });
    expect(cmds[1]?.type === 'CompleteWorkflowExecution' && v(cmds[1].result)).toBe('cancelled');
    // The service's later ActivityTaskCanceled finds nothing waiting, and is ignored.
    expect(await r.commands([job.cancelled('1')])).toEqual([]);
  });

  it('WAIT_CANCELLATION_COMPLETED waits for the activity to acknowledge the cancellation', async () => {
    const waiting = proxyActivities<Acts>({
      startToCloseTimeout: '1m',
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    });
    const scope: { s?: CancellationScope } = {};
    async function wf(): Promise<string> {
      scope.s = new CancellationScope();
      try {
        await scope.s.run(() => waiting.greet('x'));
        return 'completed';
      } catch (err) {
        return isCancellation(err) ? 'cancelled' : 'other';
      }
    }
    const r = run({ wf });
    await r.commands([job.start('wf')]);
    scope.s!.cancel();
    expect(await r.commands([])).toEqual([{ type: 'RequestCancelActivityTask', activityId: '1' }]);
    const [done] = await r.commands([job.cancelled('1')]);
    expect(done?.type === 'CompleteWorkflowExecution' && v(done.result)).toBe('cancelled');
  });

  it('ABANDON issues no command and rejects at once', async () => {
    const abandoning = proxyActivities<Acts>({ startToCloseTimeout: '1m', cancellationType: ActivityCancellationType.ABANDON });
    const scope: { s?: CancellationScope } = {};
    async function wf(): Promise<string> {
      scope.s = new CancellationScope();
      try {
        await scope.s.run(() => abandoning.greet('x'));
        return 'completed';
      } catch (err) {
        return isCancellation(err) ? 'cancelled' : 'other';
      }
    }
    const r = run({ wf });
    await r.commands([job.start('wf')]);
    scope.s!.cancel();
    const [done] = await r.commands([]);
    expect(done?.type === 'CompleteWorkflowExecution' && v(done.result)).toBe('cancelled');
  });

  it('withdraws an activity cancelled in the activation that scheduled it', async () => {
    async function wf(): Promise<string> {
      try {
        await CancellationScope.cancellable(async () => {
          const p = acts.greet('x');
          CancellationScope.current().cancel();
          return await p;
        });
        return 'completed';
      } catch (err) {
        return isCancellation(err) ? 'cancelled' : 'other';
      }
    }
    const cmds = await run({ wf }).commands([job.start('wf')]);
    expect(cmds.map((c) => c.type)).toEqual(['CompleteWorkflowExecution']);
    expect(cmds[0]?.type === 'CompleteWorkflowExecution' && v(cmds[0].result)).toBe('cancelled');
  });
});
