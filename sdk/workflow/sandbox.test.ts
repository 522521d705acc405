// Tests the runtime bundled and run inside a node:vm context, as the worker runs it: deterministic globals and replay.
import { AsyncLocalStorage } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '../../protocol/commands.js';
import { RUNTIME_GLOBAL, type ActivationJob, type WorkflowRuntimeApi } from './activation.js';
import { T0, drain, job, v } from './test-support/harness.js';

let bundle: vm.Script;

beforeAll(async () => {
  // The same shape of entry as the worker's bundler: the runtime module first, then the workflows.
  const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
  const entry = [
    `import { createRuntime } from ${JSON.stringify(here('./runtime-entry.ts'))};`,
    `import * as workflows from ${JSON.stringify(here('./test-support/sandbox-workflows.ts'))};`,
    `globalThis[${JSON.stringify(RUNTIME_GLOBAL)}] = createRuntime(workflows);`,
  ].join('\n');
  const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: here('.'), loader: 'js' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'neutral',
    target: 'es2022',
    logLevel: 'silent',
  });
  bundle = new vm.Script(result.outputFiles[0]!.text, { filename: 'workflow-bundle.js' });
});

/** A fresh context per run, with the globals the worker gives it. */
function newRun(logs: string[] = []) {
  const context = vm.createContext({ AsyncLocalStorage, TextEncoder, TextDecoder, console: { info: () => undefined } });
  bundle.runInContext(context);
  const runtime = (context as Record<string, unknown>)[RUNTIME_GLOBAL] as WorkflowRuntimeApi;
  runtime.setLogger?.({ log: (level, message) => logs.push(`${level} ${message}`) });
  let historyLength = 0;
  return {
    runtime,
    async activate(timestamp: number, jobs: ActivationJob[], isReplaying = false): Promise<Command[]> {
      historyLength += 3;
      runtime.activate({ timestamp, isReplaying, historyLength, jobs });
      do await drain();
      while (runtime.tryUnblockConditions() > 0);
      const result = runtime.collectCommands();
      if ('failure' in result) throw new Error(result.failure.message);
      return result.commands;
    },
  };
}

async function playDraws(isReplaying: boolean, logs?: string[]): Promise<Command[][]> {
  const run = newRun(logs);
  return [
    await run.activate(T0, [job.start('draws', [], 7)], isReplaying),
    await run.activate(T0 + 5000, [job.fire('1')], isReplaying),
  ];
}

describe('the runtime inside a node:vm context', () => {
  it('gives the same commands and the same random values, dates and UUIDs on replay', async () => {
    const logs: string[] = [];
    const original = await playDraws(false, logs);
    const replay = await playDraws(true);
    expect(replay).toEqual(original);

    expect(original[0]).toEqual([{ type: 'StartTimer', timerId: '1', startToFireTimeoutMs: 5000 }]);
    const scheduled = original[1]![0]!;
    expect(scheduled.type).toBe('ScheduleActivityTask');
    const values = scheduled.type === 'ScheduleActivityTask' ? (v(scheduled.input[0]) as unknown[]) : [];
    const [random1, now1, dateNew, dateString, randomUUID, uuid, random2, now2, workflowId, historyLength, weakRef, viaConstructor] = values;
    expect(random1).toBeTypeOf('number');
    expect(random2).not.toBe(random1);
    expect(now1).toBe(T0);
    expect(dateNew).toBe(T0);
    expect(dateString).toBe(new Date(T0).toString());
    expect(randomUUID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuid).not.toBe(randomUUID);
    expect(now2).toBe(T0 + 5000);
    expect(workflowId).toBe('wf-1');
    expect(historyLength).toBe(6);
    expect(weakRef).toBe('DeterminismViolationError');
    expect(viaConstructor).toBe(T0 + 5000);
    // Logged once, in the original run only.
    expect(logs).toEqual(['INFO drawing']);
  });

  it('draws other values from another seed', async () => {
    const a = newRun();
    const b = newRun();
    await a.activate(T0, [job.start('draws', [], 1)]);
    await b.activate(T0, [job.start('draws', [], 2)]);
    const [ca] = await a.activate(T0, [job.fire('1')]);
    const [cb] = await b.activate(T0, [job.fire('1')]);
    const first = (c: Command | undefined) => (c?.type === 'ScheduleActivityTask' ? (v(c.input[0]) as unknown[])[0] : undefined);
    expect(first(ca)).not.toBe(first(cb));
  });

  it('turns clearTimeout into a withdrawn timer, and answers queries with the activation time', async () => {
    const run = newRun();
    const [done] = await run.activate(T0, [job.start('cleared')]);
    expect(done?.type === 'CompleteWorkflowExecution' && v(done.result)).toBe('cleared');

    const draws = newRun();
    await draws.activate(T0 + 42, [job.start('draws')]);
    expect(v(draws.runtime.query({ queryId: 'q', queryType: 'now', args: [] }).answer)).toBe(T0 + 42);
  });
});
