// Tests how a workflow ends: completion, FailWorkflowExecution, workflow task failures, nothing after close.
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { ApplicationFailure, defineSignal, setHandler, sleep } from './index.js';
import { Run, job, v } from './test-support/harness.js';

const run = (workflows: Record<string, unknown>) => new Run(workflows, { AsyncLocalStorage });

describe('how a workflow ends', () => {
  it('completes with the converted return value and its arguments', async () => {
    async function add(a: number, b: number): Promise<number> {
      return a + b;
    }
    const [done] = await run({ add }).commands([job.start('add', [2, 3])]);
    expect(done?.type === 'CompleteWorkflowExecution' && v(done.result)).toBe(5);
  });

  it('fails the workflow with FailWorkflowExecution when it throws an ApplicationFailure', async () => {
    async function wf(): Promise<void> {
      await sleep(1);
      throw ApplicationFailure.nonRetryable('out of stock', 'OutOfStock', { sku: 'x' });
    }
    const r = run({ wf });
    await r.commands([job.start('wf')]);
    const [failed] = await r.commands([job.fire('1')]);
    expect(failed).toMatchObject({
      type: 'FailWorkflowExecution',
      failure: { message: 'out of stock', applicationFailureInfo: { type: 'OutOfStock', nonRetryable: true } },
    });
  });

  it('fails the workflow task, not the workflow, when it throws any other error', async () => {
    async function wf(): Promise<void> {
      await sleep(1);
      (undefined as unknown as { x: number }).x;
    }
    const r = run({ wf });
    await r.commands([job.start('wf')]);
    const result = await r.activate([job.fire('1')]);
    expect(result).toMatchObject({ failure: { applicationFailureInfo: { type: 'TypeError' } } });
    expect('failure' in result && result.failure.message).toMatch(/Cannot read properties of undefined/);
  });

  it('fails the workflow task when a synchronous workflow function throws a TypeError', async () => {
    function wf(): never {
      throw new TypeError('bad input');
    }
    expect(await run({ wf }).activate([job.start('wf')])).toMatchObject({ failure: { message: 'bad input' } });
  });

  it('fails the workflow task for an unknown workflow type, naming the registered ones', async () => {
    async function a(): Promise<void> {}
    async function b(): Promise<void> {}
    const result = await run({ a, b, notAWorkflow: { type: 'signal', name: 's' } }).activate([job.start('c')]);
    expect(result).toMatchObject({ failure: { message: 'Workflow type c is not registered; registered: a, b' } });
  });

  it('issues nothing after the close command', async () => {
    async function wf(): Promise<string> {
      setHandler(defineSignal('later'), () => sleep(1));
      return 'done';
    }
    const r = run({ wf });
    expect((await r.commands([job.start('wf')])).map((c) => c.type)).toEqual(['CompleteWorkflowExecution']);
    expect(await r.commands([job.signal('later')])).toEqual([]);
  });
});
