// A client's `execute` lets the service keep its run in memory until it closes (protocol 9,
// src/workflow-object/provisional.ts): nobody was told of the start. `keel dev` killed with SIGKILL
// before then loses the run whole; restarted, it has no such run, and `execute`, finding it gone,
// starts it again: the caller gets its result, the activity having run twice.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Context } from 'keel/activity';
import { Client, WorkflowNotFoundError } from 'keel/client';
import { NativeConnection, Worker } from 'keel/worker';
import { KeelDev } from './fixtures/keel-cli.js';
import { keelHistory } from './fixtures/keel-history.js';
import { waitFor } from './fixtures/wait.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/provisional-workflows.ts', import.meta.url));
const taskQueue = 'provisional';
// Long enough that the kill surely comes while the run is held: the hold is not what is tested.
const env = { KEEL_PROVISIONAL_MS: '60000' };
const dataDir = mkdtempSync(path.join(tmpdir(), 'keel-provisional-'));
let dev: KeelDev | undefined;

afterAll(async () => {
  await dev?.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** An activity whose first attempt waits for `release`; later ones answer at once. `attempts`: each attempt's run id. */
function heldActivity() {
  const attempts: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const activities = {
    async heldStep(order: string): Promise<string> {
      attempts.push(Context.current().info.workflowExecution.runId);
      if (attempts.length === 1) await released;
      return `shipped ${order}`;
    },
  };
  return { attempts, release, activities };
}

/** Resolves once nothing listens on `port` (the killed service's workerd has gone with it). */
const portFree = (port: number) => new Promise<boolean>((resolve) => connect(port, '127.0.0.1').once('error', () => resolve(true)).once('connect', function (this: import('node:net').Socket) { this.destroy(); resolve(false); }));

describe('execute, with the service killed before its run was written', () => {
  it('starts the workflow again and returns its result', async () => {
    dev = await KeelDev.start({ dataDir, env });
    const { port } = dev;
    const { attempts, release: releaseFirst, activities } = heldActivity();
    // The client shares the worker's connection, so the start is eager: the service holds the run.
    const connection = await NativeConnection.connect({ address: dev.address });
    const worker = await Worker.create({ connection, taskQueue, workflowsPath, activities, shutdownSignals: [] });
    const client = new Client({ connection });
    const running = worker.run();
    try {
      const result = client.workflow.execute('heldOrder', { taskQueue, workflowId: 'provisional-1', args: ['o-1'], requestEagerStart: true });
      await waitFor('the activity to be under way', () => attempts.length === 1);

      expect(await dev.stop('SIGKILL')).toBe(null);
      await waitFor('the port to be free', () => portFree(port));
      dev = await KeelDev.start({ dataDir, port, env });
      // The first attempt's completion reaches a service that never heard of its run.
      releaseFirst();

      expect(await result).toBe('shipped o-1');
      expect(attempts).toHaveLength(2);
      expect(attempts[1]).not.toBe(attempts[0]);
      // The workflow has the one run the second start made, and nothing of the lost one.
      const { events } = await client.workflow.getHandle('provisional-1').fetchHistory().then(keelHistory);
      expect(events.at(-1)?.eventType).toBe('WorkflowExecutionCompleted');
      expect((await client.workflow.getHandle('provisional-1').describe()).runId).toBe(attempts[1]);
      await expect(client.workflow.getHandle('provisional-1', attempts[0]).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    } finally {
      worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
    }
  });

  it('does not start again a run that was written and then deleted: execute says it is not found', async () => {
    dev ??= await KeelDev.start({ dataDir, env });
    const { attempts, release, activities } = heldActivity();
    const connection = await NativeConnection.connect({ address: dev.address });
    const worker = await Worker.create({ connection, taskQueue: 'provisional-deleted', workflowsPath, activities, shutdownSignals: [] });
    const client = new Client({ connection });
    const running = worker.run();
    try {
      // Its outcome taken at once: it fails as soon as the deletion reaches the waiting result.
      const outcome = client.workflow.execute('heldOrder', { taskQueue: 'provisional-deleted', workflowId: 'provisional-deleted-1', args: ['o-2'], requestEagerStart: true }).then(
        () => undefined,
        (err: unknown) => err,
      );
      await waitFor('the activity to be under way', () => attempts.length === 1);
      // A describe writes the held run; the deletion then removes it while execute waits.
      const handle = client.workflow.getHandle('provisional-deleted-1');
      expect((await handle.describe()).status.name).toBe('RUNNING');
      await connection.call('deleteWorkflow', { reason: 'cleanup' }, { namespace: 'default', params: { workflowId: 'provisional-deleted-1' } });
      expect(await outcome).toBeInstanceOf(WorkflowNotFoundError);
      release();
      expect(attempts).toHaveLength(1);
    } finally {
      worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
    }
  });
});
