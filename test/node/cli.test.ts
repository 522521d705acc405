// The `keel` command driven as a user drives it: the built dist/cli/keel.js, `keel dev` as a
// child process on a free port with a temporary data directory, and `keel workflow …` commands
// against it, with a worker polling in this process. `keel dev` is killed with SIGKILL while
// workflows sleep, started again on the same directory, and every workflow completes.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from 'keel/client';
import { PRICES, priceUnits, totalUsd, type ExecutionCost } from '../../protocol/prices.js';
import { NativeConnection, Worker } from 'keel/worker';
import * as activities from './fixtures/activities.js';
import { KeelDev, freePort, keel } from './fixtures/keel-cli.js';
import { waitFor } from './fixtures/wait.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/cli-workflows.ts', import.meta.url));
const taskQueue = 'cli';

let dataDir: string;
let port: number;
let dev: KeelDev | undefined;
let worker: Worker | undefined;
let running: Promise<void> | undefined;
let client: Client;
const env = () => ({ KEEL_ADDRESS: `127.0.0.1:${port}` });

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'keel-cli-'));
  dev = await KeelDev.start({ dataDir });
  port = dev.port;
  worker = await Worker.create({ connection: await NativeConnection.connect({ address: dev.address }), taskQueue, workflowsPath, activities, shutdownSignals: [] });
  running = worker.run();
  client = new Client({ connection: await Connection.connect({ address: dev.address }) });
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail' && dev) console.error(`keel dev output:\n${dev.output}`);
});

afterAll(async () => {
  worker?.shutdown();
  await running?.catch(() => undefined);
  await dev?.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const json = <T>(text: string) => JSON.parse(text) as T;

describe('keel workflow …', () => {
  it('starts a workflow, waits for its result, lists it with a filter and shows its history as JSON', async () => {
    const started = await keel(['workflow', 'start', '--type', 'hello', '--task-queue', taskQueue, '--workflow-id', 'cli-hello', '--input', '"CLI"'], env());
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/WorkflowId\s+cli-hello/);

    const result = await keel(['workflow', 'result', '--workflow-id', 'cli-hello', '--output', 'json'], env());
    expect(result.code).toBe(0);
    expect(json(result.stdout)).toMatchObject({ workflowId: 'cli-hello', status: 'COMPLETED', result: 'Hello, CLI!' });

    const shown = await keel(['workflow', 'show', '--workflow-id', 'cli-hello', '--output', 'json'], env());
    expect(shown.code).toBe(0);
    // Temporal's history JSON form, as `temporal workflow show --output json` prints it, which replays.
    const history = json<{ events: Array<Record<string, unknown> & { eventId: string; eventType: string }> }>(shown.stdout);
    const { events } = history;
    expect(events[0]).toMatchObject({ eventId: '1', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED', workflowExecutionStartedEventAttributes: { workflowType: { name: 'hello' } } });
    expect(events.map((e) => e.eventType)).toContain('EVENT_TYPE_ACTIVITY_TASK_COMPLETED');
    expect(events.at(-1)!.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    await Worker.runReplayHistory({ workflowsPath }, history, 'cli-hello');

    // Summaries reach the visibility store just after the change that made them.
    const listed = await waitFor('cli-hello to be listed as completed', async () => {
      const r = await keel(['workflow', 'list', '--query', "WorkflowType = 'hello' AND ExecutionStatus = 'Completed'", '--output', 'json'], env());
      const rows = json<Array<{ workflowId: string; status: string }>>(r.stdout);
      return rows.some((w) => w.workflowId === 'cli-hello') && rows;
    });
    expect(listed.every((w) => w.status === 'COMPLETED')).toBe(true);
    const table = await keel(['workflow', 'list', '--query', "WorkflowId = 'cli-hello'"], env());
    expect(table.stdout).toMatch(/^Status\s+WorkflowId\s+Type\s+StartTime/);
    expect(table.stdout).toMatch(/COMPLETED\s+cli-hello\s+hello/);
  });

  it('describe shows what a run cost: its billable units priced at the named, dated price table', async () => {
    await keel(['workflow', 'start', '--type', 'hello', '--task-queue', taskQueue, '--workflow-id', 'cli-cost', '--input', '"cost"'], env());
    expect((await keel(['workflow', 'result', '--workflow-id', 'cli-cost'], env())).code).toBe(0);
    const text = await keel(['workflow', 'describe', '-w', 'cli-cost'], env());
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`at ${PRICES.name} (${PRICES.date})`);
    expect(text.stdout).toMatch(/SQLite rows written\s+[1-9]\d*\s+\$0\.0000\d+/);
    const doc = json<{ cost: ExecutionCost }>((await keel(['workflow', 'describe', '-w', 'cli-cost', '-o', 'json'], env())).stdout);
    // The client's start, the worker's completions (as Worker requests, or messages on its shard channels) and this describe reached the run.
    expect(doc.cost.units.workerRequests + doc.cost.units.channelMessages).toBeGreaterThanOrEqual(4);
    expect(text.stdout).toMatch(/Shard channel messages \(Durable Object requests at 20:1\)\s+\d+/);
    expect(doc.cost.units.sqliteRowsWritten).toBeGreaterThan(0);
    expect(doc.cost.units.storedBytes).toBeGreaterThan(0);
    expect(doc.cost.totalUsd).toBeCloseTo(totalUsd(priceUnits(doc.cost.units)), 12);

    // The namespace's month so far includes it (its close summary carries its units).
    const month = new Date().toISOString().slice(0, 7);
    const ns = await keel(['namespace', 'cost'], env());
    expect(ns.code).toBe(0);
    expect(ns.stdout).toMatch(new RegExp(`^Namespace 'default', ${month} so far: \\$[0-9.]+ over [1-9]\\d* runs at `));
    const nsDoc = json<{ runs: number; units: { sqliteRowsWritten: number } }>((await keel(['namespace', 'cost', '--month', month, '-o', 'json'], env())).stdout);
    expect(nsDoc.units.sqliteRowsWritten).toBeGreaterThan(0);
    const bad = await keel(['namespace', 'cost', '--month', 'December'], env());
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/month/);
  });

  it('signals, describes and terminates running workflows; result then fails with exit code 1', async () => {
    for (const id of ['cli-wait-1', 'cli-wait-2']) {
      expect((await keel(['workflow', 'start', '--type', 'waiter', '-t', taskQueue, '-w', id], env())).code).toBe(0);
    }
    const signalled = await keel(['workflow', 'signal', '-w', 'cli-wait-1', '--name', 'finish', '-i', '"done"'], env());
    expect(signalled.code).toBe(0);
    expect(json((await keel(['workflow', 'result', '-w', 'cli-wait-1', '-o', 'json'], env())).stdout)).toMatchObject({ result: 'done' });

    const described = await keel(['workflow', 'describe', '-w', 'cli-wait-2'], env());
    expect(described.stdout).toMatch(/Status\s+RUNNING/);
    const terminated = await keel(['workflow', 'terminate', '-w', 'cli-wait-2', '--reason', 'from the CLI test'], env());
    expect(terminated.code).toBe(0);
    expect(terminated.stdout).toBe('Workflow terminated\n');
    expect(json<{ status: string }>((await keel(['workflow', 'describe', '-w', 'cli-wait-2', '-o', 'json'], env())).stdout).status).toBe('TERMINATED');

    const result = await keel(['workflow', 'result', '-w', 'cli-wait-2'], env());
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/Status\s+TERMINATED/);
    expect(result.stderr).toMatch(/^Error: workflow cli-wait-2 terminated: .*from the CLI test.*\n$/);
  });

  it('terminates every execution a list filter matches, once confirmed with --yes', async () => {
    for (const id of ['cli-batch-1', 'cli-batch-2']) {
      expect((await keel(['workflow', 'start', '--type', 'waiter', '-t', taskQueue, '-w', id], env())).code).toBe(0);
    }
    const query = "WorkflowId STARTS_WITH 'cli-batch-' AND ExecutionStatus = 'Running'";
    await waitFor('both to be listed as running', async () => json<{ count: number }>((await keel(['workflow', 'count', '-q', query, '-o', 'json'], env())).stdout).count === 2);

    const unconfirmed = await keel(['workflow', 'terminate', '--query', query, '--reason', 'batch'], env());
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toBe('Error: --query matches 2 execution(s); add --yes to terminate them\n');

    const confirmed = await keel(['workflow', 'terminate', '--query', query, '--reason', 'batch', '--yes'], env());
    expect(confirmed.code).toBe(0);
    expect(confirmed.stdout).toBe('terminate: 2 of 2 execution(s) done\n');
    for (const id of ['cli-batch-1', 'cli-batch-2']) {
      expect(json<{ status: string }>((await keel(['workflow', 'describe', '-w', id, '-o', 'json'], env())).stdout).status).toBe('TERMINATED');
    }
  });

  it('fails with one line and a non-zero exit code', async () => {
    const missing = await keel(['workflow', 'describe', '-w', 'no-such-workflow'], env());
    expect(missing.code).toBe(1);
    expect(missing.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(missing.stderr).toMatch(/no-such-workflow/);

    const usage = await keel(['workflow', 'start', '-t', taskQueue], env());
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^Error: required option '--type <type>' not specified\n$/);

    const down = await keel(['workflow', 'describe', '-w', 'x', '--address', `127.0.0.1:${await freePort()}`]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^Error: cannot reach the Keel service at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });
});

describe('keel dev', () => {
  it('survives SIGKILL: restarted on the same directory, it keeps every execution and fires the timers that came due while it was down', async () => {
    const sleepMs = 3000;
    const ids = ['cli-sleep-1', 'cli-sleep-2', 'cli-sleep-3'];
    for (const id of ids) {
      expect((await keel(['workflow', 'start', '--type', 'sleeper', '-t', taskQueue, '-w', id, '-i', String(sleepMs)], env())).code).toBe(0);
    }
    // Each is asleep once its timer is in the history.
    for (const id of ids) {
      await waitFor(`${id} to start its timer`, async () => {
        const { events } = await client.workflow.getHandle(id).fetchHistory().then(keelHistory);
        return events.some((e) => e.eventType === 'TimerStarted');
      });
    }
    const killedAt = Date.now();
    expect(await dev!.stop('SIGKILL')).toBe(null);
    // workerd dies with keel dev (it runs under PR_SET_PDEATHSIG on Linux), so the port is free.
    await waitFor('the port to be free', () => new Promise<boolean>((resolve) => connect(port, '127.0.0.1').once('error', () => resolve(true)).once('connect', function (this: import('node:net').Socket) { this.destroy(); resolve(false); })));
    // Stay down until every timer is overdue.
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + sleepMs + 500 - Date.now())));

    dev = await KeelDev.start({ dataDir, port });
    const readyAt = Date.now();
    for (const id of ids) {
      const r = await keel(['workflow', 'result', '-w', id, '-o', 'json'], env());
      expect(r.code, r.stderr).toBe(0);
      expect(json(r.stdout)).toMatchObject({ status: 'COMPLETED', result: `woke after ${sleepMs} ms` });
      const { events } = await client.workflow.getHandle(id).fetchHistory().then(keelHistory);
      const fired = events.find((e) => e.eventType === 'TimerFired')!;
      // Fired by the alarm workerd restored at start, not whenever something else woke the object.
      expect(Date.parse(fired.eventTime) - readyAt).toBeLessThan(2000);
    }
    const completed = await waitFor('the sleepers to be listed as completed', async () => {
      const r = await keel(['workflow', 'count', '--query', "WorkflowType = 'sleeper' AND ExecutionStatus = 'Completed'", '-o', 'json'], env());
      return json<{ count: number }>(r.stdout).count === ids.length;
    });
    expect(completed).toBe(true);
  });

  it('stops on SIGINT with exit code 0, and refuses a data directory another keel dev is using', async () => {
    const busy = await keel(['dev', '--db-dir', dataDir, '--port', '0']);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(new RegExp(`^Error: another keel dev \\(pid ${dev!.pid}, at 127\\.0\\.0\\.1:${port}\\) is using `));

    expect(await dev!.stop('SIGINT')).toBe(0);
    expect(dev!.output).toMatch(/Stopping \(SIGINT\)…\nStopped\./);
    dev = await KeelDev.start({ dataDir, port });
    const r = await keel(['workflow', 'describe', '-w', 'cli-hello', '-o', 'json'], env());
    expect(json<{ status: string }>(r.stdout).status).toBe('COMPLETED');
  });
});
