/**
 * Workers taken for dead (src/engine/hand-off.ts): a task handed to a poll that never acknowledged
 * it went back to its queue. Here the queues are told: the dead worker's other polls end (at the
 * shards too, protocol 6), its sticky queue closes. And before the alarm decides a hand-off is lost, the queues say whether its
 * worker has polled since (alive, only slow to acknowledge).
 */
import type { Env } from '../env.js';
import { dueHandOffs, type WorkerHeardFrom } from '../engine/hand-off.js';
import type { ExecutionStore, LostHandOff } from '../engine/transaction.js';
import { cancelShardPolls } from '../shard-polls.js';
import { taskQueueStub } from '../stubs.js';

export class DeadPolls {
  /** The ending under way; task delivery waits for it. */
  ending: Promise<void> | undefined;

  constructor(
    private readonly env: Env,
    private readonly namespace: () => string,
  ) {}

  /**
   * Tasks went back to their queues because the polls they were handed to were dead. The dead
   * worker's other polls on those queues are ended now, so that they do not take further tasks
   * one by one, and a dead worker's sticky queue is closed: the runs it cached go to their normal
   * queues at once. Best effort: a poll missed here costs one more lost hand-off, caught the same way.
   */
  end(lost: LostHandOff[]): void {
    const ending: Promise<void> = this.endAll(lost).finally(() => {
      if (this.ending === ending) this.ending = undefined;
    });
    this.ending = ending;
  }

  private async endAll(lost: LostHandOff[]): Promise<void> {
    await this.ending;
    for (const l of lost) {
      console.warn(`keel: ${l.kind} task of workflow '${l.workflowId}' (run ${l.runId}) was handed to a poll of ${l.identity ?? 'a worker'} on '${l.taskQueue}' that did not acknowledge it: the worker is taken for dead, the task went back to its queue`);
      try {
        const ns = this.namespace();
        if (l.sticky) await taskQueueStub(this.env, ns, l.taskQueue, 'workflow').closeSticky();
        else if (l.workerStickyQueue && l.pollerId) await taskQueueStub(this.env, ns, l.workerStickyQueue, 'workflow').closeStickyOf(l.pollerId);
        const queues = new Set([l.runTaskQueue, ...(l.sticky ? [] : [l.taskQueue])]);
        if (l.pollerId) {
          const ends = [...queues].flatMap((q) => (['workflow', 'activity'] as const).map((kind) => taskQueueStub(this.env, ns, q, kind).cancelPolls(l.pollerId!)));
          // Its polls at the shards too (protocol 6), each of which would take a first task and lose it.
          await Promise.all([...ends, cancelShardPolls(this.env, ns, l.pollerId)]);
        }
      } catch (err) {
        console.warn(`keel: could not end the dead worker's polls on '${l.taskQueue}'`, err);
      }
    }
  }

  /**
   * Asks the queues whether the workers of the hand-offs due now have polled them since: those are
   * alive, only slow to acknowledge. Asked before the alarm's transaction, which cannot wait for
   * another object.
   */
  async workersHeardFrom(store: ExecutionStore, now: number): Promise<WorkerHeardFrom> {
    const id = store.currentRunId();
    const run = id ? store.loadRun(id) : undefined;
    const due = run ? dueHandOffs(run, now) : [];
    if (due.length === 0) return () => undefined;
    const key = (kind: string, h: { taskQueue: string; pollerId?: string; pollSeq?: number }) => `${kind}\n${h.taskQueue}\n${h.pollerId}\n${h.pollSeq}`;
    const alive = new Map<string, number>();
    await Promise.all(
      due.map(async ({ kind, handOff }) => {
        if (!handOff.pollerId || handOff.pollSeq === undefined) return;
        const polled = await taskQueueStub(this.env, this.namespace(), handOff.taskQueue, kind)
          .heardFrom(handOff.pollerId, handOff.pollSeq)
          .catch(() => undefined);
        if (polled !== undefined) alive.set(key(kind, handOff), polled);
      }),
    );
    return (kind, handOff) => alive.get(key(kind, handOff));
  }
}
