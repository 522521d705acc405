// `keel workflow update execute|start|result|describe` as a user runs them, against `keel dev`
// with a worker: Temporal CLI's flags, text output by default and `--output json`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from 'keel/client';
import { NativeConnection, Worker } from 'keel/worker';
import { counter } from './fixtures/update-workflows.js';
import { KeelDev, keel } from './fixtures/keel-cli.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/update-workflows.ts', import.meta.url));
const taskQueue = 'cli-update';

let dataDir: string;
let port: number;
let dev: KeelDev | undefined;
let worker: Worker | undefined;
let running: Promise<void> | undefined;
let client: Client;
const env = () => ({ KEEL_ADDRESS: `127.0.0.1:${port}` });
const json = <T>(text: string) => JSON.parse(text) as T;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'keel-cli-update-'));
  dev = await KeelDev.start({ dataDir });
  port = dev.port;
  worker = await Worker.create({ connection: await NativeConnection.connect({ address: dev.address }), taskQueue, workflowsPath, shutdownSignals: [] });
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

describe('keel workflow update …', () => {
  it('execute prints the result; start returns at accepted; result and describe read the update by id', async () => {
    const handle = await client.workflow.start(counter, { taskQueue, workflowId: 'cli-upd', args: [10] });

    const executed = await keel(['workflow', 'update', 'execute', '-w', 'cli-upd', '--name', 'add', '-i', '5', '--update-id', 'cli-add-1'], env());
    expect(executed.stderr).toBe('');
    expect(executed.code).toBe(0);
    expect(executed.stdout).toMatch(/^Update result:\n\s+UpdateId\s+cli-add-1\n\s+Result\s+15\n$/);

    // The same update id again: the first outcome, as JSON.
    const again = await keel(['workflow', 'update', 'execute', '-w', 'cli-upd', '--name', 'add', '-i', '5', '--update-id', 'cli-add-1', '-o', 'json'], env());
    expect(json(again.stdout)).toEqual({ updateId: 'cli-add-1', result: 15 });

    const started = await keel(['workflow', 'update', 'start', '-w', 'cli-upd', '--name', 'addLater', '-i', '2', '--update-id', 'cli-later', '--wait-for-stage', 'accepted', '-o', 'json'], env());
    expect(started.code).toBe(0);
    expect(json(started.stdout)).toEqual({ workflowId: 'cli-upd', runId: handle.firstExecutionRunId, updateId: 'cli-later', stage: 'ACCEPTED' });

    const accepted = await keel(['workflow', 'update', 'describe', '-w', 'cli-upd', '--update-id', 'cli-later'], env());
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/Stage\s+ACCEPTED/);

    await handle.signal('release');
    const result = await keel(['workflow', 'update', 'result', '-w', 'cli-upd', '--update-id', 'cli-later', '--output', 'json'], env());
    expect(json(result.stdout)).toEqual({ updateId: 'cli-later', result: 17 });
    const described = await keel(['workflow', 'update', 'describe', '-w', 'cli-upd', '--update-id', 'cli-later', '-o', 'json'], env());
    expect(json(described.stdout)).toEqual({ workflowId: 'cli-upd', runId: handle.firstExecutionRunId, updateId: 'cli-later', stage: 'COMPLETED', result: 17 });
    await handle.terminate();
  });

  it('a rejected update, a missing stage and an unknown update id fail with one line and the right exit code', async () => {
    const handle = await client.workflow.start(counter, { taskQueue, workflowId: 'cli-upd-bad', args: [0] });
    const rejected = await keel(['workflow', 'update', 'execute', '-w', 'cli-upd-bad', '--name', 'add', '-i', '0'], env());
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toBe('Error: update failed: amount must be at least 1, got 0\n');

    const noStage = await keel(['workflow', 'update', 'start', '-w', 'cli-upd-bad', '--name', 'add', '-i', '1'], env());
    expect(noStage.code).toBe(2);
    expect(noStage.stderr).toMatch(/^Error: required option '--wait-for-stage <stage>' not specified\n$/);

    const unknown = await keel(['workflow', 'update', 'describe', '-w', 'cli-upd-bad', '--update-id', 'nope'], env());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^Error: .*accepted no update with id 'nope'; .* \(UPDATE_NOT_FOUND\)\n$/);
    await handle.terminate();
  });
});
