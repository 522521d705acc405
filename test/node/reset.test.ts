// Temporal's recovery story, end to end: a worker with a bug fails orders; a fixed worker is
// deployed; `keel workflow reset` (one run, then a batch by --query) replaces each failed run by a
// new run that replays the old history up to its last workflow task and goes on with the fix.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection, WorkflowFailedError } from 'keel/client';
import { NativeConnection, Worker } from 'keel/worker';
import * as activities from './fixtures/activities.js';
import { KeelDev, keel } from './fixtures/keel-cli.js';
import { keelHistory } from './fixtures/keel-history.js';
import { waitFor } from './fixtures/wait.js';

const v1 = fileURLToPath(new URL('./fixtures/reset-workflows-v1.ts', import.meta.url));
const v2 = fileURLToPath(new URL('./fixtures/reset-workflows-v2.ts', import.meta.url));
const taskQueue = 'orders-reset';
const ids = ['reset-order-1', 'reset-order-2', 'reset-order-3'];

let dataDir: string;
let port: number;
let dev: KeelDev | undefined;
let client: Client;
const env = () => ({ KEEL_ADDRESS: `127.0.0.1:${port}` });

async function runWorker(workflowsPath: string): Promise<{ stop: () => Promise<void> }> {
  const worker = await Worker.create({ connection: await NativeConnection.connect({ address: dev!.address }), taskQueue, workflowsPath, activities, shutdownSignals: [] });
  const running = worker.run();
  return {
    stop: async () => {
      worker.shutdown();
      await running;
    },
  };
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'keel-reset-'));
  dev = await KeelDev.start({ dataDir });
  port = dev.port;
  client = new Client({ connection: await Connection.connect({ address: dev.address }) });
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail' && dev) console.error(`keel dev output:\n${dev.output}`);
});

afterAll(async () => {
  await dev?.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('reset', () => {
  it('a bug fails the orders; after deploying the fix, reset replays each to its last workflow task and it completes', async () => {
    const buggy = await runWorker(v1);
    const failedRuns = new Map<string, string>();
    for (const id of ids) {
      const handle = await client.workflow.start('shipOrder', { taskQueue, workflowId: id, args: [id] });
      await handle.signal('approve', 'ada');
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      failedRuns.set(id, handle.firstExecutionRunId);
    }
    await buggy.stop();
    const fixed = await runWorker(v2);
    try {
      // One run, by type, as `temporal workflow reset` does it.
      const one = await keel(['workflow', 'reset', '-w', ids[0]!, '--type', 'LastWorkflowTask', '--reason', 'fixed the shipping bug', '-o', 'json'], env());
      expect(one.stderr).toBe('');
      expect(one.code).toBe(0);
      const { newRunId } = JSON.parse(one.stdout) as { newRunId: string };
      const result = await client.workflow.getHandle(ids[0]!).result();
      expect(result).toBe(`Hello, ${ids[0]}! Hello, shipping ${ids[0]}! approved by ada in run ${newRunId}`);

      // The runs name each other; the new history is the old one's, then the reset.
      const oldRun = await client.workflow.getHandle(ids[0]!, failedRuns.get(ids[0]!)).describe();
      expect(oldRun.raw).toMatchObject({ status: 'FAILED', resetRunId: newRunId });
      const newRun = await client.workflow.getHandle(ids[0]!).describe();
      expect(newRun.raw).toMatchObject({ status: 'COMPLETED', resetFromRunId: failedRuns.get(ids[0]!) });
      const { events } = await client.workflow.getHandle(ids[0]!).fetchHistory().then(keelHistory);
      const reset = events.find((e) => e.eventType === 'WorkflowTaskFailed')!;
      expect(reset.attributes).toMatchObject({ cause: 'RESET_WORKFLOW', baseRunId: failedRuns.get(ids[0]!), newRunId });
      expect((reset.attributes as { failure: { message: string } }).failure.message).toMatch(/: fixed the shipping bug$/);

      // The rest, by a list filter, once confirmed.
      const query = `WorkflowType = 'shipOrder' AND ExecutionStatus = 'Failed' AND WorkflowId != '${ids[0]}'`;
      await waitFor('both failed orders to be listed', async () => (await client.workflow.count(query)).count === 2);
      const unconfirmed = await keel(['workflow', 'reset', '--query', query, '--type', 'LastWorkflowTask', '--reason', 'fixed'], env());
      expect(unconfirmed.code).toBe(2);
      expect(unconfirmed.stderr).toBe('Error: --query matches 2 execution(s); add --yes to reset them\n');
      const batch = await keel(['workflow', 'reset', '--query', query, '--type', 'LastWorkflowTask', '--reason', 'fixed', '--yes'], env());
      expect(batch.stderr).toBe('');
      expect(batch.stdout).toBe('reset: 2 of 2 execution(s) done\n');
      for (const id of ids.slice(1)) expect(await client.workflow.getHandle(id).result()).toMatch(new RegExp(`^Hello, ${id}! Hello, shipping ${id}! approved by ada in run `));
    } finally {
      await fixed.stop();
    }
  });

  it('refuses a point that is not a workflow task boundary, and a reset with neither --event-id nor --type', async () => {
    const refused = await keel(['workflow', 'reset', '-w', ids[1]!, '--event-id', '5', '--reason', 'try'], env());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Error: .*Cannot reset run .* to event 5: a reset point is an event just after a workflow task was scheduled or started/);
    const usage = await keel(['workflow', 'reset', '-w', ids[1]!, '--reason', 'try'], env());
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('Error: give --event-id or --type (one of them)\n');
  });
});
