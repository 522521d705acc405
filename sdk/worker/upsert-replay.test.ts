// Replay of the upsert commands: an upsert matches its event by kind (its values may change
// between versions of the code, as in Temporal), and one missing from the code or from history
// is a determinism violation that names the event or command.
import { describe, expect, it } from 'vitest';
import type { Command } from '../../protocol/index.js';
import type { Activation, ActivationResult, QueryRequest, QueryResult } from '../workflow/activation.js';
import { DeterminismViolationError } from './errors.js';
import { WorkflowRunMachine } from './history-machine.js';
import { HistoryBuilder, ORIGINAL_RUN_ID, payload } from './test-fixtures/history-builder.js';
import type { WorkflowRunContext } from './workflow-sandbox.js';

class ScriptedContext implements WorkflowRunContext {
  constructor(private readonly script: ActivationResult[]) {}
  async activate(_activation: Activation): Promise<ActivationResult> {
    return this.script.shift() ?? { commands: [] };
  }
  async query(request: QueryRequest): Promise<QueryResult> {
    return { queryId: request.queryId };
  }
  dispose(): void {}
}

const machineAnswering = (...script: ActivationResult[]) =>
  new WorkflowRunMachine({ namespace: 'default', workflowId: 'wf-1', runId: ORIGINAL_RUN_ID, context: new ScriptedContext(script) });

/** A history whose first task upserted search attributes then memo, and a second task now running. */
function upsertHistory(): HistoryBuilder {
  const h = new HistoryBuilder().started('order');
  h.taskStarted();
  const completed = h.taskCompleted();
  h.add('UpsertWorkflowSearchAttributes', { searchAttributes: { Stage: 'paid' }, workflowTaskCompletedEventId: completed.eventId });
  h.add('WorkflowPropertiesModified', { upsertedMemo: { progress: payload('paid') }, workflowTaskCompletedEventId: completed.eventId });
  h.signaled('go');
  h.taskStarted();
  return h;
}

const upsert = (searchAttributes: Record<string, unknown>): Command => ({ type: 'UpsertWorkflowSearchAttributes', searchAttributes });
const memo = (upsertedMemo: Record<string, ReturnType<typeof payload> | null>): Command => ({ type: 'ModifyWorkflowProperties', upsertedMemo });

describe('replaying upserts', () => {
  it('matches each upsert command with its event by kind, whatever values the code upserts now', async () => {
    const machine = machineAnswering({ commands: [upsert({ Stage: 'shipped' }), memo({ progress: null })] }, { commands: [] });
    await expect(machine.applyHistory(upsertHistory().events)).resolves.toEqual({ commands: [] });
  });

  it('names the upsert event the code no longer issues', async () => {
    const machine = machineAnswering({ commands: [memo({ progress: payload('paid') })] });
    const err = await machine.applyHistory(upsertHistory().events).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeterminismViolationError);
    expect((err as Error).message).toBe('Nondeterminism at event 5: history recorded UpsertWorkflowSearchAttributes but the workflow issued ModifyWorkflowProperties');
  });

  it('names the upsert command history has no event for', async () => {
    const machine = machineAnswering({ commands: [upsert({ Stage: 'paid' }), memo({ progress: payload('paid') }), upsert({ Extra: 1 })] });
    await expect(machine.applyHistory(upsertHistory().events)).rejects.toThrow('Nondeterminism at event 8: history recorded WorkflowTaskScheduled but the workflow issued UpsertWorkflowSearchAttributes (in the workflow task completed at event 4)');
  });
});
