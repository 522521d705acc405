/**
 * The workflow object's parts, wired to each other and to the object: the object's shell
 * (src/workflow-object.ts) keeps the transaction and the RPC methods, each part one job.
 * Parts reach other objects through the object's metered env (src/cost), so what they call is counted.
 */
import type { Env } from '../env.js';
import { longPollMs } from '../env.js';
import type { Clock } from '../clock.js';
import type { Txn } from '../engine/transaction.js';
import type { CallResult, WorkflowCall } from '../engine/workflow-call.js';
import { QueryBroker } from '../query-broker.js';
import { RunDeletion } from '../retention.js';
import type { WorkflowStore } from '../storage/workflow-store.js';
import { visibilityDb } from '../visibility/migrations.js';
import { VisibilityOutbox, runningSummaryDelayMs } from '../visibility/outbox.js';
import { D1SummaryStore } from '../visibility/store.js';
import { ShardSummaries } from '../visibility/shard-store.js';
import { WorkflowCalls } from '../workflow-calls.js';
import { WorkflowAlarm } from './alarm.js';
import type { HostStorage } from './host-storage.js';
import { DeadPolls } from './dead-polls.js';
import type { HistoryWaiters } from './history-waiters.js';
import { IdleTimeSkipper } from './idle-time-skipper.js';
import { StickyHandOver } from './sticky-hand-over.js';
import type { ShardPolls } from './shard-polls.js';
import { TaskOffer } from './task-offer.js';
import { TaskOutbox } from './task-outbox.js';
import { TaskPayloads } from './task-payloads.js';
import { addToQueue, type QueueWakes } from './queue-wakes.js';
import { workflowShards } from '../workflow-shards.js';
import { UpdatesInFlight } from './updates-in-flight.js';

export interface WorkflowObjectHost {
  storage: HostStorage;
  /**
   * In a shard: the workflow-task polls waiting there (protocol 6), which its offers reach first, and the
   * wakes its channels carry to workers that parked their polls of a queue (protocol 10), and the id of
   * the shard's memory (a random id per instance: provisional.ts).
   */
  shard?: { polls: ShardPolls; wakes: QueueWakes; memory: string } | undefined;
  /** The env as workerd gave it (D1 migrations, settings). */
  env: Env;
  /** The metered env: calls to other objects through it are counted. */
  meteredEnv: Env;
  store: WorkflowStore;
  clock: Clock;
  waiters: HistoryWaiters;
  names: () => { namespace: string; workflowId: string };
  mutate: <T>(fn: (tx: Txn) => T) => T;
  advanceTime: (byMs: number) => Promise<unknown>;
  settleCall: (id: number, call: WorkflowCall, result: CallResult | undefined) => void;
}

export interface WorkflowParts {
  queries: QueryBroker;
  /** Run summaries: in a shard, its own table, written in the change's transaction; else on their way to D1 (tests swap its `store`). */
  visibility: VisibilityOutbox | ShardSummaries;
  /** Calls to other workflow objects (children, external signals and cancels) on their way. */
  calls: WorkflowCalls;
  /** Runs deleted when their namespace's retention has passed, or when asked; the storage emptied after the last. */
  deletion: RunDeletion;
  alarms: WorkflowAlarm;
  tasks: TaskOutbox;
  payloads: TaskPayloads;
  deadPolls: DeadPolls;
  timeSkipper: IdleTimeSkipper;
  updates: UpdatesInFlight;
  /** What the alarm fires; the workflow task it starts for a run's sticky worker, handed to that worker's queue. */
  stickyHandOver: StickyHandOver;
  /** A workflow task a start (or signal-with-start, a child's start) started for a poll waiting on its queue, offered to it. */
  taskOffer: TaskOffer;
}

export function wireParts(h: WorkflowObjectHost): WorkflowParts {
  const { env, meteredEnv, store, clock, storage } = h;
  const now = () => clock.now();
  const namespace = () => h.names().namespace;
  const alarmBy = (due: number): Promise<void> => alarms.by(due);
  // Every task a part hands a queue goes this way: a backlogged one wakes the queue's parked workers (queue-wakes.ts).
  const add = addToQueue(meteredEnv, h.shard?.wakes);
  const queries = new QueryBroker({
    timeoutMs: longPollMs(env),
    now,
    dispatch: (taskQueue, ref) => add(ref.namespace, taskQueue, 'workflow', ref),
  });
  // A workflow in a shard (its keys scoped) keeps its summaries in the shard's database.
  const visibility = storage.scope !== ''
    ? new ShardSummaries(storage.sql, runningSummaryDelayMs(env), now, storage.tables, store)
    : new VisibilityOutbox((m) => store.table(m), {
        store: meteredEnv.VISIBILITY ? new D1SummaryStore(meteredEnv.VISIBILITY, () => visibilityDb(env)) : undefined,
        now,
        retryBy: alarmBy,
        runningDelayMs: runningSummaryDelayMs(env),
      });
  const calls = new WorkflowCalls((m) => store.table(m), { env, now, retryBy: alarmBy, settle: h.settleCall });
  const { sweepBy } = storage;
  const deletion: RunDeletion = new RunDeletion({ env, storage, store, visibility, calls, namespace, now, alarmBy, emptied: () => alarms.emptied(), ...(sweepBy ? { sweepBy: (due: number) => sweepBy(clock.toWallClock(due)) } : {}) });
  const payloads = new TaskPayloads(store, env.KEEL_TOKEN_SECRET, workflowShards(env));
  const alarms: WorkflowAlarm = new WorkflowAlarm(storage, clock, store, [calls, visibility], (tx: Txn) => deletion.nextDue(tx));
  return {
    queries,
    visibility,
    calls,
    deletion,
    alarms,
    tasks: new TaskOutbox(store, add, clock, alarmBy),
    payloads,
    deadPolls: new DeadPolls(meteredEnv, namespace),
    timeSkipper: new IdleTimeSkipper({ enabled: env.KEEL_TIME_SKIPPING === 'auto', store, clock, waiters: h.waiters, advance: h.advanceTime }),
    stickyHandOver: new StickyHandOver(meteredEnv, payloads, h.mutate),
    taskOffer: new TaskOffer(meteredEnv, add, payloads, h.shard?.polls),
    updates: new UpdatesInFlight({ store, clock, queries, waiters: h.waiters, workflowId: () => h.names().workflowId, mutate: h.mutate }),
  };
}
