// Tests updates inside the runtime: validators are read-only and reject by throwing, handlers end in
// CompleteWorkflowUpdate commands, accepted updates wait for their handler, and allHandlersFinished.
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import type { ActivationJob } from './activation.js';
import { ApplicationFailure, allHandlersFinished, condition, defineSignal, defineUpdate, setHandler, sleep } from './index.js';
import { Run, job, p, v } from './test-support/harness.js';

const run = (workflows: Record<string, unknown>) => new Run(workflows, { AsyncLocalStorage });
const add = defineUpdate<number, [number]>('add');
const slow = defineUpdate<string, []>('slow');
const release = defineSignal('release');
const doUpdate = (name: string, updateId: string, ...args: unknown[]): ActivationJob => ({ type: 'doUpdate', updateId, name, args: args.map(p) });

async function counter(): Promise<number> {
  let value = 0;
  let released = false;
  setHandler(add, (n) => (value += n), {
    validator: (n) => {
      if (n < 1) throw ApplicationFailure.nonRetryable('too small', 'BadAmount');
    },
  });
  setHandler(slow, async () => {
    await condition(() => released);
    return 'done';
  });
  setHandler(release, () => {
    released = true;
  });
  await condition(() => value >= 10);
  await condition(allHandlersFinished);
  return value;
}

describe('updates in the runtime', () => {
  it('a validator rejects by throwing; it passes by returning; no handler rejects with the registered names', async () => {
    const r = run({ counter });
    await r.commands([job.start('counter')]);
    const validate = (name: string, ...args: unknown[]) => r.runtime.query({ queryId: 'q', queryType: name, args: args.map(p), update: { updateId: 'u' } });
    expect(validate('add', 0).failure).toMatchObject({ message: 'too small', applicationFailureInfo: { type: 'BadAmount' } });
    expect(validate('add', 1)).toEqual({ queryId: 'q' });
    expect(validate('nope').failure?.message).toBe('No registered handler for update: nope. Registered updates: [add, slow]');
  });

  it('an async validator is accepted, as in Temporal, with one warning; its rejection does not reject the update', async () => {
    const warnings: string[] = [];
    const logger = { log: (level: string, message: string) => void (level === 'WARN' && warnings.push(message)) };
    async function wf(): Promise<void> {
      setHandler(add, () => 1, {
        validator: async (n: number) => {
          if (n < 1) throw new Error('too small');
        },
      });
      await sleep(1000);
    }
    const r = new Run({ wf }, { AsyncLocalStorage, logger });
    await r.commands([job.start('wf')]);
    const validate = (n: number) => r.runtime.query({ queryId: 'q', queryType: 'add', args: [p(n)], update: { updateId: 'u' } });
    expect(validate(0)).toEqual({ queryId: 'q' });
    expect(validate(2)).toEqual({ queryId: 'q' });
    expect(warnings).toEqual([expect.stringContaining("The validator of update 'add' returned a Promise")]);
  });

  it('a validator cannot start a timer: the update is rejected and the run is unchanged', async () => {
    async function wf(): Promise<void> {
      setHandler(add, () => 1, { validator: () => void sleep(10) });
      await sleep(1000);
    }
    const r = run({ wf });
    const first = await r.commands([job.start('wf')]);
    const result = r.runtime.query({ queryId: 'q', queryType: 'add', args: [p(1)], update: { updateId: 'u' } });
    expect(result.failure?.message).toMatch(/cannot be used in a query handler/);
    expect(first).toEqual([{ type: 'StartTimer', timerId: '1', startToFireTimeoutMs: 1000 }]);
    expect(await r.commands([])).toEqual([]);
  });

  it('an accepted update runs its handler and completes with its result; a handler failure completes it with the failure', async () => {
    const r = run({ counter });
    await r.commands([job.start('counter')]);
    const [done] = await r.commands([doUpdate('add', 'u1', 3)]);
    expect(done).toMatchObject({ type: 'CompleteWorkflowUpdate', updateId: 'u1' });
    expect(done?.type === 'CompleteWorkflowUpdate' && 'success' in done.outcome && v(done.outcome.success)).toBe(3);

    async function failing(): Promise<void> {
      setHandler(add, () => {
        throw ApplicationFailure.nonRetryable('refused');
      });
      await sleep(1000);
    }
    const f = run({ failing });
    await f.commands([job.start('failing')]);
    const [failed] = await f.commands([doUpdate('add', 'u2', 1)]);
    expect(failed).toMatchObject({ type: 'CompleteWorkflowUpdate', updateId: 'u2', outcome: { failure: { message: 'refused' } } });
  });

  it('a handler that throws a non-Temporal error fails the workflow task, as a bug', async () => {
    async function buggy(): Promise<void> {
      setHandler(add, () => {
        throw new TypeError('oops');
      });
      await sleep(1000);
    }
    const r = run({ buggy });
    await r.commands([job.start('buggy')]);
    const result = await r.activate([doUpdate('add', 'u1', 1)]);
    expect('failure' in result && result.failure.message).toBe('oops');
  });

  it('an update accepted before its handler is set waits for setHandler', async () => {
    async function late(): Promise<number> {
      await sleep(10);
      let got = 0;
      setHandler(add, (n) => (got = n));
      await condition(() => got > 0);
      return got;
    }
    const r = run({ late });
    await r.commands([job.start('late')]);
    expect(await r.commands([doUpdate('add', 'u1', 4)])).toEqual([]);
    const commands = await r.commands([job.fire('1')]);
    expect(commands.map((c) => c.type)).toEqual(['CompleteWorkflowUpdate', 'CompleteWorkflowExecution']);
  });

  it('allHandlersFinished holds the workflow until a running update handler ends', async () => {
    const r = run({ counter });
    await r.commands([job.start('counter')]);
    expect(await r.commands([doUpdate('slow', 's1'), doUpdate('add', 'u1', 10)])).toEqual([expect.objectContaining({ type: 'CompleteWorkflowUpdate', updateId: 'u1' })]);
    expect(v(r.query('__stack_trace').answer)).toMatch(/^update slow \(s1\) running$/m);
    const commands = await r.commands([job.signal('release')]);
    expect(commands.map((c) => c.type)).toEqual(['CompleteWorkflowUpdate', 'CompleteWorkflowExecution']);
    expect(commands[0]).toMatchObject({ updateId: 's1' });
  });
});
