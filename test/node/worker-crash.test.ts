// A worker killed with SIGKILL loses nothing: a second worker finishes the workflow with the same
// result, re-running only what the dead worker had not finished.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import { createCrashActivities, parseMarker, type Marker } from './fixtures/crash-activities.js';
import { proceed, threeSteps } from './fixtures/crash-workflows.js';
import { waitFor } from './fixtures/wait.js';
import { keelHistory } from './fixtures/keel-history.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const workflowsPath = fileURLToPath(new URL('./fixtures/crash-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;
let markerRoot: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
  markerRoot = mkdtempSync(path.join(tmpdir(), 'keel-crash-'));
});
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});
afterAll(async () => {
  await env?.teardown();
  if (markerRoot) rmSync(markerRoot, { recursive: true, force: true });
});

/** Starts test/node/fixtures/worker-process.ts in its own process; its output is kept for failure messages. */
function spawnWorker(taskQueue: string, markerDir: string, hangOn?: string): { child: ChildProcess; output: () => string } {
  const args = ['--import', 'tsx', 'test/node/fixtures/worker-process.ts', env.address, taskQueue, markerDir, ...(hangOn ? [hangOn] : [])];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  expect(child.kill('SIGKILL')).toBe(true);
  await exited;
  expect(child.signalCode).toBe('SIGKILL');
}

function markers(markerDir: string): Marker[] {
  return readdirSync(markerDir)
    .map(parseMarker)
    .sort((a, b) => a.step.localeCompare(b.step) || a.attempt - b.attempt);
}

const startOptions = (taskQueue: string, workflowId: string) => ({
  taskQueue,
  workflowId,
  // A workflow task lost with the killed worker is retried after 1 s instead of 10.
  workflowTaskTimeout: '1s',
});

describe('a worker killed with SIGKILL', () => {
  it('mid-activity: a second worker retries the activity and finishes the workflow with the same result', async () => {
    const taskQueue = 'crash-mid-activity';
    const markerDir = path.join(markerRoot, taskQueue);
    const { child, output } = spawnWorker(taskQueue, markerDir, 'two');
    const handle = await env.client.workflow.start(threeSteps, startOptions(taskQueue, 'crash-mid-activity-1'));
    await handle.signal(proceed);

    // Wait until the child is inside step two (it never returns from its first attempt).
    await waitFor(`the child worker to start step two (output: ${output()})`, () => existsSync(markerDir) && markers(markerDir).some((m) => m.step === 'two'), 30_000);
    await kill(child);

    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities: createCrashActivities({ markerDir }), shutdownSignals: [] });
    const result = await worker.runUntil(handle.result());
    expect(result).toEqual(['done:one', 'done:two', 'done:three']);

    const childPid = child.pid!;
    expect(markers(markerDir)).toEqual([
      { step: 'one', attempt: 1, pid: childPid },
      { step: 'three', attempt: 1, pid: process.pid },
      { step: 'two', attempt: 1, pid: childPid },
      // The attempt the dead worker held timed out (start-to-close) and was retried here.
      { step: 'two', attempt: 2, pid: process.pid },
    ]);
  });

  it('mid-workflow: a second worker replays the history and finishes the workflow with the same result', async () => {
    const taskQueue = 'crash-mid-workflow';
    const markerDir = path.join(markerRoot, taskQueue);
    const { child, output } = spawnWorker(taskQueue, markerDir);
    const handle = await env.client.workflow.start(threeSteps, startOptions(taskQueue, 'crash-mid-workflow-1'));

    // Wait until the child has run steps one and two and the workflow waits for `proceed`: the
    // workflow task after step two completed, and the run is held in the child's cache.
    await waitFor(
      `the workflow to wait for the proceed signal (output: ${output()})`,
      async () => {
        const types = (await handle.fetchHistory().then(keelHistory)).events.map((e) => e.eventType);
        return types.filter((t) => t === 'ActivityTaskCompleted').length === 2 && types.at(-1) === 'WorkflowTaskCompleted';
      },
      30_000,
    );
    await kill(child);
    const killedAt = Date.now();

    // The next workflow task goes to the dead worker's sticky queue first, then to the normal
    // queue, where the new worker replays: at once if a poll the dead worker left open took it
    // (and never acknowledged it), else after the sticky queue's 500 ms schedule-to-start timeout.
    await handle.signal(proceed);
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities: createCrashActivities({ markerDir }), shutdownSignals: [] });
    const result = await worker.runUntil(handle.result());
    expect(result).toEqual(['done:one', 'done:two', 'done:three']);

    const childPid = child.pid!;
    // Steps one and two came from history: nothing ran twice.
    expect(markers(markerDir)).toEqual([
      { step: 'one', attempt: 1, pid: childPid },
      { step: 'three', attempt: 1, pid: process.pid },
      { step: 'two', attempt: 1, pid: childPid },
    ]);
    // No task is recorded as started by the dead worker after its death.
    const startedAfterKill = (await handle.fetchHistory().then(keelHistory)).events.filter((e) => e.eventType === 'WorkflowTaskStarted' && Date.parse(e.eventTime) > killedAt);
    expect(startedAfterKill.length).toBeGreaterThan(0);
    for (const e of startedAfterKill) expect((e.attributes as { identity?: string }).identity).not.toBe(`${childPid}@${hostname()}`);
  });
});
