/**
 * TaskQueueObject: one Durable Object per namespace + task queue + kind + partition. Keeps a
 * backlog of task references in SQLite and the long-polling workers in memory. A new task goes
 * straight to a waiting poller when there is one, else into the backlog (a task the workflow object
 * already started, for a moment into memory: src/held-tasks.ts). Before a
 * worker receives a task, the workflow object records it as started and confirms it is
 * still wanted; a stale task is dropped and the next one tried.
 *
 * Partitions (src/task-queue.ts picks one per add and per poll) forward as Temporal's matching
 * service does, toward the root (partition 0), so no task waits in one partition while a poller
 * waits in another:
 * - a task added where no poller waits, to a partition with an empty backlog, is offered to the
 *   root (`offer`), which hands it to a poller waiting there, or notes that this partition now
 *   has a backlog and says no; then it goes into the backlog here;
 * - a poll that finds no task here waits at the root instead (one such poll per partition at a
 *   time; the rest wait here), so pollers gather where offered tasks arrive;
 * - a poll at the root with nothing in its own backlog pulls from the partitions it knows hold
 *   one (`pull`), so an idle partition's pollers drain a busy partition's backlog.
 * A busy queue matches in each partition without forwarding: every partition has pollers waiting.
 */
import { DurableObject } from 'cloudflare:workers';
import { Limits, type ResponseOf } from '../protocol/index.js';
import { isStickyQueueName } from '../protocol/sticky-queue.js';
import { Clock } from './clock.js';
import type { Env } from './env.js';
import type { StartedTask } from './started-task.js';
import { parseTaskQueueName, workflowStub } from './stubs.js';
import { partitionStub } from './task-queue.js';
import type { TaskRef } from './task-token.js';
import { QueueCounters, type QueueCountsSnapshot } from './metrics/queue-counters.js';
import { OFFER_HOLD_MS } from './engine/run-state.js';
import { HAND_OVER_HOLD_MS, HeldTasks, MAX_HELD_OFFERS, startedNow } from './held-tasks.js';
import { queueAnalytics } from './metrics/analytics.js';

export type AddOutcome = 'delivered' | 'queued' | 'stale';
/** `addTask` with a started task: 'taken' when a poll took the started task itself (no `startTask` on the workflow object); else as `add`. */
export type OfferOutcome = AddOutcome | 'taken';

/** Who polls: what the workflow object records of the poller when it starts a task for it. */
interface Polling {
  identity: string;
  pollerId?: string;
  /** Protocol 2: the worker acknowledges each task it is handed (src/engine/hand-off.ts). */
  acknowledges: boolean;
  /** The worker's own sticky queue, closed too when it is found dead on this queue (src/engine/hand-off.ts). */
  stickyTaskQueue?: string;
}

interface Poller extends Polling {
  /** Set while `add` starts a task for this poller: its long poll then waits for that to end. */
  claimed: boolean;
  /** Its long-poll time is up. */
  expired: boolean;
  /** Answers the long poll; only the first answer counts. */
  answer: (task: StartedTask | null) => void;
}

/** Workers (poller ids) whose latest poll is remembered for heardFrom; the longest silent are forgotten first. */
const MAX_POLLERS_REMEMBERED = 10_000;

/** A started backlog row's delete waits at most this long for the backlog's next insert to ride on (see `taken`). */
const TAKEN_FLUSH_MS = 1000;

/** Pollers seen within this window are listed by describe. */
const RECENT_POLLER_MS = 5 * 60 * 1000;

export class TaskQueueObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /**
   * The queue's one clock, which its parts are given: backlog rows' and pollers' stamps, held tasks'
   * times, the rate's spacing and the per-second load it answers (`countRequest`); tests move it.
   * Nothing of it is compared with another object's time or goes to an alarm.
   */
  readonly clock = new Clock();
  private readonly waiting: Poller[] = [];
  private readonly recentPollers = new Map<string, number>();
  /**
   * Poll marks: the clock's time, made strictly increasing here (a later poll has a larger mark),
   * so that within a partition they order polls exactly, and across partitions by time. The mark
   * of each worker's (poller id's) latest poll: a worker that polls is alive (heardFrom).
   */
  private lastMark = 0;
  private readonly lastPollBy = new Map<string, number>();
  /** This object's partition of its queue; 0 is the root. */
  private readonly partition: number;
  /** Polls this partition has forwarded to the root and that wait there now (at most one). */
  private forwardedPolls = 0;
  /** Tasks offered to the root right now; a pull waits for them to land (see `pull`). */
  private readonly offering = new Set<Promise<unknown>>();
  /**
   * The root only: partitions that said they hold a backlog, each with a count of how often, so a
   * pull that found one empty forgets it only if nothing was noted since. Kept in `settings` too
   * (`backlog/<partition>`), so a restarted root still drains them.
   */
  private readonly backlogged = new Map<number, number>();
  /**
   * Rows in the backlog, kept in memory: most polls find it empty, and asking SQLite every
   * time was a quarter of the service's SQLite time (bench/RESULTS.md).
   */
  private backlogSize: number;
  /**
   * Workflow tasks already started that found no poll waiting, in memory (src/held-tasks.ts): the next
   * poll takes them before the backlog. An offer past its time goes to the backlog, answered 'queued'.
   */
  private readonly held = new HeldTasks(this.clock, (expired) => {
    for (const { ref, answer } of expired) {
      this.enqueue(ref);
      answer!('queued');
    }
  });
  /** Whether a poll that acknowledges hand-offs came here: only such polls take an offer as it is, so only then is one held. */
  private acknowledgingPolls = false;
  /**
   * When (the clock's time) a poll that waits last came here, or a poll last took a task. An offer is held only within OFFER_HOLD_MS
   * of it, while a worker's next poll may be on its way: a worker whose poll came back empty may have parked
   * its polls of this queue (protocol 10), and an offer then goes to the backlog at once, whose answer
   * ('queued') makes its shard wake the worker (src/workflow-object/queue-wakes.ts) rather than a second later.
   */
  private pollSeenAt = -Infinity;
  /** Backlog rows being started right now, so two polls never start the same one. */
  private readonly inFlight = new Set<number>();
  /**
   * Backlog rows already started (or found stale) whose DELETE has not been written yet. A delete of
   * its own is a commit of its own (an fsync under `keel dev`), and durability does not need it soon:
   * a row offered again after a restart is one the workflow object calls stale. So the deletes ride on
   * the backlog's next insert (the same commit), or are written together after TAKEN_FLUSH_MS.
   */
  private readonly taken = new Set<number>();
  private takenFlush: ReturnType<typeof setTimeout> | undefined;
  /** A sticky queue whose worker stopped: it sends every task on to its workflow's normal queue. */
  private closed: boolean;
  /**
   * The queue's rate (Temporal's `maxTaskQueueActivitiesPerSecond`): tasks handed out a second,
   * across every worker, as the latest poll carrying it set it. Tasks wait in the backlog for their
   * moment. In memory: after a restart the next such poll sets it again. Kept by the root only: a
   * partition sends every poll that carries a rate on to the root, and the root hands out tasks
   * offered or pulled from partitions under it too, so N partitions never hand out N times the rate.
   */
  private ratePerSecond: number | undefined;
  /** The earliest moment the next task may be handed out under the rate. */
  private nextFreeAt = 0;
  /** Hands backlog tasks to waiting polls once the rate allows the next one. */
  private drainTimer: ReturnType<typeof setTimeout> | undefined;

  /** Counts kept in memory for GET /api/v1/metrics (src/metrics/), and sent to Analytics Engine when bound. */
  private readonly counters: QueueCounters;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.counters = new QueueCounters(this.clock.now(), queueAnalytics(env, parseTaskQueueName(ctx.id.name)));
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS backlog (id INTEGER PRIMARY KEY AUTOINCREMENT, ref TEXT NOT NULL, created_at INTEGER NOT NULL)`);
    this.backlogSize = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM backlog`).one().n;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    this.closed = this.sql.exec(`SELECT 1 FROM settings WHERE key = 'closed'`).toArray().length > 0;
    const names = parseTaskQueueName(ctx.id.name);
    this.partition = names.partition;
    if (this.partition === 0) {
      for (const { key } of this.sql.exec<{ key: string }>(`SELECT key FROM settings WHERE key LIKE 'backlog/%'`)) this.backlogged.set(Number(key.slice('backlog/'.length)), 0);
    }
  }

  /** The next poll mark (see `lastMark`). */
  private mark(): number {
    this.lastMark = Math.max(this.clock.now(), this.lastMark + 1);
    return this.lastMark;
  }

  private partitionStub(partition: number) {
    const { namespace, taskQueue, kind } = parseTaskQueueName(this.ctx.id.name);
    return partitionStub(this.env, namespace, taskQueue, kind, partition);
  }

  private get queueName(): string {
    return parseTaskQueueName(this.ctx.id.name).taskQueue;
  }

  /** Asks the workflow object to start the task for this poll; null when it is stale. */
  private startTask(ref: TaskRef, poller: Polling): Promise<StartedTask | null> {
    return workflowStub(this.env, ref.namespace, ref.workflowId).startTask(ref, poller.identity, this.queueName, {
      acknowledges: poller.acknowledges,
      // A mark taken now: a poll the worker makes after this start, on any partition, is later.
      pollSeq: this.mark(),
      ...(poller.pollerId ? { pollerId: poller.pollerId } : {}),
      ...(poller.stickyTaskQueue ? { stickyTaskQueue: poller.stickyTaskQueue } : {}),
    });
  }

  /**
   * `add` for a caller that picks partitions (src/task-queue.ts), with this object's load (requests
   * a second), from which the caller decides whether to spread over the partitions.
   *
   * `started`: a workflow task the workflow object started in the change that scheduled it, for no
   * worker in particular (src/engine/task-offer.ts). The newest waiting poll that acknowledges
   * hand-offs takes it as it is ('taken'): only such a poll tells the object it has the task. With
   * none waiting here, it is offered on to the root (a partition), then held here for the next poll
   * (`place`), else its ref goes where `add` sends it and whoever polls it starts it as any task.
   */
  async addTask(ref: TaskRef, started?: StartedTask): Promise<{ outcome: OfferOutcome; load: number }> {
    this.countRequest();
    const outcome = await this.add(ref, started);
    return { outcome, load: this.load() };
  }

  /** `poll` for a caller that picks partitions, with the same load as `addTask`. */
  async pollTask(identity: string, waitMs?: number, pollerId?: string, acknowledges?: boolean, stickyTaskQueue?: string, maxTasksPerSecond?: number): Promise<{ task: StartedTask | null; load: number }> {
    this.countRequest();
    const task = await this.poll(identity, waitMs, pollerId, acknowledges, stickyTaskQueue, maxTasksPerSecond);
    return { task, load: this.load() };
  }

  /** Requests in the current second and the one before (what `load` reads). */
  private requestsThisSecond = 0;
  private requestsLastSecond = 0;
  private secondStartedAt = 0;

  /** Counts a request in its second of the queue's clock (a test moves it to roll the second). */
  private countRequest(): void {
    const now = this.clock.now();
    if (now - this.secondStartedAt >= 1000) {
      this.requestsLastSecond = now - this.secondStartedAt < 2000 ? this.requestsThisSecond : 0;
      this.requestsThisSecond = 0;
      this.secondStartedAt = now;
    }
    this.requestsThisSecond++;
  }

  /** Requests a second this object takes: the larger of the current and the last second's count. */
  private load(): number {
    return Math.max(this.requestsThisSecond, this.requestsLastSecond);
  }

  /**
   * Takes a task from a workflow object's outbox. Returns once the task is either with
   * a worker or durably in the backlog, so the outbox row may then be deleted. `started`: the
   * task already started, for a poll that acknowledges (`addTask`).
   */
  async add(ref: TaskRef, started?: StartedTask): Promise<OfferOutcome> {
    if (this.closed) {
      await this.releaseSticky(ref);
      return 'stale';
    }
    this.counters.record({ kind: 'added' });
    this.held.dropSuperseded(ref);
    if (started && this.answerWithStarted(started)) return 'taken';
    // The newest poll first: a worker that went away (killed, or shut down with polls in
    // flight) leaves polls here that nobody will read until their long poll expires, and a
    // task handed to one is lost until its timeout. Live workers poll again all the time,
    // so the newest poll is the likeliest to be read. Under a rate, a task that may not go out
    // yet waits in the backlog for its moment.
    const poller = this.slotFree() ? this.waiting.pop() : undefined;
    if (poller) return this.handTo(poller, ref);
    // No poller here: a partition with an empty backlog offers the task to the root, where
    // other partitions' pollers wait. One with a backlog queues it behind the others (the root
    // already knows of that backlog), so a busy queue does not send every task to the root.
    if (this.partition !== 0 && this.backlogSize === 0 && this.held.size === 0 && this.waiting.length === 0) {
      const offered = this.offerToRoot(ref, started);
      this.offering.add(offered);
      let placed: Awaited<typeof offered>;
      try {
        placed = await offered;
      } finally {
        this.offering.delete(offered);
      }
      return typeof placed === 'string' ? placed : placed.held;
    }
    return this.place(ref, started);
  }

  /**
   * A task no poll takes now. A started one (an offer) is held in memory for the next poll, where polls
   * that acknowledge come and no backlog row waits (so it does not pass older tasks), and under no rate
   * (which hands tasks out from the backlog at its moments): the answer then waits until a poll takes it
   * ('taken', or 'delivered' through `startTask`) or its time (OFFER_HOLD_MS) is up and its ref is in the backlog
   * ('queued'), so the workflow object learns of the backlog as before. Otherwise its ref goes to the
   * backlog now. A held offer lost with this object (a restart) is the workflow object's hand-off window's.
   */
  private place(ref: TaskRef, started?: StartedTask): OfferOutcome | Promise<OfferOutcome> {
    if (started && this.acknowledgingPolls && this.clock.now() - this.pollSeenAt <= OFFER_HOLD_MS && this.ratePerSecond === undefined && this.backlogSize <= this.inFlight.size && this.held.size < MAX_HELD_OFFERS) {
      return new Promise((answer) => this.held.hold(started, ref, OFFER_HOLD_MS, answer));
    }
    this.enqueue(ref);
    return 'queued';
  }

  /** Starts the task for this poller and answers its poll. */
  private async handTo(poller: Poller, ref: TaskRef): Promise<AddOutcome> {
    // Once the workflow object records the task as started it must reach this poller,
    // so the poller is claimed, and its long poll cannot run out, while that happens.
    poller.claimed = true;
    this.takeSlot();
    let task: StartedTask | null;
    try {
      task = await this.startTask(ref, poller);
    } catch (err) {
      this.refundSlot();
      this.release(poller);
      throw err;
    }
    if (!task) {
      this.refundSlot();
      this.release(poller);
      return 'stale';
    }
    this.counters.record({ kind: 'dispatched', waitedMs: 0 });
    poller.answer(task);
    return 'delivered';
  }

  /**
   * A workflow task the workflow object started in its alarm's transaction for this sticky queue's
   * worker (src/engine/sticky-hand-over.ts): the newest waiting poll gets it, else the next poll.
   * False when the queue is closed (its worker stopped): the object sends the task elsewhere.
   */
  handOver(task: StartedTask, ref: TaskRef): boolean {
    if (this.closed) return false;
    this.counters.record({ kind: 'added' });
    // Any poll: the worker that owns this queue said, completing the run's last task, that it acknowledges.
    if (!this.answerWithStarted(task, false)) this.held.hold(task, ref, HAND_OVER_HOLD_MS);
    return true;
  }

  /**
   * Answers the newest waiting poll (`acknowledging`: that acknowledges hand-offs) with a task the
   * workflow object has already started (a sticky hand-over, an offer); false when none waits or the
   * rate says not yet.
   */
  private answerWithStarted(task: StartedTask, acknowledging = true): boolean {
    if (!this.slotFree()) return false;
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const poller = this.waiting[i]!;
      if (acknowledging && !poller.acknowledges) continue;
      this.waiting.splice(i, 1);
      this.takeSlot();
      this.counters.record({ kind: 'dispatched', waitedMs: 0 });
      poller.answer(task);
      return true;
    }
    return false;
  }

  /**
   * The oldest held task still within its time, for this poll: as it is to a poll that acknowledges
   * (or any poll, a sticky hand-over), else started for it by the workflow object as a backlog row is.
   */
  private async takeHeld(poller: Polling): Promise<StartedTask | null> {
    // An offer held before a poll set the queue's rate waits for its moment too (past its time, in the backlog).
    for (let held = this.held.peek(); held && (!held.answer || this.slotFree()); held = this.held.peek()) {
      this.held.take();
      if (held.answer) this.takeSlot();
      let task: StartedTask | null = held.task;
      if (held.answer && !poller.acknowledges) {
        try {
          task = await this.startTask(held.ref, poller);
        } catch (err) {
          // The workflow object could not be reached: the task stays held for the next poll.
          this.refundSlot();
          this.held.putBack(held);
          throw err;
        }
        held.answer(task ? 'delivered' : 'stale');
        if (!task) this.refundSlot();
      } else if (held.answer) {
        task = await startedNow(held.task, this.clock.now(), this.env.KEEL_TOKEN_SECRET);
        held.answer('taken');
      }
      if (task) {
        this.counters.record({ kind: 'dispatched', waitedMs: Math.max(0, this.clock.now() - held.at) });
        return task;
      }
    }
    return null;
  }

  private enqueue(ref: TaskRef): void {
    this.sql.exec(`INSERT INTO backlog (ref, created_at) VALUES (?, ?)`, JSON.stringify(ref), this.clock.now());
    // In the same synchronous stretch, so in the same commit as the insert.
    this.deleteTaken();
    this.backlogSize++;
    if (this.waiting.length > 0) this.scheduleDrain();
  }

  /** `add` in a partition: the root's answer, else the task placed here (`held`: the answer of an offer held here). */
  private async offerToRoot(ref: TaskRef, started?: StartedTask): Promise<OfferOutcome | { held: Promise<OfferOutcome> }> {
    let outcome: OfferOutcome | 'none' = 'none';
    try {
      outcome = await this.partitionStub(0).offer(ref, this.partition, started);
    } catch (err) {
      // The root is unreachable: the task stays here, where this partition's own polls find it.
      console.warn(`keel: task queue '${this.queueName}' partition ${this.partition} could not offer a task to its root; it waits here`, err);
    }
    if (outcome !== 'none') return outcome;
    // A poller may have come here while the root was asked.
    const poller = this.waiting.pop();
    if (poller) return this.handTo(poller, ref);
    const placed = this.place(ref, started);
    return typeof placed === 'string' ? placed : { held: placed };
  }

  /**
   * The root: a partition with no poller of its own offers a task (`started`: already started, for a
   * poll that acknowledges, see `addTask`). A poller waiting here gets it; else the partition is
   * noted as holding a backlog (polls here pull from it) and told 'none'.
   */
  async offer(ref: TaskRef, from: number, started?: StartedTask): Promise<OfferOutcome | 'none'> {
    this.countRequest();
    if (started && this.answerWithStarted(started)) return 'taken';
    // Under a rate the offered task waits in its partition for its moment, pulled from there.
    const poller = this.slotFree() ? this.waiting.pop() : undefined;
    if (poller) return this.handTo(poller, ref);
    this.noteBacklog(from);
    if (this.waiting.length > 0) this.scheduleDrain();
    return 'none';
  }

  private noteBacklog(partition: number): void {
    const notes = this.backlogged.get(partition);
    if (notes === undefined) this.sql.exec(`INSERT OR IGNORE INTO settings (key, value) VALUES (?, '1')`, `backlog/${partition}`);
    this.backlogged.set(partition, (notes ?? 0) + 1);
  }

  /**
   * A partition: the root asks for a task from the backlog here, for a poller waiting there. Tasks
   * being offered to the root land first (in the backlog, if the root said no), so `more` never
   * misses one: the root forgets this partition only when it says there is nothing more.
   */
  async pull(poller: Polling): Promise<{ task: StartedTask | null; more: boolean }> {
    while (this.offering.size > 0) await Promise.allSettled([...this.offering]);
    const task = (await this.takeHeld(poller)) ?? (await this.takeFromBacklog(poller));
    return { task, more: this.backlogSize > this.inFlight.size || this.held.size > 0 || this.offering.size > 0 };
  }

  /** `pullFromPartitions` under the queue's rate: a pulled task takes the root's slot, as its own would. */
  private async pullWithinRate(poller: Polling): Promise<StartedTask | null> {
    if (this.backlogged.size === 0 || !this.slotFree()) return null;
    this.takeSlot();
    let task: StartedTask | null = null;
    try {
      task = await this.pullFromPartitions(poller);
    } finally {
      if (!task) this.refundSlot();
    }
    return task;
  }

  /** The root: a task from a partition that holds a backlog, for this poller; null when none has one. */
  private async pullFromPartitions(poller: Polling): Promise<StartedTask | null> {
    for (const [partition, notes] of [...this.backlogged]) {
      let pulled: { task: StartedTask | null; more: boolean };
      try {
        pulled = await this.partitionStub(partition).pull(poller);
      } catch (err) {
        console.warn(`keel: task queue '${this.queueName}' could not pull from partition ${partition}`, err);
        continue;
      }
      if (!pulled.more && this.backlogged.get(partition) === notes) {
        this.backlogged.delete(partition);
        this.sql.exec(`DELETE FROM settings WHERE key = ?`, `backlog/${partition}`);
      }
      if (pulled.task) return pulled.task;
    }
    return null;
  }

  /** Long-polls for a task: the backlog first, then waits up to the long-poll limit. */
  async poll(identity: string, waitMs: number = Limits.longPollMs, pollerId?: string, acknowledges = false, stickyTaskQueue?: string, maxTasksPerSecond?: number): Promise<StartedTask | null> {
    if (this.closed) return null;
    if (maxTasksPerSecond !== undefined) {
      // The rate holds across partitions because only the root hands out under it.
      if (this.partition !== 0) return this.forwardRated(identity, waitMs, pollerId, acknowledges, stickyTaskQueue, maxTasksPerSecond);
      this.ratePerSecond = maxTasksPerSecond;
    }
    this.recentPollers.set(identity, this.clock.now());
    // A poll that does not wait (a parked worker's check) is no sign of a next one on its way, unless it takes a task.
    if (waitMs > 0) this.pollSeenAt = this.clock.now();
    if (acknowledges) this.acknowledgingPolls = true;
    const mark = this.mark();
    if (pollerId) {
      // Re-inserted, so the map's oldest entries are the longest silent: pruned past a bound.
      this.lastPollBy.delete(pollerId);
      this.lastPollBy.set(pollerId, mark);
      if (this.lastPollBy.size > MAX_POLLERS_REMEMBERED) this.lastPollBy.delete(this.lastPollBy.keys().next().value!);
    }
    const who: Polling = { identity, acknowledges, ...(pollerId ? { pollerId } : {}), ...(stickyTaskQueue && stickyTaskQueue !== this.queueName ? { stickyTaskQueue } : {}) };
    const fromBacklog = (await this.takeHeld(who)) ?? (await this.takeFromBacklog(who)) ?? (this.partition === 0 ? await this.pullWithinRate(who) : null);
    if (fromBacklog) {
      this.pollSeenAt = this.clock.now();
      this.counters.record({ kind: 'poll', gotTask: true });
      return fromBacklog;
    }
    if (this.partition !== 0 && this.forwardedPolls === 0) {
      // Nothing here: this poll waits at the root, where tasks that find no poller in their
      // own partition are offered. Tasks added here meanwhile go there too (no poller waits here).
      this.forwardedPolls++;
      try {
        return (await this.partitionStub(0).pollTask(identity, waitMs, pollerId, acknowledges, stickyTaskQueue, maxTasksPerSecond)).task;
      } catch (err) {
        console.warn(`keel: task queue '${this.queueName}' partition ${this.partition} could not forward a poll to its root; it waits here`, err);
      } finally {
        this.forwardedPolls--;
      }
    }
    return new Promise((resolve) => {
      let answered = false;
      const poller: Poller = {
        ...who,
        claimed: false,
        expired: false,
        answer: (task) => {
          if (answered) return;
          answered = true;
          // One that ran out empty may be the last its worker sends before it parks its polls (protocol 10).
          if (task) this.pollSeenAt = this.clock.now();
          this.counters.record({ kind: 'poll', gotTask: task !== null });
          clearTimeout(timer);
          resolve(task);
        },
      };
      const timer = setTimeout(() => this.expire(poller), waitMs);
      this.waiting.push(poller);
      if (this.backlogSize > this.inFlight.size || this.backlogged.size > 0) this.scheduleDrain();
    });
  }

  /**
   * A partition's poll that carries a rate waits at the root, however many of this partition's
   * polls already do; one the root cannot take answers empty (the worker polls again) rather than
   * take a task here outside the rate.
   */
  private async forwardRated(identity: string, waitMs: number, pollerId: string | undefined, acknowledges: boolean, stickyTaskQueue: string | undefined, maxTasksPerSecond: number): Promise<StartedTask | null> {
    this.recentPollers.set(identity, this.clock.now());
    try {
      return (await this.partitionStub(0).pollTask(identity, waitMs, pollerId, acknowledges, stickyTaskQueue, maxTasksPerSecond)).task;
    } catch (err) {
      console.warn(`keel: task queue '${this.queueName}' partition ${this.partition} could not forward a rate-limited poll to its root`, err);
      return null;
    }
  }

  /**
   * Protocol 3: a poll that takes up to `maxTasks` workflow tasks — the first as `poll` gives it,
   * then those already waiting in the backlog, each started for this poll. Stops adding once the
   * tasks hold `Limits.maxHistoryPageBytes`, so an answer stays far below what one RPC carries.
   */
  async pollMany(identity: string, waitMs: number, pollerId: string | undefined, acknowledges: boolean, maxTasks: number, stickyTaskQueue?: string): Promise<StartedTask[]> {
    const first = await this.poll(identity, waitMs, pollerId, acknowledges, stickyTaskQueue);
    if (!first) return [];
    const tasks = [first];
    const who: Polling = { identity, acknowledges, ...(pollerId ? { pollerId } : {}), ...(stickyTaskQueue && stickyTaskQueue !== this.queueName ? { stickyTaskQueue } : {}) };
    let bytes = 0;
    while (tasks.length < Math.min(maxTasks, Limits.maxTasksPerPoll) && bytes < Limits.maxHistoryPageBytes && !this.closed) {
      const next = (await this.takeHeld(who)) ?? (await this.takeFromBacklog(who));
      if (!next) break;
      tasks.push(next);
      bytes += JSON.stringify(next.task).length;
    }
    return tasks;
  }

  /**
   * Whether the worker with this poller id has polled here since the poll mark `afterMark`: the
   * mark of its latest poll if so. A workflow object asks every partition before it takes the
   * worker for dead (src/engine/hand-off.ts). Forgotten when this object restarts, which only
   * makes a worker look dead whose polls broke with it anyway.
   */
  heardFrom(pollerId: string, afterMark: number): number | undefined {
    const last = this.lastPollBy.get(pollerId);
    return last !== undefined && last > afterMark ? last : undefined;
  }

  /**
   * A worker is stopping: its waiting polls answer at once with no task. A poll a task is
   * being started for right now still gets that task — its worker is still listening.
   */
  cancelPolls(pollerId: string): { cancelled: number } {
    let cancelled = 0;
    for (const poller of [...this.waiting]) {
      if (poller.pollerId !== pollerId || poller.claimed) continue;
      this.waiting.splice(this.waiting.indexOf(poller), 1);
      poller.answer(null);
      cancelled++;
    }
    return { cancelled };
  }

  /** Whether this sticky queue is closed for good: a poll of it answers STICKY_QUEUE_CLOSED (src/router.ts). */
  isClosed(): boolean {
    return this.closed;
  }

  /**
   * The sticky queue's worker stopped (Temporal's ShutdownWorker). Its tasks would otherwise
   * wait out the sticky schedule-to-start timeout; instead each goes to its workflow's normal
   * queue now, and so does every task sent here later (workflows still name this queue until
   * their next task). Closed for good: a worker never reuses its sticky queue's name.
   */
  async closeSticky(): Promise<void> {
    if (!this.closed) {
      this.sql.exec(`INSERT OR IGNORE INTO settings (key, value) VALUES ('closed', '1')`);
      this.closed = true;
    }
    for (const poller of this.waiting.splice(0)) poller.answer(null);
    // Tasks held for the worker that stopped go to their normal queues too.
    for (const { ref, answer } of this.held.takeAll()) {
      answer?.('stale');
      await this.releaseSticky(ref);
    }
    this.deleteTaken();
    const rows = this.sql.exec<{ id: number; ref: string }>(`SELECT id, ref FROM backlog ORDER BY id`).toArray();
    for (const row of rows) {
      if (this.inFlight.has(row.id)) continue;
      await this.releaseSticky(JSON.parse(row.ref) as TaskRef);
      this.sql.exec(`DELETE FROM backlog WHERE id = ?`, row.id);
      this.backlogSize--;
    }
  }

  /**
   * The worker with this poller id was found dead on another queue, which named this one as its
   * sticky queue: closed as `closeSticky`, but only if every poll this queue has seen came from that
   * worker — a sticky queue has one poller — so no worker can close a queue others poll. Answers
   * whether it closed (false also when this object restarted and forgot its pollers: the runs then
   * move after the sticky timeout, as before).
   */
  async closeStickyOf(pollerId: string): Promise<boolean> {
    if (!isStickyQueueName(this.queueName) || this.lastPollBy.size !== 1 || !this.lastPollBy.has(pollerId) || this.recentPollers.size > 1) return this.closed;
    await this.closeSticky();
    return true;
  }

  private releaseSticky(ref: TaskRef): Promise<void> {
    return workflowStub(this.env, ref.namespace, ref.workflowId).releaseStickyTask(ref, this.queueName);
  }

  /** A long poll's time is up: it answers empty, unless a task is being started for it right now. */
  private expire(poller: Poller): void {
    poller.expired = true;
    if (poller.claimed) return;
    const i = this.waiting.indexOf(poller);
    if (i >= 0) this.waiting.splice(i, 1);
    poller.answer(null);
  }

  /** The task being started for a claimed poller was stale or failed: it waits on, or answers empty if its time is up. */
  private release(poller: Poller): void {
    poller.claimed = false;
    if (poller.expired) poller.answer(null);
    else this.waiting.push(poller);
  }

  /** A started row's delete, written with the backlog's next insert or within TAKEN_FLUSH_MS (see `taken`). */
  private deleteLater(id: number): void {
    this.taken.add(id);
    this.takenFlush ??= setTimeout(() => this.deleteTaken(), TAKEN_FLUSH_MS);
  }

  /** Writes the deletes `deleteLater` holds, in one statement. */
  private deleteTaken(): void {
    if (this.takenFlush !== undefined) clearTimeout(this.takenFlush);
    this.takenFlush = undefined;
    if (this.taken.size === 0) return;
    const ids = [...this.taken];
    this.taken.clear();
    this.sql.exec(`DELETE FROM backlog WHERE id IN (${ids.map(() => '?').join(',')})`, ...ids);
  }

  private async takeFromBacklog(poller: Polling): Promise<StartedTask | null> {
    for (;;) {
      if (this.backlogSize <= this.inFlight.size || !this.slotFree()) return null;
      const row = this.sql
        .exec<{ id: number; ref: string; created_at: number }>(`SELECT id, ref, created_at FROM backlog ORDER BY id LIMIT ?`, this.inFlight.size + this.taken.size + 1)
        .toArray()
        .find((r) => !this.inFlight.has(r.id) && !this.taken.has(r.id));
      if (!row) return null;
      this.inFlight.add(row.id);
      // The slot is taken before the start (a concurrent poll must not take it too), and given back if the task was stale.
      this.takeSlot();
      let task: StartedTask | null = null;
      try {
        task = await this.startTask(JSON.parse(row.ref) as TaskRef, poller);
        // Started or stale, the row has done its job. If this object dies before the
        // delete is written, the row is offered again and the workflow object calls it stale.
        this.deleteLater(row.id);
        this.backlogSize--;
        if (task) {
          this.counters.record({ kind: 'dispatched', waitedMs: Math.max(0, this.clock.now() - row.created_at) });
          return task;
        }
      } finally {
        if (!task) this.refundSlot();
        this.inFlight.delete(row.id);
      }
    }
  }

  // ---- The queue's rate (maxTaskQueueActivitiesPerSecond) ----------------------------

  private slotFree(): boolean {
    return this.ratePerSecond === undefined || this.clock.now() >= this.nextFreeAt;
  }

  private takeSlot(): void {
    if (this.ratePerSecond !== undefined) this.nextFreeAt = Math.max(this.clock.now(), this.nextFreeAt) + 1000 / this.ratePerSecond;
  }

  private refundSlot(): void {
    if (this.ratePerSecond !== undefined) this.nextFreeAt -= 1000 / this.ratePerSecond;
  }

  /** Schedules `drain` for the moment the rate allows the next task (only under a rate). */
  private scheduleDrain(): void {
    if (this.drainTimer !== undefined || this.ratePerSecond === undefined) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      void this.drain();
    }, Math.max(0, this.nextFreeAt - this.clock.now()));
  }

  /** Once the rate allows, the newest waiting polls get backlog tasks (the root: its partitions' too), one per moment. */
  private async drain(): Promise<void> {
    while (this.waiting.length > 0 && (this.backlogSize > this.inFlight.size || this.backlogged.size > 0)) {
      if (!this.slotFree()) return this.scheduleDrain();
      const own = this.backlogSize > this.inFlight.size;
      const poller = this.waiting.pop()!;
      poller.claimed = true;
      let task: StartedTask | null;
      try {
        task = own ? await this.takeFromBacklog(poller) : await this.pullWithinRate(poller);
      } catch {
        // The workflow object could not be reached: the row stays in the backlog for the next poll.
        this.release(poller);
        return;
      }
      if (task) poller.answer(task);
      else this.release(poller);
      // A pull that found nothing has forgotten the drained partitions, or could not reach one: stop here.
      if (!task && !own) return;
    }
  }

  /** Tasks waiting for a poll, as describe and the metrics count them: the backlog's rows and the started tasks held in memory. */
  private get waitingTasks(): number {
    return this.backlogSize + this.held.size;
  }

  describe(): ResponseOf<'describeTaskQueue'> {
    const now = this.clock.now();
    const pollers = [...this.recentPollers.entries()]
      .filter(([, t]) => now - t < RECENT_POLLER_MS)
      .map(([identity, t]) => ({ identity, lastAccessTime: new Date(t).toISOString() }));
    const { dispatched, waited, since } = this.counters.snapshot();
    return { pollers, backlogCount: this.waitingTasks, scheduleToStart: { count: dispatched, averageMs: dispatched > 0 ? waited.sum / dispatched : 0, since: new Date(since).toISOString() } };
  }

  /** What GET /api/v1/metrics reads: the counts since this object started, the backlog, the polls waiting now. */
  metrics(): QueueCountsSnapshot & { backlog: number; waitingPolls: number; recentPollers: number } {
    return { ...this.counters.snapshot(), backlog: this.waitingTasks, waitingPolls: this.waiting.length, recentPollers: this.describe().pollers.length };
  }
}
