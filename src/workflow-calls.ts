/**
 * The call outbox of one workflow object: calls to other workflow objects (child starts and
 * closes, external signals and cancels, parent close policies) waiting to be delivered. A row is
 * written in the transaction of the event that causes it (design invariant 1) and deleted in the
 * transaction that records the answer, so a crash at any point repeats the call and never loses
 * it; the receiver makes a repeat harmless (request ids, see src/engine/external-calls.ts).
 * Calls to one workflow go out in order, oldest first, so a child's cancellation or close policy
 * never overtakes its start; a failed call is retried with back-off from the object's alarm and
 * holds back only the later calls to the same workflow, never those to others.
 */
import type { ErrorCode } from '../protocol/index.js';
import type { Env } from './env.js';
import { callRequestId } from './engine/external-calls.js';
import type { CallResult, WorkflowCall } from './engine/workflow-call.js';
import type { Outcome } from './service-error.js';
import { workflowStub } from './stubs.js';
import { type StateTable, pad } from './storage/state-table.js';

/** A pending call's row in the object's state table: key `c/<id>` (ids in order), n = when it is due. */
const PREFIX = 'c/';
interface PendingCall {
  attempts: number;
  call: WorkflowCall;
}

const RETRY_MAX_MS = 30_000;

export interface WorkflowCallsOptions {
  env: Env;
  /** The object's time. */
  now: () => number;
  /** Asks for the alarm to fire by `due` (the object's time) to retry a failed call. */
  retryBy: (due: number) => Promise<void>;
  /** Records the answer and deletes row `id`, in one transaction. */
  settle: (id: number, call: WorkflowCall, result: CallResult | undefined) => void;
}

export class WorkflowCalls {
  private running: Promise<void> | undefined;
  private again = false;
  /**
   * False only when the table is known to be empty, so that the hot path (every change asks for
   * `earliestDue` when it sets the alarm) asks storage nothing when no call waits. Starts true:
   * calls may wait from before the object was last evicted.
   */
  private maybePending = true;

  private readonly rows: StateTable;
  private lastId: number | undefined;

  /** @param table the workflow's rows under a prefix, kept in memory (WorkflowStore.table). */
  constructor(
    table: (mirrored: readonly string[]) => StateTable,
    private readonly options: WorkflowCallsOptions,
  ) {
    this.rows = table([PREFIX]);
  }

  /** Records a call; call it inside the transaction of the change that causes it. */
  enqueue(call: WorkflowCall, now: number): void {
    this.maybePending = true;
    this.lastId ??= Number(this.rows.lastKey(PREFIX)?.slice(PREFIX.length) ?? 0);
    this.rows.put(PREFIX + pad(++this.lastId), JSON.stringify({ attempts: 0, call } satisfies PendingCall), now);
  }

  /** Deletes a delivered call; call it inside the transaction that records its answer. */
  remove(id: number): void {
    this.rows.delete(PREFIX + pad(id));
  }

  /** The object's storage was emptied (it had nothing pending): nothing to read until the next change. */
  dropped(): void {
    this.maybePending = false;
    this.lastId = undefined;
  }

  /** When the earliest pending call is due, or undefined when none is pending. */
  earliestDue(): number | undefined {
    if (!this.maybePending) return undefined;
    const due = this.rows.minN(PREFIX);
    if (due === undefined) this.maybePending = false;
    return due;
  }

  /** Delivers every due call, oldest first; resolves when this round (and any asked for meanwhile) is done. */
  deliverDue(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.round();
      } while (this.again);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    if (!this.maybePending) return;
    for (;;) {
      const stored = this.rows.range(PREFIX);
      if (stored.length === 0) {
        this.maybePending = false;
        return;
      }
      // The oldest call to each workflow goes now if it is due; a later one to the same workflow
      // waits for it (a child's cancel never overtakes its start), whether it is in flight or backing off.
      const targets = new Set<string>();
      let settled = false;
      for (const row of stored) {
        const pending = JSON.parse(row.v) as PendingCall;
        const target = `${pending.call.namespace}/${pending.call.workflowId}`;
        if (targets.has(target)) continue;
        targets.add(target);
        if (row.n! > this.options.now()) continue;
        if (await this.deliver(row.k, pending)) settled = true;
      }
      // Calls settled this round may have been holding later ones back.
      if (!settled) return;
    }
  }

  /** Sends one call and settles it; on failure, backs it off and answers false. */
  private async deliver(key: string, { attempts, call }: PendingCall): Promise<boolean> {
    if (attempts > 0) console.warn(`calls: re-sending ${call.kind} to workflow '${call.workflowId}' (attempt ${attempts + 1}, after ${attempts} failed)`);
    let result: CallResult | undefined;
    try {
      result = await send(this.options.env, call);
    } catch (err) {
      const backoff = Math.min(1000 * 2 ** attempts, RETRY_MAX_MS);
      console.warn(`calls: ${call.kind} to workflow '${call.workflowId}' failed (attempt ${attempts + 1}); retrying in ${backoff} ms`, err);
      const due = this.options.now() + backoff;
      this.rows.put(key, JSON.stringify({ attempts: attempts + 1, call } satisfies PendingCall), due);
      await this.options.retryBy(due);
      return false;
    }
    this.options.settle(Number(key.slice(PREFIX.length)), call, result);
    return true;
  }
}

const NOT_FOUND: ReadonlySet<ErrorCode> = new Set(['WORKFLOW_NOT_FOUND', 'WORKFLOW_NOT_RUNNING']);

/**
 * Makes one call and says what the receiver answered; throws when the call must be retried (the
 * receiver was unreachable or failed unexpectedly). One-way calls answer undefined.
 */
async function send(env: Env, call: WorkflowCall): Promise<CallResult | undefined> {
  const target = workflowStub(env, call.namespace, call.workflowId);
  const expect = (o: Outcome<unknown>, notFound: CallResult | undefined): CallResult | undefined => {
    if (o.ok) return { ok: true };
    if (NOT_FOUND.has(o.error.code)) return notFound;
    throw new Error(`${o.error.code}: ${o.error.message}`);
  };
  switch (call.kind) {
    case 'startChild': {
      const o = (await target.startChild(call.request)) as Outcome<{ runId: string }>;
      if (o.ok) return { ok: true, runId: o.value.runId };
      if (o.error.code === 'WORKFLOW_ALREADY_STARTED') return { ok: false, cause: 'WORKFLOW_ALREADY_EXISTS' };
      throw new Error(`${o.error.code}: ${o.error.message}`);
    }
    case 'signal':
      return expect(
        await target.signal({
          ...(call.runId ? { runId: call.runId } : {}),
          signalName: call.signalName,
          input: call.input,
          ...(call.header ? { header: call.header } : {}),
          requestId: callRequestId({ kind: call.kind, senderRunId: call.senderRunId, initiatedEventId: call.initiatedEventId }),
        }),
        { ok: false, cause: 'EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND' },
      );
    case 'cancel':
      return expect(
        await target.requestCancel({
          ...(call.runId ? { runId: call.runId } : {}),
          ...(call.reason !== undefined ? { reason: call.reason } : {}),
          requestId: callRequestId({ kind: call.kind, senderRunId: call.senderRunId, initiatedEventId: call.initiatedEventId }),
        }),
        { ok: false, cause: 'EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND' },
      );
    case 'childClosed':
      await target.childClosed(call);
      return undefined;
    case 'parentClosePolicy':
      await target.applyParentClosePolicy(call);
      return undefined;
  }
}
