/**
 * The current run of a workflow in a shard: `m/current` names it, but a workflow's first run writes no
 * such row (WorkflowStore.currentRow): with none, the workflow's one run is current and its namespace
 * and id are the workflow's name — also when read back from storage after a restart. A second run
 * (continue-as-new, a new start after the first closed) writes the row, as every new current run did.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { StateTable } from '../../src/storage/state-table.js';
import { WorkflowStore } from '../../src/storage/workflow-store.js';
import type { WorkflowObject } from '../../src/workflow-object.js';
import { completeWorkflowTask, getDescription, hostStorage, inWorkflow, json, NS, ok, pollWorkflowTask, restart, sendSignal, settle, startWorkflow, stateRows, unique, wfObject } from './helpers.js';

const currentRow = async (workflowId: string) => (await stateRows(workflowId, 'm/')).find((r) => r.k === 'm/current');

/** A workflow whose one run completed, then read back from storage (its object restarted). */
async function completedAndReadBack(name: string): Promise<{ wid: string; tq: string; runId: string }> {
  const wid = unique(name);
  const tq = unique(`${name}-tq`);
  const { runId } = await startWorkflow(wid, tq);
  await completeWorkflowTask((await pollWorkflowTask(tq))!.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }]);
  await restart(wid);
  return { wid, tq, runId };
}

describe('the current run of a workflow in a shard', () => {
  it('a first run writes no current-run row: it is current and names the workflow, from memory and read back after a restart', async () => {
    const wid = unique('first-run');
    const tq = unique('first-run-tq');
    const { runId } = await startWorkflow(wid, tq);
    expect(await currentRow(wid)).toBeUndefined();
    expect((await getDescription(wid)).execution.runId).toBe(runId);
    // As the store says them, from memory (it holds every row) and read back by a store of its own.
    const said = (store: WorkflowStore) => ({ runId: store.currentRunId(), name: store.meta('name') });
    const expected = { runId, name: JSON.stringify([NS, wid]) };
    expect(await inWorkflow(NS, wid, (host) => said((host as unknown as { store: WorkflowStore }).store))).toEqual(expected);
    expect(await inWorkflow(NS, wid, (host, state) => said(new WorkflowStore(state.storage, undefined, hostStorage(host).scope, hostStorage(host).tables)))).toEqual(expected);

    await restart(wid);
    // Woken with no name (as its alarm wakes it): the name is its run's.
    expect(await runInDurableObject(wfObject(wid), (o: WorkflowObject) => o.host(wid).names)).toEqual({ namespace: NS, workflowId: wid });
    expect((await getDescription(wid)).execution.runId).toBe(runId);
    await sendSignal(wid, 'ping');
    const task = (await pollWorkflowTask(tq))!;
    expect(task.workflowExecution.runId).toBe(runId);
    await completeWorkflowTask(task.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }]);
    expect((await getDescription(wid)).status).toBe('COMPLETED');
    expect(await currentRow(wid)).toBeUndefined();
  });

  it('a second run writes the row: after continue-as-new, and after a new start of a closed workflow, the new run is current, also after a restart', async () => {
    const wid = unique('second-run');
    const tq = unique('second-run-tq');
    const { runId: first } = await startWorkflow(wid, tq);
    await completeWorkflowTask((await pollWorkflowTask(tq))!.taskToken, [{ type: 'ContinueAsNewWorkflowExecution', input: [json('next')] }]);
    await settle(wid);
    const second = (await getDescription(wid)).execution.runId as string;
    expect(second).not.toBe(first);
    expect(JSON.parse((await currentRow(wid))!.v)).toEqual({ runId: second, name: JSON.stringify([NS, wid]) });
    await restart(wid);
    expect((await getDescription(wid)).execution.runId).toBe(second);

    await completeWorkflowTask((await pollWorkflowTask(tq))!.taskToken, [{ type: 'CompleteWorkflowExecution', result: json('done') }]);
    const { runId: third } = await startWorkflow(wid, tq);
    expect(JSON.parse((await currentRow(wid))!.v)).toMatchObject({ runId: third });
    await restart(wid);
    expect((await getDescription(wid)).execution.runId).toBe(third);
    expect(await runInDurableObject(wfObject(wid), (o: WorkflowObject) => o.host(wid).names)).toEqual({ namespace: NS, workflowId: wid });
  });

  it('deleting the only run of a workflow read back from storage keeps its name: the row is written naming it, with no current run', async () => {
    const { wid, runId } = await completedAndReadBack('only-deleted');
    // In a transaction rolled back at its end: the shard would empty the scope next, when nothing else waits.
    const after = await inWorkflow(NS, wid, (host, state) => {
      const store = new WorkflowStore(state.storage, undefined, hostStorage(host).scope, hostStorage(host).tables);
      let seen: unknown;
      try {
        state.storage.transactionSync(() => {
          store.deleteRun(runId);
          const row = new StateTable(state.storage.sql, [], hostStorage(host).scope, undefined, hostStorage(host).tables).get('m/current');
          seen = { row: row && JSON.parse(row.v), runId: store.currentRunId(), name: store.meta('name') };
          throw new Error('roll back');
        });
      } catch {
        // rolled back
      }
      return seen;
    });
    expect(after).toEqual({ row: { name: JSON.stringify([NS, wid]) }, runId: undefined, name: JSON.stringify([NS, wid]) });
  });

  it('a workflow read back from storage (its store did not find it new) writes the row for its next run, as before', async () => {
    const { wid, tq, runId } = await completedAndReadBack('reread');
    // Its store read it back (not new to the shard): a new run writes the row naming it.
    const { runId: next } = await ok<{ runId: string }>('POST', '/workflows', { workflowId: wid, workflowType: 'order', taskQueue: tq, input: [] });
    expect(next).not.toBe(runId);
    expect(JSON.parse((await currentRow(wid))!.v)).toEqual({ runId: next, name: JSON.stringify([NS, wid]) });
    expect(await inWorkflow(NS, wid, (host) => host.names.workflowId)).toBe(wid);
  });
});
