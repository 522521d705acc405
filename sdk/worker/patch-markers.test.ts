// Tests of patch markers in the history machine: notifyHasPatch before the activation that needs
// it, patched() checks without a marker, and deprecated markers with no command (and vice versa).
import { describe, expect, it } from 'vitest';
import type { Command } from '../../protocol/index.js';
import type { Activation, ActivationResult, QueryRequest, QueryResult } from '../workflow/activation.js';
import { patchMarkerCommand } from '../workflow/patch.js';
import { DeterminismViolationError } from './errors.js';
import { WorkflowRunMachine } from './history-machine.js';
import { patchOfCommand } from './patch-markers.js';
import { HistoryBuilder, ORIGINAL_RUN_ID } from './test-fixtures/history-builder.js';
import type { WorkflowRunContext } from './workflow-sandbox.js';

const RUN = { namespace: 'default', workflowId: 'wf-1', runId: ORIGINAL_RUN_ID };

class ScriptedContext implements WorkflowRunContext {
  readonly activations: Activation[] = [];
  constructor(private readonly script: ActivationResult[]) {}
  async activate(activation: Activation): Promise<ActivationResult> {
    this.activations.push(structuredClone(activation));
    return this.script.shift() ?? { commands: [] };
  }
  async query(request: QueryRequest): Promise<QueryResult> {
    return { queryId: request.queryId };
  }
  dispose(): void {}
}

const timer = (timerId: string): Command => ({ type: 'StartTimer', timerId, startToFireTimeoutMs: 1000 });

function scripted(...script: ActivationResult[]) {
  const context = new ScriptedContext(script);
  return { machine: new WorkflowRunMachine({ ...RUN, context }), context };
}

describe('patch markers', () => {
  it('the marker command carries the patch id and deprecated flag as JSON under patch_data', () => {
    const command = patchMarkerCommand('p-1', true);
    expect(command).toMatchObject({ type: 'RecordMarker', markerName: 'core_patch' });
    expect(patchOfCommand(command)).toEqual({ patchId: 'p-1', deprecated: true });
  });

  it('delivers notifyHasPatch first in the activation of the task that recorded the marker', async () => {
    const commands = [timer('1'), patchMarkerCommand('p-1', false)];
    const { machine, context } = scripted({ commands });
    const h = new HistoryBuilder().started('order');
    h.taskStarted();
    h.recordCompletion(commands);
    await machine.applyHistory(h.events, { mode: 'replay' });
    expect(context.activations[0]!.jobs.map((j) => j.type)).toEqual(['notifyHasPatch', 'startWorkflow']);
    expect(context.activations[0]!.jobs[0]).toEqual({ type: 'notifyHasPatch', patchId: 'p-1' });
  });

  it('tells two patches apart by id', async () => {
    const { machine } = scripted({ commands: [patchMarkerCommand('b', false), patchMarkerCommand('a', false)] });
    const h = new HistoryBuilder().started('order');
    h.taskStarted();
    h.recordCompletion([patchMarkerCommand('a', false), patchMarkerCommand('b', false)]);
    await expect(machine.applyHistory(h.events, { mode: 'replay' })).rejects.toThrow(DeterminismViolationError);
  });

  it('tolerates a deprecated marker without command and a deprecated command without marker', async () => {
    const withMarker = scripted({ commands: [timer('1')] });
    const h = new HistoryBuilder().started('order');
    h.taskStarted();
    h.recordCompletion([patchMarkerCommand('p-1', true), timer('1')]);
    await expect(withMarker.machine.applyHistory(h.events, { mode: 'replay' })).resolves.toBeUndefined();

    const withCommand = scripted({ commands: [patchMarkerCommand('p-1', true), timer('1'), patchMarkerCommand('p-2', true)] });
    const h2 = new HistoryBuilder().started('order');
    h2.taskStarted();
    h2.recordCompletion([timer('1')]);
    await expect(withCommand.machine.applyHistory(h2.events, { mode: 'replay' })).resolves.toBeUndefined();
  });

  it('refuses a marker of a patch that is not deprecated when the code does not call patched()', async () => {
    const { machine } = scripted({ commands: [timer('1')] });
    const h = new HistoryBuilder().started('order');
    h.taskStarted();
    h.recordCompletion([patchMarkerCommand('p-1', false), timer('1')]);
    await expect(machine.applyHistory(h.events, { mode: 'replay' })).rejects.toThrow(/MarkerRecorded\(markerName=core_patch, patchId=p-1\)/);
  });
});

describe('continueAsNewSuggested', () => {
  it('is set on activations from the configured history length on', async () => {
    const context = new ScriptedContext([{ commands: [timer('1')] }, { commands: [] }]);
    const machine = new WorkflowRunMachine({ ...RUN, context, continueAsNewSuggestedAt: 6 });
    const h = new HistoryBuilder().started('order');
    h.taskStarted();
    h.recordCompletion([timer('1')]);
    h.add('TimerFired', { timerId: '1', startedEventId: 5 });
    h.workflowTask();
    await machine.applyHistory(h.events, { mode: 'replay' });
    expect(context.activations.map((a) => [a.historyLength, a.continueAsNewSuggested])).toEqual([
      [3, false],
      [8, true],
    ]);
  });
});
