/**
 * A run kept in memory between changes (src/storage/workflow-store.ts): each change gets a copy of
 * the run the last change wrote instead of parsing its rows back. What memory hands out must be what
 * storage holds, and no change may reach the kept run.
 */
import { describe, expect, it } from 'vitest';
import type { RunState } from '../../src/engine/run-state.js';
import { WorkflowStore } from '../../src/storage/workflow-store.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { NS, call, completeWorkflowTask, hostStorage, inWorkflow, json, ok, pollActivityTask, scheduleActivityCommand, sendSignal, startAndTakeFirstTask } from './helpers.js';

const storeOf = (o: WorkflowHost) => (o as unknown as { store: WorkflowStore }).store;

/** The run as this workflow's store hands it to a change (from memory), and as storage holds it (a store that reads it afresh). */
const memoryAndDisk = (workflowId: string, runId: string) =>
  inWorkflow(NS, workflowId, (o: WorkflowHost, state) => [storeOf(o).loadRun(runId), new WorkflowStore(state.storage, undefined, hostStorage(o).scope).loadRun(runId)] as [RunState, RunState]);

describe('a run kept in memory between changes', () => {
  it('is handed to each change of a W1 as storage holds it, a copy of its own each time', async () => {
    const { workflowId, taskQueue, runId, task } = await startAndTakeFirstTask('run-cache-w1');
    const check = async () => {
      const [memory, disk] = await memoryAndDisk(workflowId, runId);
      expect(memory).toStrictEqual(disk);
      const [a, b, kept] = await inWorkflow(NS, workflowId, (o: WorkflowHost) => [storeOf(o).loadRun(runId)!, storeOf(o).loadRun(runId)!, storeOf(o).viewRun(runId)!]);
      expect(a).not.toBe(b);
      expect(a).not.toBe(kept);
      expect(a.activities).not.toBe(kept.activities);
    };
    await check();
    await completeWorkflowTask(task.taskToken, [scheduleActivityCommand('a1', { taskQueue, input: [json('x')], startToCloseTimeoutMs: 10_000 })], { requestId: crypto.randomUUID() });
    await check();
    await sendSignal(workflowId, 'ping', [json('s')]);
    await check();
    const act = (await pollActivityTask(taskQueue))!;
    await ok('POST', '/activity-tasks/complete', { taskToken: act.taskToken, result: json('done'), identity: 'w', requestId: crypto.randomUUID() });
    await check();
  });

  it('a change to the kept run after its write (which storage would not see) fails the next change that copies it, and memory is read again from storage', async () => {
    const { workflowId, runId } = await startAndTakeFirstTask('run-cache-guard');
    await inWorkflow(NS, workflowId, (o: WorkflowHost) => void (storeOf(o).viewRun(runId)!.attempt = 99));
    // KEEL_CHECK_RUN_CACHE (vitest.config.ts) checks the copy against the rows it was written as.
    const refused = await call('POST', `/workflows/${workflowId}/signal`, { signalName: 'ping', input: [] });
    expect(refused.status).toBe(500);
    const [memory, disk] = await memoryAndDisk(workflowId, runId);
    expect(memory.attempt).toBe(1);
    expect(memory).toStrictEqual(disk);
    await sendSignal(workflowId);
  });
});
