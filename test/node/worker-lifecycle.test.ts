// A worker's life around the service and its own process: it survives a service restart,
// and it shuts down gracefully, finishing what it runs within its grace time.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, Connection } from 'keel/client';
import { startLocalService, type LocalService } from 'keel/testing';
import { NativeConnection, Worker } from 'keel/worker';
import * as activities from './fixtures/activities.js';
import type { ShardChannels } from '../../sdk/client/shard-channels.js';
import { onSamePort } from './fixtures/ports.js';
import { waitFor } from './fixtures/wait.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/workflows.ts', import.meta.url));

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('worker lifecycle', () => {
  it('keeps polling through a service restart and finishes the workflow afterwards; its shard channels close with the service and open again', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'keel-restart-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    let service: LocalService | undefined = await startLocalService({ dataDir });
    const port = Number(service.address.split(':').pop());
    cleanups.push(() => service?.stop());
    const address = service.address;

    const worker = await Worker.create({ connection: await NativeConnection.connect({ address }), taskQueue: 'restart', workflowsPath, activities, shutdownSignals: [] });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });
    const client = new Client({ connection: await Connection.connect({ address }) });

    // A workflow that waits for a signal is in flight when the service goes down.
    const handle = await client.workflow.start('approval', { taskQueue: 'restart', workflowId: 'restart-1' });
    await waitFor('the first workflow task to complete', async () => (await handle.describe()).historyLength >= 4);
    // Its shard polls go over channels (protocol 7), which go down with the service.
    const channels = (worker as unknown as { channels: ShardChannels }).channels;
    await waitFor('a shard channel open', () => channels.openChannels >= 1);
    await service.stop();
    service = undefined;

    service = await onSamePort(() => startLocalService({ port, dataDir }));
    await handle.signal('approve', true);
    expect(await handle.result()).toBe('approved');
    expect(worker.getState()).toBe('RUNNING');
    // The channels closed with the old service and open again to the new one.
    expect(channels.stats.lost).toBeGreaterThanOrEqual(1);
    // A channel opens again on a call to its shard once its back-off is over (lazily): each workflow run
    // here makes such calls, however the run before the restart's tasks happened to travel.
    let runs = 0;
    await waitFor('a shard channel open to the restarted service', async () => {
      if (channels.openChannels >= 1) return true;
      expect(await client.workflow.execute('hello', { taskQueue: 'restart', workflowId: `restart-after-${++runs}`, args: ['again'] })).toBe('Hello, again!');
      return channels.openChannels >= 1;
    });
    expect(channels.stats.opened).toBeGreaterThanOrEqual(2);
  });

  it('runUntil resolves only once its shutdown calls are answered, so the connection may be closed right after', async () => {
    const service = await startLocalService();
    cleanups.push(() => service.stop());
    const connection = await NativeConnection.connect({ address: service.address });
    const order: string[] = [];
    let worker!: Worker;
    const call = connection.call.bind(connection);
    connection.call = (async (endpoint, request, options) => {
      if (endpoint !== 'shutdownWorker') return call(endpoint, request, options);
      const answer = await call(endpoint, request, options);
      // The answer is held until the worker says it stopped, or for 1 s (within the 2 s its shutdown waits).
      await waitFor('the worker to stop', () => worker.getState() === 'STOPPED', 1000).catch(() => undefined);
      order.push('shutdownWorker answered');
      return answer;
    }) as typeof connection.call;
    const warnings: string[] = [];
    const log = { log() {}, trace() {}, debug() {}, info() {}, warn: (message: string) => void warnings.push(message), error: (message: string) => void warnings.push(message) };
    worker = await Worker.create({ connection, taskQueue: 'run-until', workflowsPath, activities, shutdownSignals: [], log });
    const client = new Client({ connection: await Connection.connect({ address: service.address }) });
    expect(await worker.runUntil(client.workflow.execute('hello', { taskQueue: 'run-until', workflowId: 'run-until-1', args: ['Keel'] }))).toBe('Hello, Keel!');
    order.push('runUntil resolved');
    expect(order).toEqual(['shutdownWorker answered', 'runUntil resolved']);
    await connection.close();
    await client.connection.close();
    expect(warnings).toEqual([]);
  });

  it('shuts down on SIGTERM after letting a running activity finish within the grace time', async () => {
    const service = await startLocalService();
    cleanups.push(() => service.stop());
    const client = new Client({ connection: await Connection.connect({ address: service.address }) });
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/graceful-worker.ts', import.meta.url)), service.address], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));

    const handle = await client.workflow.start('slowGreeting', { taskQueue: 'graceful', workflowId: 'graceful-1', args: ['Keel'] });
    await waitFor('the activity to start', () => out.includes('activity started'));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('activity finished');
    expect(out).toContain('worker stopped');

    // The activity's result reached the service before the worker left; a new worker finishes the workflow.
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address: service.address }),
      taskQueue: 'graceful',
      workflowsPath: fileURLToPath(new URL('./fixtures/graceful-workflows.ts', import.meta.url)),
      activities: { slowGreet: async () => 'never called again' },
      shutdownSignals: [],
    });
    expect(await worker.runUntil(handle.result())).toBe('Hello, Keel!');
    // The stopping worker's polls were ended on the service, not abandoned: no task was
    // handed to a poll nobody read, so none had to time out after being started.
    const { events } = await handle.fetchHistory().then(keelHistory);
    expect(events.filter((e) => e.eventType === 'WorkflowTaskTimedOut' && e.attributes.timeoutType === 'START_TO_CLOSE')).toEqual([]);
  });

  it("a stopped worker's cached runs go on at once on another worker: its sticky queue is closed, no task or query waits out the sticky timeout", async () => {
    const service = await startLocalService();
    cleanups.push(() => service.stop());
    const client = new Client({ connection: await Connection.connect({ address: service.address }) });
    const connection = await NativeConnection.connect({ address: service.address });
    const taskQueue = 'sticky-handover';
    const first = await Worker.create({ connection, taskQueue, workflowsPath, activities, shutdownSignals: [], stickyQueueScheduleToStartTimeout: '1 hour' });
    const firstRun = first.run();
    const handle = await client.workflow.start('approval', { taskQueue, workflowId: 'sticky-handover-1' });
    await waitFor('the first worker to cache the run', () => first.cachedWorkflows === 1);
    first.shutdown();
    await firstRun;

    // The run still names the stopped worker's sticky queue; with an hour's sticky timeout, only
    // the closed queue passing the task on lets the second worker finish it.
    const second = await Worker.create({ connection, taskQueue, workflowsPath, activities, shutdownSignals: [] });
    expect(await second.runUntil(async () => {
      // A query, too, goes from the closed sticky queue to the normal one at once.
      expect(await handle.query('status')).toBe('waiting');
      await handle.signal('approve', true);
      return await handle.result();
    })).toBe('approved');
    const { events } = await handle.fetchHistory().then(keelHistory);
    expect(events.map((e) => e.eventType)).not.toContain('WorkflowTaskTimedOut');
  });
});
