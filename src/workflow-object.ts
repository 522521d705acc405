/**
 * WorkflowObject: the Durable Object that keeps workflows. Named [namespace, workflow id] it keeps
 * that one workflow (every run of the id) in a database of its own; named [namespace, shard] it is
 * one of the namespace's KEEL_WORKFLOW_SHARDS shards and keeps every workflow whose id hashes to it
 * (src/stubs.ts), each under its own key scope, with one alarm for all (docs/scale.md). Either way
 * each workflow is a WorkflowHost (src/workflow-host.ts), reached through `call`.
 *
 * Why shards: an object of its own costs each workflow a new object and a new SQLite file, its
 * alarm moves and its schema — the largest part of a short workflow's cost on workerd
 * (bench/RESULTS.md, "Where the floor's time goes"). A shard pays them once for all its workflows.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from './env.js';
import { RPC_KINDS } from './cost/metered-object.js';
import { WorkflowHost } from './workflow-host.js';
import { objectStorage, shardStorage, workflowIdOfScope, type HostStorage } from './workflow-object/host-storage.js';
import { ShardAlarms } from './workflow-object/shard-alarms.js';
import { ShardPolls, shardHoldMs } from './workflow-object/shard-polls.js';
import { RetentionSweep, SWEEP_SCOPE } from './workflow-object/retention-sweep.js';
import { ShardChannels } from './workflow-object/shard-channel.js';
import { QueueWakes } from './workflow-object/queue-wakes.js';
import { CommitGroup } from './workflow-object/commit-group.js';
import { parseObjectName } from './stubs.js';
import { workflowShards } from './workflow-shards.js';
import { ShardSummaries, readShard, type ShardAnswers, type ShardRead } from './visibility/shard-store.js';
import { ShardDays } from './storage/day-tables.js';
import { openSchema } from './storage/schema.js';
import { BATCHED_ENDPOINTS, type BatchedEndpoint, type WorkflowTask } from '../protocol/index.js';
import { errorBodyOf, type Outcome } from './service-error.js';
import { Clock } from './clock.js';
import type { TaskTokenData } from './task-token.js';

/** How a call reached this object: an RPC (the router, another object), or a message on one of its shard channels (billed differently). */
type Via = 'rpc' | 'channel';

/** One item of `callMany`: a worker's exchange about a task of the workflow `workflowId`, its token verified. */
export interface BatchedCall {
  workflowId: string;
  method: BatchedEndpoint;
  args: [TaskTokenData, unknown];
}

/** What an item that threw answers, as the router's catch answers a request that threw. */
const thrownOutcome = (err: unknown): Outcome<never> => ({ ok: false, error: errorBodyOf(err, 'unexpected error in a batched exchange') });

/** Methods that change nothing (a long poll among them): they run when they arrive, outside the commit group. */
const READS: ReadonlySet<string> = new Set(['describe', 'history', 'query', 'pollUpdate']);

/** Workflows a shard keeps in memory at most, but for those used within IDLE_MS or waited for. */
const MAX_HOSTS = 1000;
export const IDLE_MS = 10_000;

/** The methods a caller may reach through `call`: a host's RPC methods (RPC_KINDS; its alarm is the object's). */
export type WorkflowMethod = Exclude<{ [K in keyof WorkflowHost]: WorkflowHost[K] extends (...args: never[]) => unknown ? K : never }[keyof WorkflowHost], 'alarm' | 'deliverOutbox'>;
type MethodOf<M extends WorkflowMethod> = WorkflowHost[M] & ((...args: never[]) => unknown);

export class WorkflowObject extends DurableObject<Env> {
  /** An object of its own: its one workflow. */
  private own: WorkflowHost | undefined;
  /** A shard: its workflows in memory, by id, least recently used first. */
  private readonly hosts = new Map<string, { host: WorkflowHost; storage: HostStorage; usedAt: number }>();
  /**
   * A shard's one clock, which its parts are given (each workflow has its own, WorkflowHost.clock, which
   * advanceTime moves). Its time, `now()` — tests move it — is what the shard judges by: a host's idleness,
   * a held offer's, the sweep's retention. Slots, the alarm, the timer and a new workflow's day are on its
   * wall clock, `wall()`: slots are wall-clock ms, set by workflows on clocks of their own.
   */
  readonly clock = new Clock();
  private shardAlarms: ShardAlarms | undefined;
  /** A shard's one alarm over its workflows' slots (made with the first use: it creates its table). */
  private get alarms(): ShardAlarms {
    return (this.shardAlarms ??= new ShardAlarms(
      this.ctx.storage,
      () => this.clock.wall(),
      () => this.fireDue(),
      // Slot rows a commit group gathered could not be written: the turn's changes must not commit without them.
      (err) => this.ctx.abort(`keel: a shard's alarm rows could not be written: ${String(err)}`),
    ));
  }
  private retention: RetentionSweep | undefined;
  /** A shard's deletion of its workflows' closed runs past their retention (made with the first use: its slot is one of the shard alarm's). */
  private get sweep(): RetentionSweep {
    const { storage } = this.ctx;
    return (this.retention ??= new RetentionSweep(
      {
        sql: storage.sql,
        days: this.days,
        transactionSync: (fn) => storage.transactionSync(fn),
        busy: (workflowId) => this.hosts.get(workflowId)?.host.quiet === false,
        dayDropped: (day, moved) => this.dayDropped(day, moved),
      },
      this.alarms,
      this.env,
      (workflowId) => this.host(workflowId),
      this.clock,
    ));
  }
  /** A shard's day tables (src/storage/day-tables.ts), where its new workflows' rows go. */
  private shardDays: ShardDays | undefined;
  private get days(): ShardDays {
    return (this.shardDays ??= new ShardDays(this.ctx.storage.sql, () => openSchema(this.ctx.storage), () => this.clock.wall()));
  }

  /**
   * A day's tables were dropped: the workflows moved out of them now read and write `state`, and those
   * that went with them are dropped from memory (the next request finds nothing). A workflow of the day
   * that something waits on was moved (day-drop.ts); one with no row yet, if busy, writes to `state`.
   */
  private dayDropped(day: number, moved: ReadonlySet<string>): void {
    for (const [id, { host, storage }] of this.hosts) {
      if (storage.tables?.day !== day) continue;
      if (moved.has(id) || !host.quiet) storage.tables.day = null;
      else {
        storage.close();
        this.hosts.delete(id);
      }
    }
  }
  /** MAX_HOSTS (a test lowers it). */
  maxHosts = MAX_HOSTS;
  /** A shard: the workflow-task polls waiting here (protocol 6), which its workflows' offers reach first. */
  private readonly polls = new ShardPolls(shardHoldMs(this.env), this.env.KEEL_TOKEN_SECRET, this.clock);
  /** A shard: the wakes its channels carry to workers that parked their polls of a queue (protocol 10). */
  private readonly wakes = new QueueWakes(this.ctx);
  /** This instance's memory, by a random id: a provisional run lost with it is told from a deleted one (provisional.ts). */
  private readonly memory = crypto.randomUUID();

  /**
   * Whether this object is a shard: by its name, or — workerd gives no name to an object its alarm
   * started (cloudflare/workerd#6850), for as long as that instance lives — by the deployment's layout.
   */
  private get isShard(): boolean {
    const name = this.ctx.id.name;
    this.shard ??= name !== undefined ? parseObjectName(name).shard !== undefined : workflowShards(this.env) > 0;
    return this.shard;
  }
  private shard: boolean | undefined;

  /**
   * The workflow `workflowId` (in an object of its own: its one workflow, whatever the id).
   * `namespace` names a workflow new to a shard woken by its alarm, which has no name of its own
   * (cloudflare/workerd#6850) for as long as it lives; a workflow it keeps already has its name stored.
   */
  host(workflowId?: string, namespace?: string): WorkflowHost {
    if (this.own) return this.own;
    if (!this.isShard) return (this.own = new WorkflowHost(objectStorage(this.ctx.storage), this.env, this.ctx.id.name));
    if (workflowId === undefined) throw new Error('a shard keeps many workflows: name one');
    let entry = this.hosts.get(workflowId);
    if (entry) this.hosts.delete(workflowId);
    else {
      const ns = namespace ?? (this.ctx.id.name !== undefined ? parseObjectName(this.ctx.id.name).namespace : undefined);
      const storage = shardStorage(this.ctx.storage, workflowId, this.alarms, (wall) => this.sweep.armBy(wall), this.days);
      entry = { host: new WorkflowHost(storage, this.env, ns === undefined ? undefined : JSON.stringify([ns, workflowId]), { polls: this.polls, wakes: this.wakes, memory: this.memory }), storage, usedAt: 0 };
    }
    entry.usedAt = this.clock.now();
    this.hosts.set(workflowId, entry);
    if (this.hosts.size > this.maxHosts) this.dropIdle();
    return entry.host;
  }

  /**
   * Keeps memory bounded: drops the least recently used workflows past MAX_HOSTS that nothing waits
   * for and that were not used for IDLE_MS by the shard's clock (the next request reads one back from
   * storage). Their storage view is closed, so that work still running on a dropped one fails instead of writing.
   */
  private dropIdle(): void {
    const usedBefore = this.clock.now() - IDLE_MS;
    for (const [id, { host, storage, usedAt }] of this.hosts) {
      if (this.hosts.size <= this.maxHosts || usedAt > usedBefore) return;
      if (!host.quiet) continue;
      storage.close();
      this.hosts.delete(id);
    }
  }

  /** The changes that reach this object within one turn share its commit (commit-group.ts). */
  private readonly group = new CommitGroup(() => {
    // A shard's slot rows set by the group's changes are written once per row, in the group's commit.
    if (this.isShard) this.alarms.gatherTurn();
  });

  /** RPCs taken through `call` and `callMany`. A shard's channel reaches its own workflows without one (its test counts them). */
  rpcCalls = 0;

  /** One RPC for every method of a workflow (WorkflowStub in src/stubs.ts sends it). */
  call<M extends WorkflowMethod>(name: [string, string], method: M, args: Parameters<MethodOf<M>>): ReturnType<MethodOf<M>> {
    this.rpcCalls++;
    return this.callHere(name, method, args);
  }

  /** `call`'s work, in this object: for its RPC, and for its shard channels' calls about its own workflows. */
  private callHere<M extends WorkflowMethod>([namespace, workflowId]: [string, string], method: M, args: Parameters<MethodOf<M>>, via: Via = 'rpc'): ReturnType<MethodOf<M>> {
    if (!Object.hasOwn(RPC_KINDS, method) || (method as string) === 'alarm') throw new TypeError(`not a workflow method: ${String(method)}`);
    const run = () => this.invoke([namespace, workflowId], method, args, via);
    return (READS.has(method) ? run() : this.group.run(run)) as ReturnType<MethodOf<M>>;
  }

  /** A workflow's method, run now. */
  private invoke<M extends WorkflowMethod>([namespace, workflowId]: [string, string], method: M, args: Parameters<MethodOf<M>>, via: Via): ReturnType<MethodOf<M>> {
    const host = this.host(workflowId, namespace);
    const run = () => (host[method] as (...a: unknown[]) => ReturnType<MethodOf<M>>).apply(host, args);
    return via === 'channel' ? host.usage.channelCall(run) : run();
  }

  /**
   * Several workers' exchanges about this object's workflows in one RPC (POST /tasks/batch,
   * src/task-batch.ts): every item's change is made before any is awaited — each host's `mutate`
   * runs before its method's first await — so all are written in this one turn and share one
   * commit. Each item answers its own Outcome, one that throws an INTERNAL one of its own.
   */
  callMany(namespace: string, items: readonly BatchedCall[]): Promise<Array<Outcome<unknown>>> {
    this.rpcCalls++;
    return this.callManyHere(namespace, items);
  }

  private callManyHere(namespace: string, items: readonly BatchedCall[], via: Via = 'rpc'): Promise<Array<Outcome<unknown>>> {
    for (const { method } of items) if (!BATCHED_ENDPOINTS.includes(method)) throw new TypeError(`not a batched workflow method: ${String(method)}`);
    // All the items in one turn of the commit group, so one commit for all.
    return this.group.run(() =>
      Promise.all(
        items.map(({ workflowId, method, args }) => {
          try {
            return (this.invoke([namespace, workflowId], method, args as never, via) as Promise<Outcome<unknown>>).catch(thrownOutcome);
          } catch (err) {
            return thrownOutcome(err);
          }
        }),
      ),
    );
  }

  /**
   * Protocol 6: a worker's long poll of its normal workflow queue `taskQueue` at this shard, answered
   * with a first workflow task one of its workflows offers meanwhile, or empty after `waitMs`
   * (src/workflow-object/shard-polls.ts). Not a workflow's request: the run whose task it carries
   * counts it (`offerTaken`).
   */
  pollWorkflowTasks(taskQueue: string, pollerId: string, waitMs: number, maxTasks?: number): Promise<WorkflowTask[]> {
    if (!this.isShard) throw new TypeError('only a shard takes workflow-task polls');
    return this.pollHere(taskQueue, pollerId, waitMs, maxTasks, 'rpc');
  }

  /** A shard poll's wait; each task it carries bills its run for the poll (over HTTP its Worker request and this RPC, on a channel its message). */
  private async pollHere(taskQueue: string, pollerId: string, waitMs: number, maxTasks: number | undefined, via: Via, ended?: AbortSignal): Promise<WorkflowTask[]> {
    const tasks = await this.polls.wait(taskQueue, pollerId, waitMs, maxTasks, ended);
    for (const task of tasks) this.hosts.get(task.workflowExecution.workflowId)?.host.usage.request(via === 'channel' ? 'channel' : 'offerTaken');
    return tasks;
  }

  /** Protocol 6: a stopping worker's polls waiting at this shard answer empty now. */
  cancelPolls(pollerId: string): { cancelled: number } {
    return { cancelled: this.polls.cancel(pollerId) };
  }

  private shardChannels: ShardChannels | undefined;
  /** A shard's channels (protocols 7 and 8): workers' WebSockets carrying their calls about this shard's tasks, clients' their starts, answered here. */
  private get channels(): ShardChannels {
    return (this.shardChannels ??= new ShardChannels({
      ctx: this.ctx,
      env: this.env,
      poll: (taskQueue, pollerId, waitMs, maxTasks, ended) => this.pollHere(taskQueue, pollerId, waitMs, maxTasks, 'channel', ended),
      call: (name, method, args) => this.callHere(name, method as WorkflowMethod, args as never, 'channel'),
      callMany: (namespace, items) => this.callManyHere(namespace, items, 'channel'),
    }));
  }

  /** Protocols 7 and 8: a worker's or a client's channel to this shard, opened through the router (src/shard-channel.ts). */
  override fetch(request: Request): Response {
    if (!this.isShard) throw new TypeError('only a shard takes channels');
    return this.channels.open(request);
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    return this.channels.message(ws, message);
  }

  override webSocketClose(ws: WebSocket, code: number): void {
    this.channels.closed(ws, code);
  }

  override webSocketError(ws: WebSocket): void {
    this.channels.closed(ws);
  }

  /** A shard's part of its namespace's list, count, cost or metrics (src/visibility/shard-store.ts); reads only. */
  readVisibility<R extends ShardRead>(read: R): ShardAnswers[R['kind']] {
    // A provisional workflow (provisional.ts) is written first, by every read: a list shows what was written.
    // The few held at a scrape (each for milliseconds, or a second at most) then write a row more each.
    for (const { host } of this.hosts.values()) host.writeProvisional();
    // A start's list entry may still be held in its workflow's memory (of `state`: shard-store.ts). A metrics scrape
    // (every few seconds) counts it there; any other read writes it first, so that every run started is read.
    const held = [...this.hosts.values()].flatMap(({ host }) => (host.visibility instanceof ShardSummaries ? [host.visibility] : []));
    const days = this.days.list();
    if (read.kind === 'byQueue') return [...readShard(this.ctx.storage.sql, { kind: 'byQueue' }, days), ...held.flatMap((s) => s.heldCounts())] as ShardAnswers[R['kind']];
    for (const summaries of held) summaries.writeHeld();
    return readShard(this.ctx.storage.sql, read, days);
  }

  override async alarm(info?: AlarmInvocationInfo): Promise<void> {
    if (!this.isShard) return this.host().alarm(info);
    this.alarms.usedUp();
    await this.fireDue();
  }

  /** Runs the alarm of each workflow whose slot is due, and the retention sweep when its slot is (the timer and the alarm may both ask; a running one is not run twice). */
  private fireDue(): Promise<void> {
    return this.alarms.fire(async (scope) => {
      try {
        await (scope === SWEEP_SCOPE ? this.sweep.run() : this.host(workflowIdOfScope(scope)).alarm());
      } catch (err) {
        console.error(`keel: alarm of workflow '${workflowIdOfScope(scope)}' failed; retrying`, err);
      }
    });
  }
}
