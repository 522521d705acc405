/**
 * ScheduleObject: one Durable Object per schedule (namespace + schedule id), Temporal's Schedule.
 * It keeps the schedule in its storage (one record, written whole), sets its alarm at the next
 * action time, and on each pass (alarm, trigger, backfill, update) looks at the workflows it
 * started, buffers the actions that came due and starts workflows as the overlap policy allows.
 *
 * A schedule learns that its workflow closed by looking (describe on the workflow object): on each
 * pass, and, while something waits on a close (a buffered start, a cancel asked by CANCEL_OTHER, a
 * pause on failure), on an alarm that backs off from 1 s to 1 min. The logic is in src/schedules/;
 * this class does the storage, the calls and the alarm.
 */
import { DurableObject } from 'cloudflare:workers';
import type { ParsedRequestOf, ResponseOf } from '../protocol/index.js';
import { Clock } from './clock.js';
import type { Env } from './env.js';
import { ServiceError, outcome, type Outcome } from './service-error.js';
import { workflowStub } from './stubs.js';
import { processBuffer, MAX_BUFFER, type BufferedStart } from './schedules/overlap.js';
import { actionWorkflowId, collectDue, describeSchedule, listEntryOf, nextDue, overlapOf, recordAction, specOf, type StoredSchedule } from './schedules/state.js';
import { ScheduleSpecError, type CompiledSpec } from './schedules/spec.js';
import { deleteScheduleEntry, writeScheduleEntry } from './visibility/schedules.js';
import { checkSearchAttributes } from './visibility/search-attributes.js';

const KEY = 'schedule';
const WATCH_MIN_MS = 1000;
const WATCH_MAX_MS = 60_000;
const RETRY_MS = 5000;
/** workerd refuses an alarm after 2189: a schedule whose next action is later is woken then, finds nothing due, and sets it again. */
const LATEST_ALARM_MS = Date.UTC(2189, 0, 1);

/** What the object keeps beside the schedule: when to look at running workflows again, and the visibility write. */
interface Stored extends StoredSchedule {
  watchDelayMs?: number;
  /** A pass failed to start a workflow or write visibility: come back at this time. */
  retryAt?: number;
  /** Bumped on each save: the visibility row's version. */
  version: number;
  visibilityWritten?: number;
  /** The request ids of the last updates and patches, so that a retried one changes nothing. */
  requestIds?: string[];
}

const REQUEST_IDS_KEPT = 50;

/** Whether `requestId` was seen already; records it when not. */
function seenBefore(s: Stored, requestId: string | undefined): boolean {
  if (!requestId) return false;
  if (s.requestIds?.includes(requestId)) return true;
  s.requestIds = [...(s.requestIds ?? []), requestId].slice(-REQUEST_IDS_KEPT);
  return false;
}

export class ScheduleObject extends DurableObject<Env> {
  readonly clock = new Clock();
  private chain: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every earlier call has finished: a pass awaits other objects, and two must not interleave. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async load(): Promise<Stored | undefined> {
    return this.ctx.storage.get<Stored>(KEY);
  }

  private async loadOrThrow(): Promise<Stored> {
    const s = await this.load();
    if (!s) throw new ServiceError('SCHEDULE_NOT_FOUND', 'No schedule with this id; list schedules to see which exist.');
    return s;
  }

  // ---- RPC methods (the router calls these; failures come back as Outcome) ------------

  create(namespace: string, req: ParsedRequestOf<'createSchedule'>): Promise<Outcome<ResponseOf<'createSchedule'>>> {
    return this.serial(() =>
      outcome(async () => {
        const prior = await this.load();
        if (prior) {
          if (req.requestId && prior.createRequestId === req.requestId) return { conflictToken: String(prior.conflictToken) };
          throw new ServiceError('SCHEDULE_ALREADY_RUNNING', `A schedule with id '${req.scheduleId}' already exists; delete it first or pick another id.`, { scheduleId: req.scheduleId });
        }
        const now = this.clock.now();
        const s: Stored = {
          namespace,
          scheduleId: req.scheduleId,
          schedule: req.schedule,
          memo: req.memo,
          searchAttributes: req.searchAttributes,
          createTime: now,
          conflictToken: 1,
          processedUntil: now,
          buffer: [],
          running: [],
          recent: [],
          counts: { actions: 0, missedCatchupWindow: 0, overlapSkipped: 0, bufferDropped: 0 },
          createRequestId: req.requestId,
          version: 0,
        };
        const spec = checkedSpec(s);
        if (req.initialPatch) this.applyPatch(s, spec, req.initialPatch, now);
        await this.pass(s, spec);
        return { conflictToken: String(s.conflictToken) };
      }),
    );
  }

  describe(): Promise<Outcome<ResponseOf<'describeSchedule'>>> {
    return this.serial(() =>
      outcome(async () => {
        const s = await this.loadOrThrow();
        // A describe looks at the running workflows, so it never shows one as running that closed.
        if (s.running.length > 0) await this.pass(s, specOf(s));
        return describeSchedule(s, this.clock.now());
      }),
    );
  }

  update(req: ParsedRequestOf<'updateSchedule'>): Promise<Outcome<ResponseOf<'updateSchedule'>>> {
    return this.serial(() =>
      outcome(async () => {
        const s = await this.loadOrThrow();
        if (seenBefore(s, req.requestId)) return { conflictToken: String(s.conflictToken) };
        if (req.conflictToken !== undefined && req.conflictToken !== String(s.conflictToken)) {
          throw new ServiceError('SCHEDULE_CONFLICT', `The schedule changed since it was read (conflict token ${req.conflictToken}, now ${s.conflictToken}); describe it again and retry.`);
        }
        const now = this.clock.now();
        s.schedule = req.schedule;
        if (req.searchAttributes) s.searchAttributes = req.searchAttributes;
        const spec = checkedSpec(s);
        // As Temporal: the new spec counts from now; times before the update are not taken again.
        s.processedUntil = Math.max(s.processedUntil, now);
        s.updateTime = now;
        s.conflictToken++;
        await this.pass(s, spec);
        return { conflictToken: String(s.conflictToken) };
      }),
    );
  }

  patch(req: ParsedRequestOf<'patchSchedule'>): Promise<Outcome<ResponseOf<'patchSchedule'>>> {
    return this.serial(() =>
      outcome(async () => {
        const s = await this.loadOrThrow();
        if (seenBefore(s, req.requestId)) return {};
        const spec = specOf(s);
        this.applyPatch(s, spec, req, this.clock.now());
        await this.pass(s, spec);
        return {};
      }),
    );
  }

  delete(): Promise<Outcome<ResponseOf<'deleteSchedule'>>> {
    return this.serial(() =>
      outcome(async () => {
        const s = await this.loadOrThrow();
        await this.ctx.storage.deleteAlarm();
        await this.ctx.storage.deleteAll();
        await deleteScheduleEntry(this.env, s.namespace, s.scheduleId).catch((err) => console.warn(`keel: schedule '${s.scheduleId}' deleted, but not yet from the visibility store`, err));
        return {};
      }),
    );
  }

  override async alarm(): Promise<void> {
    await this.serial(async () => {
      const s = await this.load();
      if (s) await this.pass(s, specOf(s));
    });
  }

  // ---- One pass ----------------------------------------------------------------------

  private applyPatch(s: Stored, spec: CompiledSpec, p: ParsedRequestOf<'patchSchedule'> | NonNullable<ParsedRequestOf<'createSchedule'>['initialPatch']>, now: number): void {
    const state = (s.schedule.state ??= {});
    if (p.pause !== undefined) {
      state.paused = true;
      state.note = p.pause || 'Paused';
      s.conflictToken++;
    }
    if (p.unpause !== undefined) {
      state.paused = false;
      state.note = p.unpause || 'Unpaused';
      // Times that passed while paused are not taken, as Temporal's.
      s.processedUntil = Math.max(s.processedUntil, now);
      s.conflictToken++;
    }
    if (p.triggerImmediately) s.buffer.push({ nominal: now, actual: now, overlap: p.triggerImmediately.overlapPolicy ?? overlapOf(s), manual: true });
    for (const b of p.backfill ?? []) {
      const [from, to] = [Date.parse(b.startTime), Date.parse(b.endTime)];
      if (!(to >= from)) throw new ServiceError('INVALID_ARGUMENT', `backfill endTime (${b.endTime}) is before its startTime (${b.startTime}).`, { issues: [{ path: 'backfill.endTime', message: 'before startTime' }] });
      // A backfill takes the spec's times in [startTime, endTime], now.
      for (let t = spec.nextNominal(from - 1); t !== undefined && t <= to; t = spec.nextNominal(t)) {
        // A range may name millions of times (every second for a year): past the buffer's bound the
        // rest is dropped, counted once, rather than walked.
        if (s.buffer.length >= MAX_BUFFER) {
          s.counts.bufferDropped++;
          break;
        }
        s.buffer.push({ nominal: t, actual: now, overlap: b.overlapPolicy ?? overlapOf(s), manual: true });
      }
    }
  }

  /** Looks at the running workflows, takes what came due, starts what may start, saves, sets the alarm. */
  private async pass(s: Stored, spec: CompiledSpec): Promise<void> {
    let now = this.clock.now();
    delete s.retryAt;
    await this.refreshRunning(s);
    const more = collectDue(s, spec, now);
    // Starting may wait on terminating the running ones; a second round starts what that freed.
    for (let round = 0; round < 2; round++) {
      const decided = processBuffer(s.buffer, s.running.length > 0);
      s.counts.overlapSkipped += decided.skipped;
      s.buffer = decided.keep;
      const failed: BufferedStart[] = [];
      for (const start of decided.start) if (!(await this.startWorkflow(s, start))) failed.push(start);
      s.buffer.unshift(...failed);
      if (decided.cancel) await this.endRunning(s, 'cancel');
      if (decided.terminate) {
        await this.endRunning(s, 'terminate');
        continue;
      }
      break;
    }
    now = this.clock.now();
    const waitsOnClose = s.running.length > 0 && (s.buffer.length > 0 || s.schedule.policies?.pauseOnFailure === true || s.running.some((r) => r.cancelRequested));
    s.watchDelayMs = waitsOnClose ? Math.min(WATCH_MAX_MS, (s.watchDelayMs ?? WATCH_MIN_MS / 2) * 2) : undefined;
    s.version++;
    try {
      await writeScheduleEntry(this.env, s.namespace, listEntryOf(s, now), s.version);
      s.visibilityWritten = s.version;
    } catch (err) {
      console.warn(`keel: schedule '${s.scheduleId}': visibility write failed; retried`, err);
      s.retryAt = now + RETRY_MS;
    }
    await this.ctx.storage.put(KEY, s);
    let at = nextDue(s, spec);
    if (more) at = now;
    if (s.watchDelayMs) at = Math.min(at ?? Infinity, now + s.watchDelayMs);
    if (s.retryAt !== undefined) at = Math.min(at ?? Infinity, s.retryAt);
    if (at === undefined) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.min(this.clock.toWallClock(Math.max(at, now)), LATEST_ALARM_MS));
  }

  /** Drops the workflows that closed; pauses on a failure when the policy says so. */
  private async refreshRunning(s: Stored): Promise<void> {
    const still: Stored['running'] = [];
    for (const r of s.running) {
      const answer = (await workflowStub(this.env, s.namespace, r.workflowId).describe({ runId: r.runId })) as Outcome<ResponseOf<'describeWorkflow'>>;
      const status = answer.ok ? answer.value.status : 'NOT_FOUND';
      const recent = s.recent.find((a) => a.runId === r.runId);
      if (recent) recent.status = status;
      if (status === 'RUNNING') {
        still.push(r);
        continue;
      }
      if ((status === 'FAILED' || status === 'TIMED_OUT') && s.schedule.policies?.pauseOnFailure) {
        const state = (s.schedule.state ??= {});
        state.paused = true;
        state.note = `Paused because workflow '${r.workflowId}' (run ${r.runId}) ${status === 'FAILED' ? 'failed' : 'timed out'}.`;
        s.conflictToken++;
      }
    }
    if (still.length < s.running.length) s.watchDelayMs = undefined;
    s.running = still;
  }

  /** Starts one action's workflow; false when it should be tried again later. */
  private async startWorkflow(s: Stored, start: BufferedStart): Promise<boolean> {
    const a = s.schedule.action.startWorkflow;
    const workflowId = actionWorkflowId(a.workflowId, start.nominal);
    const now = this.clock.now();
    const request: ParsedRequestOf<'startWorkflow'> = {
      workflowId,
      workflowType: a.workflowType,
      taskQueue: a.taskQueue,
      input: a.input,
      // As Temporal's scheduler: the workflows say which schedule started them and for what time.
      searchAttributes: { ...a.searchAttributes, TemporalScheduledById: s.scheduleId, TemporalScheduledStartTime: new Date(start.nominal).toISOString() },
      ...(a.memo ? { memo: a.memo } : {}),
      ...(a.header ? { header: a.header } : {}),
      ...(a.workflowExecutionTimeoutMs !== undefined ? { workflowExecutionTimeoutMs: a.workflowExecutionTimeoutMs } : {}),
      ...(a.workflowRunTimeoutMs !== undefined ? { workflowRunTimeoutMs: a.workflowRunTimeoutMs } : {}),
      ...(a.workflowTaskTimeoutMs !== undefined ? { workflowTaskTimeoutMs: a.workflowTaskTimeoutMs } : {}),
      ...(a.retryPolicy ? { retryPolicy: a.retryPolicy } : {}),
      identity: `schedule:${s.scheduleId}`,
      // A pass that crashed after the start and runs again gets the same run back.
      requestId: `schedule:${start.nominal}:${start.actual}`.slice(0, 200),
    };
    let answer: Outcome<ResponseOf<'startWorkflow'>>;
    try {
      answer = (await workflowStub(this.env, s.namespace, workflowId).start(request)) as Outcome<ResponseOf<'startWorkflow'>>;
    } catch (err) {
      console.warn(`keel: schedule '${s.scheduleId}' could not start '${workflowId}'; retried`, err);
      s.retryAt = now + RETRY_MS;
      return false;
    }
    if (!answer.ok) {
      // A refused start (the id is taken, the action's options are not valid) is not retried.
      console.warn(`keel: schedule '${s.scheduleId}' start of '${workflowId}' refused: ${answer.error.code}: ${answer.error.message}`);
      s.counts.bufferDropped++;
      return true;
    }
    s.running.push({ workflowId, runId: answer.value.runId });
    recordAction(s, { scheduleTime: start.nominal, actualTime: now, workflowId, runId: answer.value.runId, status: 'RUNNING' });
    s.watchDelayMs = undefined;
    return true;
  }

  /** CANCEL_OTHER and TERMINATE_OTHER: ends the running workflows (a cancel is asked once). */
  private async endRunning(s: Stored, how: 'cancel' | 'terminate'): Promise<void> {
    const reason = `Schedule '${s.scheduleId}' overlap policy ${how === 'cancel' ? 'CANCEL_OTHER' : 'TERMINATE_OTHER'}`;
    for (const r of [...s.running]) {
      const stub = workflowStub(this.env, s.namespace, r.workflowId);
      if (how === 'terminate') {
        await stub.terminate({ runId: r.runId, reason });
        s.running = s.running.filter((x) => x !== r);
        const recent = s.recent.find((a) => a.runId === r.runId);
        if (recent) recent.status = 'TERMINATED';
      } else if (!r.cancelRequested) {
        await stub.requestCancel({ runId: r.runId, reason });
        r.cancelRequested = true;
      }
    }
  }
}

/** The spec compiled, after checking what the service would refuse later: a bad spec, the action's or the schedule's search attributes. */
function checkedSpec(s: Pick<StoredSchedule, 'schedule' | 'scheduleId' | 'searchAttributes'>): CompiledSpec {
  checkSearchAttributes(s.schedule.action.startWorkflow.searchAttributes);
  checkSearchAttributes(s.searchAttributes);
  try {
    return specOf(s);
  } catch (err) {
    if (err instanceof ScheduleSpecError) throw new ServiceError('INVALID_ARGUMENT', `schedule.spec: ${err.message}`, { issues: [{ path: 'schedule.spec', message: err.message }] });
    throw err;
  }
}

