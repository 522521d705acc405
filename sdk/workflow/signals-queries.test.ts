// Tests signal delivery (buffered, default handler, failures) and queries (answers, unknown, misuse, __stack_trace).
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import {
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  setDefaultSignalHandler,
  setHandler,
  sleep,
} from './index.js';
import { Run, job, v } from './test-support/harness.js';

const run = (workflows: Record<string, unknown>) => new Run(workflows, { AsyncLocalStorage });
const add = defineSignal<[number]>('add');
const finish = defineSignal('finish');
const total = defineQuery<number>('total');
const scaled = defineQuery<number, [number]>('scaled');

describe('signals', () => {
  it('buffers a signal that arrives before its handler, and delivers it when the handler is set', async () => {
    const seen: number[] = [];
    async function late(): Promise<number[]> {
      await sleep(10);
      setHandler(add, (n) => {
        seen.push(n);
      });
      seen.push(-1); // runs after the buffered signals: setHandler delivered them first
      return seen;
    }
    const r = run({ late });
    await r.commands([job.start('late')]);
    expect(await r.commands([job.signal('add', 1), job.signal('add', 2)])).toEqual([]);
    const [done] = await r.commands([job.fire('1')]);
    expect(done?.type === 'CompleteWorkflowExecution' && v(done.result)).toEqual([1, 2, -1]);
  });

  it('delivers signals that come with the start, whatever the job order', async () => {
    async function counter(): Promise<number> {
      let sum = 0;
      setHandler(add, (n) => {
        sum += n;
      });
      await condition(() => sum >= 5);
      return sum;
    }
    const r = run({ counter });
    const [done] = await r.commands([job.signal('add', 2), job.start('counter'), job.signal('add', 3)]);
    expect(done?.type === 'CompleteWorkflowExecution' && v(done.result)).toBe(5);
  });

  it('sends signals without a handler to the default signal handler', async () => {
    async function wf(): Promise<unknown[]> {
      const got: unknown[] = [];
      setDefaultSignalHandler((name, ...args) => {
        got.push([name, ...args]);
      });
      await condition(() => got.length === 2);
      return got;
    }
    const r = run({ wf });
    await r.commands([job.start('wf'), job.signal('a', 1)]);
    const [done] = await r.commands([job.signal('b', 'x', 'y')]);
    expect(done?.type === 'CompleteWorkflowExecution' && v(done.result)).toEqual([['a', 1], ['b', 'x', 'y']]);
  });

  it('fails the workflow when a signal handler throws an ApplicationFailure', async () => {
    async function wf(): Promise<void> {
      setHandler(finish, () => {
        throw ApplicationFailure.nonRetryable('no more', 'Stop');
      });
      await condition(() => false);
    }
    const r = run({ wf });
    await r.commands([job.start('wf')]);
    expect(await r.commands([job.signal('finish')])).toMatchObject([
      { type: 'FailWorkflowExecution', failure: { message: 'no more', applicationFailureInfo: { type: 'Stop' } } },
    ]);
  });
});

describe('queries', () => {
  async function adder(): Promise<void> {
    let sum = 0;
    setHandler(add, (n) => {
      sum += n;
    });
    setHandler(total, () => sum);
    setHandler(scaled, (k) => sum * k);
    setHandler(defineQuery('bad'), () => Promise.resolve(1) as unknown as number);
    setHandler(defineQuery('sleepy'), () => {
      void sleep(1);
      return 0;
    });
    await condition(() => false);
  }

  it('answers from the current state, with arguments', async () => {
    const r = run({ adder });
    await r.commands([job.start('adder'), job.signal('add', 4)]);
    expect(v(r.query('total').answer)).toBe(4);
    expect(v(r.query('scaled', 10).answer)).toBe(40);
    expect(r.query('total').queryId).toBe('q1');
  });

  it("fails an unknown query with Temporal's message", async () => {
    const r = run({ adder });
    await r.commands([job.start('adder')]);
    expect(r.query('nope').failure?.message).toBe(
      'Workflow did not register a handler for nope. Registered queries: [__stack_trace total scaled bad sleepy]',
    );
  });

  it('fails a query whose handler returns a promise or issues a command, and changes nothing', async () => {
    const r = run({ adder });
    await r.commands([job.start('adder')]);
    expect(r.query('bad').failure?.message).toBe('Query handlers should not return a Promise');
    expect(r.query('sleepy').failure?.message).toBe('A timer cannot be used in a query handler');
    expect(await r.commands([])).toEqual([]);
  });

  it('answers __stack_trace with what the workflow waits for', async () => {
    async function waiting(): Promise<void> {
      await Promise.all([sleep('1s'), condition(() => false)]);
    }
    const r = run({ waiting });
    await r.commands([job.start('waiting'), job.signal('orphan')]);
    expect(v(r.query('__stack_trace').answer)).toBe('timer 1 (1000ms)\ncondition 1\nbuffered signal orphan (no handler)');
  });
});
