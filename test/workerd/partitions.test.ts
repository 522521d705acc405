/**
 * A task queue split over partitions (src/task-queue-object.ts, src/task-queue.ts): tasks and
 * polls that land on different partitions still meet, through the root; no task is handed twice
 * when polls and tasks are forwarded; a backlog spread over partitions drains.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { Limits } from '../../protocol/index.js';
import { OFFER_HOLD_MS } from '../../src/engine/run-state.js';
import type { StartedTask } from '../../src/started-task.js';
import { taskQueueStub } from '../../src/stubs.js';
import { SPREAD_FOR_MS, TaskQueue, partitionStub } from '../../src/task-queue.js';
import type { TaskRef } from '../../src/task-token.js';
import type { WorkflowHost } from '../../src/workflow-host.js';
import { NS, advance, eventTypes, freezeQueueClock, history, queueState, settle, startHoldingFirstTask, startWorkflow, stateRows, testEnv, unique, until, wfStub, inWorkflow } from './helpers.js';

const partition = (taskQueue: string, p: number) => partitionStub(testEnv, NS, taskQueue, 'workflow', p);
const workflowIdOf = (t: StartedTask | null) => (t?.kind === 'workflow' ? t.task.workflowExecution.workflowId : undefined);
const starts = async (workflowId: string) => eventTypes(await history(workflowId)).filter((t) => t === 'WorkflowTaskStarted').length;

/** Starts a workflow whose first task is not offered to its queue, and returns that task's ref for the test to add where it wants. */
const heldTask = (prefix: string, taskQueue: string): Promise<TaskRef> => startHoldingFirstTask(unique(prefix), taskQueue);

/** The partitions the root knows hold a backlog (kept in its settings table). */
const rootNotes = (taskQueue: string) =>
  runInDurableObject(partition(taskQueue, 0), (_o, state) => state.storage.sql.exec<{ key: string }>(`SELECT key FROM settings WHERE key LIKE 'backlog/%' ORDER BY key`).toArray().map((r) => r.key));

describe('task queue partitions', () => {
  it('a task added to a partition where no poller waits reaches a poller that polled another partition', async () => {
    const tq = unique('tq');
    const ref = await heldTask('offer', tq);
    const polled = partition(tq, 2).poll('worker-on-2', 5000);
    // Partition 2 has nothing: its poll waits at the root.
    await until(() => queueState(tq), (s) => s.waitingPollers === 1);
    expect((await queueState(tq, 'workflow', 2)).waitingPollers).toBe(0);

    expect(await partition(tq, 1).add(ref)).toBe('delivered');
    expect(workflowIdOf(await polled)).toBe(ref.workflowId);
    for (const p of [0, 1, 2]) expect((await queueState(tq, 'workflow', p)).backlog).toEqual([]);
    expect(await starts(ref.workflowId)).toBe(1);
  });

  it("an idle partition's poller gets the task backlogged on another partition, and the root forgets the drained partition", async () => {
    const tq = unique('tq');
    const ref = await heldTask('pull', tq);
    // No poller anywhere: the root says no, notes partition 1, and the task waits there.
    expect(await partition(tq, 1).add(ref)).toBe('queued');
    expect((await queueState(tq, 'workflow', 1)).backlog).toHaveLength(1);
    expect(await rootNotes(tq)).toEqual(['backlog/1']);

    expect(workflowIdOf(await partition(tq, 3).poll('worker-on-3', 5000))).toBe(ref.workflowId);
    expect((await queueState(tq, 'workflow', 1)).backlog).toEqual([]);
    expect(await rootNotes(tq)).toEqual([]);
    expect(await starts(ref.workflowId)).toBe(1);
  });

  it('a task added twice through different partitions while polls wait at the root is handed to one poll, once', async () => {
    const tq = unique('tq');
    const ref = await heldTask('twice', tq);
    const polls = [partition(tq, 1).poll('worker-a', 1000), partition(tq, 2).poll('worker-b', 1000)];
    await until(() => queueState(tq), (s) => s.waitingPollers === 2);

    expect(await partition(tq, 3).add(ref)).toBe('delivered');
    // The repeat (an outbox re-delivery) reaches the other poll, and the workflow object calls it stale.
    expect(await partition(tq, 0).add(ref)).toBe('stale');
    const got = await Promise.all(polls);
    expect(got.map(workflowIdOf).filter(Boolean)).toEqual([ref.workflowId]);
    expect(got.filter((t) => t === null)).toHaveLength(1);
    expect(await starts(ref.workflowId)).toBe(1);
    for (const p of [0, 1, 2, 3]) expect((await queueState(tq, 'workflow', p)).backlog).toEqual([]);
  });

  it('a partition forwards one poll at a time; the others wait there and get tasks added there', async () => {
    const tq = unique('tq');
    const ref = await heldTask('local', tq);
    const forwarded = partition(tq, 2).poll('worker-a', 1000);
    await until(() => queueState(tq), (s) => s.waitingPollers === 1);
    const local = partition(tq, 2).poll('worker-b', 5000);
    await until(() => queueState(tq, 'workflow', 2), (s) => s.waitingPollers === 1);

    expect(await partition(tq, 2).add(ref)).toBe('delivered');
    expect(workflowIdOf(await local)).toBe(ref.workflowId);
    expect(await forwarded).toBeNull();
  });

  it('tasks spread over four partitions with nobody polling all reach pollers that poll partitions at random', async () => {
    const tq = 'four-partitions-drain';
    // A busy queue's callers: every add and poll to a partition picked at random.
    const busy = { ...testEnv, KEEL_TASK_QUEUE_PARTITIONS: JSON.stringify({ default: 1, queues: { [tq]: 4 }, spreadAbovePerSecond: 0 }) };
    const queue = new TaskQueue(busy, NS, tq, 'workflow', Date.now);
    expect(queue.partitions).toBe(4);
    const refs: TaskRef[] = [];
    for (let i = 0; i < 12; i++) refs.push(await heldTask('spread', tq));
    for (const ref of refs) expect(await queue.add(ref)).toBe('queued');
    const holding = await Promise.all([0, 1, 2, 3].map(async (p) => (await queueState(tq, 'workflow', p)).backlog.length));
    expect(holding.reduce((a, b) => a + b, 0)).toBe(refs.length);

    const got: string[] = [];
    for (let i = 0; i < refs.length; i++) got.push(workflowIdOf(await queue.poll(`worker-${i % 3}`, 5000))!);
    expect(got.sort()).toEqual(refs.map((r) => r.workflowId).sort());
    expect((await queue.describe()).backlogCount).toBe(0);
    for (const ref of refs) expect(await starts(ref.workflowId)).toBe(1);
  });

  it("a busy root's answer spreads the queue's adds and polls for SPREAD_FOR_MS by the clock the caller gives, then they go to the root again", async () => {
    const tq = unique('spread-clock');
    const env = { ...testEnv, KEEL_TASK_QUEUE_PARTITIONS: JSON.stringify({ default: 1, queues: { [tq]: 4 }, spreadAbovePerSecond: 2 }) };
    // The root's load counted in one second of its clock, however slow the machine.
    await freezeQueueClock(tq);
    let now = Date.now();
    const queue = new TaskQueue(env, NS, tq, 'workflow', () => now);
    // Picks at random over four partitions: 50 of them all the root only when not spreading (or at odds of 4^-50).
    const spreading = () => Array.from({ length: 50 }, () => queue.pick()).some((p) => p !== 0);
    expect(spreading()).toBe(false);
    // Three polls at the root in one second: above 2 a second, it answers busy.
    for (let i = 0; i < 3; i++) expect(await queue.poll('spread-worker', 0)).toBeNull();
    expect(spreading()).toBe(true);
    now += SPREAD_FOR_MS - 1;
    expect(spreading()).toBe(true);
    // SPREAD_FOR_MS on by the caller's clock (the wall clock has not moved so far): back to the root.
    now += 1;
    expect(spreading()).toBe(false);
  });

  it('a quiet queue sends every add and poll to its root: the other partitions are never used', async () => {
    const tq = 'four-partitions-quiet';
    const queue = taskQueueStub(testEnv, NS, tq, 'workflow');
    expect(queue.partitions).toBe(4);
    expect(queue.pick()).toBe(0);
    const ids = Array.from({ length: 6 }, () => unique('quiet'));
    for (const id of ids) await startWorkflow(id, tq);
    await Promise.all(ids.map(settle));
    expect((await queueState(tq)).backlog).toHaveLength(ids.length);
    const got: string[] = [];
    for (let i = 0; i < ids.length; i++) got.push(workflowIdOf(await queue.poll('worker', 5000))!);
    expect(got.sort()).toEqual([...ids].sort());
    for (const p of [1, 2, 3]) expect(await queueState(tq, 'workflow', p)).toEqual({ backlog: [], everBacklogged: false, waitingPollers: 0 });
    expect(queue.pick()).toBe(0);
  });

  it('a rate-limited queue hands out no more than its rate, however many partitions its tasks and polls land on', async () => {
    const tq = unique('tq');
    const refs: TaskRef[] = [];
    for (const p of [0, 1, 2, 3]) {
      const ref = await heldTask('rated', tq);
      expect(await partition(tq, p).add(ref)).toBe('queued');
      refs.push(ref);
    }
    // One task per 1,000 s (maxTaskQueueActivitiesPerSecond 0.001): one poll on each partition, and
    // one task in each partition's backlog, yet only one task may go out before the clock moves.
    const rate = 0.001;
    const polls = [0, 1, 2, 3].map((p) => partition(tq, p).poll(`worker-${p}`, 300, undefined, false, undefined, rate));
    const first = (await Promise.all(polls)).map(workflowIdOf).filter(Boolean);
    expect(first).toHaveLength(1);

    // The root's clock passes the next moment: one more task, pulled from a partition's backlog.
    await runInDurableObject(partition(tq, 0), (o) => (o as unknown as { clock: { advance(ms: number): void } }).clock.advance(1_000_000));
    const second = (await Promise.all([1, 2].map((p) => partition(tq, p).poll(`worker-${p}`, 300, undefined, false, undefined, rate)))).map(workflowIdOf).filter(Boolean);
    expect(second).toHaveLength(1);
    const handed = [...first, ...second];
    expect(new Set(handed).size).toBe(2);
    // However long this took, the held tasks' hand-off windows end without sending them again.
    for (const ref of refs) await advance(ref.workflowId, OFFER_HOLD_MS + Limits.handOffAckMs);
    const left = await Promise.all([0, 1, 2, 3].map(async (p) => (await queueState(tq, 'workflow', p)).backlog.length));
    expect(left.reduce((a, b) => a + b, 0)).toBe(refs.length - handed.length);
  });

  it("a worker's polls are ended, and its liveness seen, on every partition", async () => {
    const tq = 'four-partitions-worker';
    const queue = taskQueueStub(testEnv, NS, tq, 'workflow');
    const forwarded = partition(tq, 2).poll('worker', 5000, 'poller-1', true);
    const local = partition(tq, 2).poll('worker', 5000, 'poller-1', true);
    await until(() => Promise.all([queueState(tq), queueState(tq, 'workflow', 2)]), ([root, p2]) => root.waitingPollers === 1 && p2.waitingPollers === 1);

    expect(await queue.heardFrom('poller-1', 0)).toBeGreaterThan(0);
    expect(await queue.heardFrom('poller-2', 0)).toBeUndefined();
    expect((await queue.describe()).pollers.map((p) => p.identity)).toEqual(['worker']);
    expect(await queue.cancelPolls('poller-1')).toEqual({ cancelled: 2 });
    expect(await Promise.all([forwarded, local])).toEqual([null, null]);
  });
});
