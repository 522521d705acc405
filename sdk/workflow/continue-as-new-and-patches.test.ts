// Tests of continueAsNew / makeContinueAsNewFunc and patched / deprecatePatch in the runtime.
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { CancellationScope, ContinueAsNew, continueAsNew, deprecatePatch, makeContinueAsNewFunc, patched, sleep } from './index.js';
import { Run, job, v } from './test-support/harness.js';

const run = (workflows: Record<string, unknown>) => new Run(workflows, { AsyncLocalStorage });

describe('continueAsNew', () => {
  it('closes the run with ContinueAsNewWorkflowExecution carrying the converted arguments, even from inside a scope', async () => {
    async function loop(n: number): Promise<void> {
      await CancellationScope.cancellable(() => continueAsNew<typeof loop>(n + 1));
    }
    const [command, ...rest] = await run({ loop }).commands([job.start('loop', [1])]);
    expect(rest).toEqual([]);
    expect(command).toMatchObject({ type: 'ContinueAsNewWorkflowExecution' });
    expect(command?.type === 'ContinueAsNewWorkflowExecution' && command.input.map(v)).toEqual([2]);
  });

  it('makeContinueAsNewFunc takes the options in wire units; the error is a ContinueAsNew', async () => {
    let caught: unknown;
    async function wf(): Promise<void> {
      const next = makeContinueAsNewFunc<(a: string) => Promise<void>>({ workflowType: 'other', taskQueue: 'q2', workflowRunTimeout: '1 minute', memo: { a: 1 } });
      try {
        await next('x');
      } catch (err) {
        caught = err;
        throw err;
      }
    }
    const [command] = await run({ wf }).commands([job.start('wf')]);
    expect(caught).toBeInstanceOf(ContinueAsNew);
    expect(command).toMatchObject({ type: 'ContinueAsNewWorkflowExecution', workflowType: 'other', taskQueue: 'q2', workflowRunTimeoutMs: 60_000 });
    expect(command?.type === 'ContinueAsNewWorkflowExecution' && v(command.memo!['a']!)).toBe(1);
  });
});

describe('patched', () => {
  it('is true and records a core_patch marker once when not replaying', async () => {
    const seen: boolean[] = [];
    async function wf(): Promise<void> {
      seen.push(patched('p'), patched('p'));
      await sleep(1);
    }
    const commands = await run({ wf }).commands([job.start('wf')]);
    expect(seen).toEqual([true, true]);
    expect(commands.map((c) => c.type)).toEqual(['RecordMarker', 'StartTimer']);
    expect(commands[0]).toMatchObject({ markerName: 'core_patch' });
  });

  it('on replay is true only when history has the marker (notifyHasPatch), and stays as first answered', async () => {
    const seen: boolean[] = [];
    async function wf(): Promise<void> {
      seen.push(patched('p'));
      await sleep(1);
      seen.push(patched('p'));
    }
    const old = run({ wf });
    expect((await old.commands([job.start('wf')], { isReplaying: true })).map((c) => c.type)).toEqual(['StartTimer']);
    expect(await old.commands([job.fire('1')])).toMatchObject([{ type: 'CompleteWorkflowExecution' }]);
    expect(seen).toEqual([false, false]);

    seen.length = 0;
    const recorded = run({ wf });
    const commands = await recorded.commands([{ type: 'notifyHasPatch', patchId: 'p' }, job.start('wf')], { isReplaying: true });
    expect(commands.map((c) => c.type)).toEqual(['RecordMarker', 'StartTimer']);
    expect(seen).toEqual([true]);
  });

  it('deprecatePatch records a deprecated marker when not replaying', async () => {
    async function wf(): Promise<void> {
      deprecatePatch('p');
    }
    const [marker] = await run({ wf }).commands([job.start('wf')]);
    const data = marker?.type === 'RecordMarker' ? marker.details['patch_data']![0]! : undefined;
    expect(JSON.parse(Buffer.from(data!.data, 'base64').toString())).toEqual({ id: 'p', deprecated: true });
  });
});
