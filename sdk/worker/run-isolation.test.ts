// The isolation promises of the one vm context all runs share (Temporal's reuseV8Context has the
// same): a run's globals, module state, randomness and clock are its own, a run rebuilt by replay
// gets the same results, and runs whose activations interleave never see each other.
import { describe, expect, it } from 'vitest';
import type { Activation, ActivationResult } from '../workflow/activation.js';
import { fromPayload, payload } from './test-fixtures/history-builder.js';
import { fixtureBundle } from './test-fixtures/fixtures.js';
import { WorkflowSandbox, type WorkflowRunContext } from './workflow-sandbox.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');

interface Probe {
  seenAtStart: { owner: string | null; urlSearchParams: string; starts: number; loadedInRun: boolean };
  after: { owner: string; urlSearchParams: string; url: string; starts: number; microtaskRan: boolean };
  drawn: number[];
  times: number[];
  uuid: string;
  moduleDraw: number;
}

function start(name: string, seed: number, isReplaying = false): Activation {
  return {
    timestamp: T0 + seed,
    isReplaying,
    historyLength: 3,
    jobs: [
      {
        type: 'startWorkflow',
        workflowType: 'isolationProbe',
        args: [payload(name)],
        randomnessSeed: seed,
        info: { namespace: 'default', workflowId: name, runId: `run-${name}`, workflowType: 'isolationProbe', taskQueue: 'q', attempt: 1, firstExecutionRunId: `run-${name}`, workflowTaskTimeoutMs: 10_000, startTime: T0 },
      },
    ],
  };
}

function fire(seed: number, isReplaying = false): Activation {
  return { timestamp: T0 + seed + 5000, isReplaying, historyLength: 8, jobs: [{ type: 'fireTimer', timerId: '1' }] };
}

function commands(r: ActivationResult) {
  if ('failure' in r) throw new Error(`task failed: ${r.failure.message}`);
  return r.commands;
}

function probe(r: ActivationResult): Probe {
  const complete = commands(r).find((c) => c.type === 'CompleteWorkflowExecution');
  if (complete?.type !== 'CompleteWorkflowExecution') throw new Error(`no completion in ${JSON.stringify(r)}`);
  return fromPayload<Probe>(complete.result);
}

async function sandbox(): Promise<WorkflowSandbox> {
  return new WorkflowSandbox((await fixtureBundle('workflows.ts')).code, { logger: { log: () => {} } });
}

/** One run of isolationProbe alone, in a sandbox of its own: what every run must see. */
async function alone(name: string, seed: number): Promise<Probe> {
  const run = (await sandbox()).createRunContext({ workflowId: name });
  commands(await run.activate(start(name, seed)));
  return probe(await run.activate(fire(seed)));
}

describe('runs sharing one sandbox context', () => {
  it('see only their own globals and module state, even when their activations interleave', async () => {
    const sb = await sandbox();
    const runs: Array<[string, number, WorkflowRunContext]> = ['a', 'b', 'c'].map((name, i) => [name, i + 1, sb.createRunContext({ workflowId: name })]);
    // All three started (each leaves its marks), then all three resumed, in another order.
    for (const [name, seed, run] of runs) commands(await run.activate(start(name, seed)));
    const results = new Map<string, Probe>();
    for (const [name, seed, run] of [...runs].reverse()) results.set(name, probe(await run.activate(fire(seed))));
    for (const [name] of runs) {
      const p = results.get(name)!;
      expect(p.seenAtStart).toEqual({ owner: null, urlSearchParams: 'function', starts: 1, loadedInRun: false });
      expect(p.after).toEqual({ owner: name, urlSearchParams: `replaced by ${name}`, url: 'undefined', starts: 1, microtaskRan: true });
    }
    // A run made after them all starts from the pristine global, with fresh module state.
    const late = sb.createRunContext({ workflowId: 'late' });
    expect(commands(await late.activate(start('late', 9)))).toEqual([expect.objectContaining({ type: 'StartTimer', timerId: '1' })]);
    const lateProbe = probe(await late.activate(fire(9)));
    expect(lateProbe.seenAtStart).toEqual({ owner: null, urlSearchParams: 'function', starts: 1, loadedInRun: false });
    // Module-level draws come from the same fixed seed in every run (and so replay).
    expect(new Set([...results.values(), lateProbe].map((p) => p.moduleDraw)).size).toBe(1);
    expect(lateProbe.moduleDraw).toBe((await alone('solo', 1)).moduleDraw);
  });

  it("share one evaluation of Keel's own workflow modules, while each run evaluates its own user modules", async () => {
    const sb = await sandbox();
    const global = (sb as unknown as { global: Record<string, unknown> }).global;
    // Evaluated by the sandbox's first call, before any run; not a run's own global.
    const sdk = global.__keelSdkModules;
    expect(sdk).toEqual(expect.objectContaining({ workflow: expect.anything(), common: expect.anything(), runtime: expect.anything() }));
    expect(Object.keys(global)).not.toContain('__keelSdkModules');
    const [a, b] = ['a', 'b'].map((name) => sb.createRunContext({ workflowId: name }));
    commands(await a!.activate(start('a', 1)));
    commands(await b!.activate(start('b', 2)));
    expect(global.__keelSdkModules).toBe(sdk);
    // The user module's state is still per run (its counter of starts is 1 in each).
    expect(probe(await a!.activate(fire(1))).after.starts).toBe(1);
    expect(probe(await b!.activate(fire(2))).after.starts).toBe(1);
  });

  it('draw the random numbers and read the clock of their own seed and activations', async () => {
    const sb = await sandbox();
    const a = sb.createRunContext({ workflowId: 'a' });
    const b = sb.createRunContext({ workflowId: 'b' });
    // Activations of a and b started together: b's draws come between a's.
    await Promise.all([a.activate(start('a', 1)), b.activate(start('b', 2))]);
    const [pa, pb] = await Promise.all([a.activate(fire(1)), b.activate(fire(2))]);
    const [soloA, soloB] = [await alone('a', 1), await alone('b', 2)];
    expect(probe(pa)).toEqual(soloA);
    expect(probe(pb)).toEqual(soloB);
    expect(soloA.drawn).not.toEqual(soloB.drawn);
    expect(soloA.times).toEqual([T0 + 1, T0 + 1 + 5000]);
  });

  it('rebuild an evicted run by replay to the same results', async () => {
    const sb = await sandbox();
    const first = sb.createRunContext({ workflowId: 'a' });
    const scheduled = commands(await first.activate(start('a', 7)));
    const completed = commands(await first.activate(fire(7)));
    first.dispose();
    // Other runs use the context meanwhile.
    await alone('other', 3);
    const other = sb.createRunContext({ workflowId: 'other' });
    commands(await other.activate(start('other', 3)));
    const replayed = sb.createRunContext({ workflowId: 'a' });
    expect(commands(await replayed.activate(start('a', 7, true)))).toEqual(scheduled);
    expect(commands(await replayed.activate(fire(7, true)))).toEqual(completed);
  });
});
