// Tests of WorkflowSandbox: one context shared by all runs, each isolated (run-isolation.test.ts), the globals it gets, console routing, and the
// activate → drain → collect cycle, with the real runtime.
import { describe, expect, it, vi } from 'vitest';
import type { Activation } from '../workflow/activation.js';
import { WorkflowBundleError } from './errors.js';
import { fromPayload, payload } from './test-fixtures/history-builder.js';
import { fixtureBundle, fixturePath } from './test-fixtures/fixtures.js';
import { bundleWorkflowCode } from './workflow-bundler.js';
import { SANDBOX_GLOBAL_NAMES, WorkflowSandbox, type SandboxLogger } from './workflow-sandbox.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');

function start(workflowType: string, args: unknown[] = [], overrides: Partial<Activation> = {}): Activation {
  return {
    timestamp: T0,
    isReplaying: false,
    historyLength: 3,
    jobs: [
      {
        type: 'startWorkflow',
        workflowType,
        args: args.map(payload),
        randomnessSeed: 42,
        info: {
          namespace: 'default',
          workflowId: `wf-${workflowType}`,
          runId: 'run-1',
          workflowType,
          taskQueue: 'q',
          attempt: 1,
          firstExecutionRunId: 'run-1',
          workflowTaskTimeoutMs: 10_000,
          startTime: T0,
        },
      },
    ],
    ...overrides,
  };
}

function recordingLogger(): SandboxLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (level, message) => void lines.push(`${level}: ${message}`) };
}

async function sandbox(logger = recordingLogger()): Promise<WorkflowSandbox> {
  return new WorkflowSandbox((await fixtureBundle('workflows.ts')).code, { logger });
}

describe('WorkflowSandbox', () => {
  it('runs an activation to its commands, draining every continuation', async () => {
    const run = (await sandbox()).createRunContext();
    const first = await run.activate(start('order', ['o-1']));
    expect(first).toEqual({ commands: [expect.objectContaining({ type: 'ScheduleActivityTask', activityId: '1', activityType: 'charge' })] });
    const second = await run.activate({
      timestamp: T0 + 5000,
      isReplaying: false,
      historyLength: 9,
      jobs: [{ type: 'resolveActivity', activityId: '1', result: { completed: { result: payload('charged o-1') } } }],
    });
    expect(second).toEqual({ commands: [{ type: 'CompleteWorkflowExecution', result: payload('charged o-1') }] });
  });

  it('gives two runs globals that the other does not see', async () => {
    const sb = await sandbox();
    const a = sb.createRunContext({ workflowId: 'a' });
    const b = sb.createRunContext({ workflowId: 'b' });
    const resultOf = async (run: typeof a) => {
      const r = await run.activate(start('globalsProbe'));
      if (!('commands' in r)) throw new Error(`task failed: ${r.failure.message}`);
      const complete = r.commands[0];
      if (complete?.type !== 'CompleteWorkflowExecution') throw new Error('expected completion');
      return fromPayload<{ found: string | null }>(complete.result);
    };
    expect((await resultOf(a)).found).toBeNull();
    expect((await resultOf(b)).found).toBeNull();
  });

  it('has no real timers and no process; setTimeout is the durable one', async () => {
    const run = (await sandbox()).createRunContext();
    const r = await run.activate(start('globalsProbe'));
    const complete = 'commands' in r ? r.commands[0] : undefined;
    expect(complete?.type).toBe('CompleteWorkflowExecution');
    const result = fromPayload<{ setTimeout: string; process: string }>(complete?.type === 'CompleteWorkflowExecution' ? complete.result : undefined);
    expect(result.process).toBe('undefined');
    expect(result.setTimeout).toBe('function'); // installed by the runtime, not Node's
    expect(SANDBOX_GLOBAL_NAMES).not.toContain('setTimeout');
    expect(SANDBOX_GLOBAL_NAMES).toEqual(expect.arrayContaining(['TextEncoder', 'TextDecoder', 'URL', 'console', 'queueMicrotask']));
  });

  it('makes Math.random, Date.now and uuid4 deterministic per seed and activation time', async () => {
    const sb = await sandbox();
    const draw = async () => {
      const r = await sb.createRunContext().activate(start('randomness'));
      const complete = 'commands' in r ? r.commands[0] : undefined;
      return fromPayload<{ random: number; now: number; uuid: string; date: string }>(
        complete?.type === 'CompleteWorkflowExecution' ? complete.result : undefined,
      );
    };
    const [first, second] = [await draw(), await draw()];
    expect(first).toEqual(second);
    expect(first.now).toBe(T0);
    expect(first.date).toBe(new Date(T0).toISOString());
  });

  it('routes console output to the logger, and drops it while replaying', async () => {
    const logger = recordingLogger();
    const sb = await sandbox(logger);
    await sb.createRunContext({ workflowId: 'live' }).activate(start('globalsProbe'));
    expect(logger.lines).toEqual(['INFO: probe found null']);
    await sb.createRunContext({ workflowId: 'replayed' }).activate(start('globalsProbe', [], { isReplaying: true }));
    expect(logger.lines).toHaveLength(1);
  });

  it('returns a workflow bug as the workflow task failure', async () => {
    const run = (await sandbox()).createRunContext();
    const r = await run.activate(start('buggy'));
    expect(r).toEqual({ failure: expect.objectContaining({ message: 'a bug in the workflow' }) });
  });

  it("runs the internals interceptors' dispose when a run is let go of, and does not enter the context for a run without any", async () => {
    const logger = recordingLogger();
    const { code } = await bundleWorkflowCode({ workflowsPath: fixturePath('workflows.ts'), workflowInterceptorModules: [fixturePath('interceptors-dispose.ts')] });
    const withInterceptor = new WorkflowSandbox(code, { logger });
    const run = withInterceptor.createRunContext({ workflowId: 'intercepted' });
    await run.activate(start('order', ['o-1']));
    run.dispose();
    expect(logger.lines).toEqual(['INFO: disposed by the internals interceptor']);

    const plain = await sandbox();
    const calls = vi.spyOn(plain, 'call');
    const bare = plain.createRunContext({ workflowId: 'bare' });
    await bare.activate(start('order', ['o-1']));
    const beforeDispose = calls.mock.calls.length;
    bare.dispose();
    expect(calls.mock.calls.length).toBe(beforeDispose);
    await expect(bare.activate(start('order', ['o-1']))).rejects.toThrow(/disposed/);
  });

  it('re-evaluates conditions only for a run that waits on one, and unblocks them in the activation that makes them true', async () => {
    const sb = await sandbox();
    const calls = vi.spyOn(sb, 'call');
    const run = sb.createRunContext({ workflowId: 'fulfil' });
    const callsOf = async (activation: Activation) => {
      const before = calls.mock.calls.length;
      const result = await run.activate(activation);
      return { result, calls: calls.mock.calls.length - before };
    };
    // No condition yet: activate and collect, no call to re-evaluate conditions.
    expect(await callsOf(start('fulfil', ['o-1']))).toEqual({ result: { commands: [expect.objectContaining({ type: 'ScheduleActivityTask', activityType: 'charge' })] }, calls: 2 });
    const charged = { timestamp: T0 + 1000, isReplaying: false, historyLength: 9, jobs: [{ type: 'resolveActivity' as const, activityId: '1', result: { completed: { result: payload('charged o-1') } } }] };
    // Now waiting on approval: the conditions are re-evaluated (none true), then collected.
    expect(await callsOf(charged)).toEqual({ result: { commands: [] }, calls: 3 });
    // The signal makes the condition true: unblocked, its continuation run, the sleep's timer started.
    const approved = await callsOf({ timestamp: T0 + 2000, isReplaying: false, historyLength: 12, jobs: [{ type: 'signalWorkflow', signalName: 'approve', args: [payload(true)] }] });
    expect(approved.result).toEqual({ commands: [expect.objectContaining({ type: 'StartTimer', startToFireTimeoutMs: 5000 })] });
  });

  it('refuses a script that does not install the runtime', () => {
    const sb = new WorkflowSandbox('globalThis.somethingElse = 1;');
    expect(() => sb.createRunContext()).toThrow(WorkflowBundleError);
    expect(() => sb.createRunContext()).toThrow(/did not install globalThis.__keelRuntime/);
  });
});
