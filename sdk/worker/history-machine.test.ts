// Tests of WorkflowRunMachine: turning history into activations, checking commands against
// history, and continuing a cached run from only its new events.
import { describe, expect, it, vi } from 'vitest';
import type { Command } from '../../protocol/index.js';
import type { Activation, ActivationResult, QueryRequest, QueryResult } from '../workflow/activation.js';
import { CachedRunInvalidError, DeterminismViolationError, HistoryGapError } from './errors.js';
import { WorkflowRunMachine } from './history-machine.js';
import { HistoryBuilder, ORIGINAL_RUN_ID, payload } from './test-fixtures/history-builder.js';
import { fixtureBundle } from './test-fixtures/fixtures.js';
import { WorkflowSandbox, type WorkflowRunContext } from './workflow-sandbox.js';

const RUN = { namespace: 'default', workflowId: 'wf-1', runId: ORIGINAL_RUN_ID };

/** A context that records activations and answers each with the next scripted commands. */
class ScriptedContext implements WorkflowRunContext {
  readonly activations: Activation[] = [];
  disposed = false;
  constructor(private readonly script: ActivationResult[]) {}
  async activate(activation: Activation): Promise<ActivationResult> {
    this.activations.push(structuredClone(activation));
    return this.script.shift() ?? { commands: [] };
  }
  async query(request: QueryRequest): Promise<QueryResult> {
    return { queryId: request.queryId, answer: payload(this.activations.length) };
  }
  dispose(): void {
    this.disposed = true;
  }
}

const schedule = (activityId: string, activityType: string): Command => ({ type: 'ScheduleActivityTask', activityId, activityType, input: [] });
const timer = (timerId: string): Command => ({ type: 'StartTimer', timerId, startToFireTimeoutMs: 1000 });

function scripted(...script: ActivationResult[]): { machine: WorkflowRunMachine; context: ScriptedContext } {
  const context = new ScriptedContext(script);
  return { machine: new WorkflowRunMachine({ ...RUN, context }), context };
}

async function realMachine(): Promise<WorkflowRunMachine> {
  const sandbox = new WorkflowSandbox((await fixtureBundle('workflows.ts')).code, { logger: { log: () => {} } });
  return new WorkflowRunMachine({ ...RUN, context: sandbox.createRunContext(RUN) });
}

describe('WorkflowRunMachine', () => {
  it('replays a workflow that schedules an activity, gets its result and completes', async () => {
    const h = new HistoryBuilder().started('order', ['o-1']).workflowTask();
    h.activityCompleted(h.activityScheduled('1', 'charge', ['o-1']), 'charged o-1');
    h.workflowTask().completed('charged o-1');
    const machine = await realMachine();
    expect(await machine.applyHistory(h.events, { mode: 'replay' })).toBeUndefined();
    expect(machine.lastEventId).toBe(h.events.length);
    expect(machine.isRunClosed).toBe(true);
  });

  it('activates each completed task with its jobs, its start time, its history length, replaying', async () => {
    const { machine, context } = scripted({ commands: [schedule('1', 'charge')] }, { commands: [] });
    const h = new HistoryBuilder().started('order', ['o-1']);
    const firstTask = h.taskStarted();
    h.recordCompletion([schedule('1', 'charge')]);
    h.activityCompletedById('1', 'ok');
    h.signaled('poke', [1]);
    const secondTask = h.taskStarted();
    h.taskCompleted();
    await machine.applyHistory(h.events);
    expect(context.activations).toHaveLength(2);
    const [first, second] = context.activations;
    expect(first).toMatchObject({ timestamp: Date.parse(firstTask.eventTime), historyLength: 3, isReplaying: true });
    expect(first?.jobs).toEqual([
      expect.objectContaining({ type: 'startWorkflow', workflowType: 'order', args: [payload('o-1')], randomnessSeed: expect.any(Number) }),
    ]);
    expect(first?.jobs[0]).toMatchObject({ info: { workflowId: 'wf-1', runId: ORIGINAL_RUN_ID, namespace: 'default', taskQueue: 'q', attempt: 1 } });
    expect(second).toMatchObject({ timestamp: Date.parse(secondTask.eventTime), historyLength: secondTask.eventId, isReplaying: true });
    expect(second?.jobs).toEqual([
      { type: 'resolveActivity', activityId: '1', result: { completed: { result: payload('ok') } } },
      { type: 'signalWorkflow', signalName: 'poke', args: [payload(1)] },
    ]);
  });

  it('activates the last started task live and returns its commands', async () => {
    const { machine, context } = scripted({ commands: [timer('1')] });
    const h = new HistoryBuilder().started('sleeper');
    h.taskStarted();
    const before = Date.now();
    // A live StartTimer carries when the workflow asked for it, on the worker's clock (the service counts the timer from it).
    const result = await machine.applyHistory(h.events);
    expect(result).toEqual({ commands: [{ ...timer('1'), requestedAtMs: expect.any(Number) }] });
    expect(context.activations[0]?.isReplaying).toBe(false);
    const [{ requestedAtMs }] = (result as unknown as { commands: [{ requestedAtMs: number }] }).commands;
    expect(requestedAtMs).toBeGreaterThanOrEqual(before);
    expect(requestedAtMs).toBeLessThanOrEqual(Date.now());
  });

  it("stamps each activation's timers with its own moment: a timer asked for after a local activity carries the time after it", async () => {
    const request = { seq: 1, activityId: '1', activityType: 'work', input: [], attempt: 1, originalScheduleTime: 0, localRetryThresholdMs: 60_000 };
    const { machine } = scripted({ commands: [timer('1')], localActivities: [request] }, { commands: [timer('2')] });
    const h = new HistoryBuilder().started('sleeper');
    h.taskStarted();
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 });
    try {
      const result = await machine.applyHistory(h.events, {
        localActivities: () => {
          vi.setSystemTime(1_005_000); // the local activity took 5 s of the worker's clock
          return { data: { seq: 1, attempt: 1, activityId: '1', activityType: 'work', completeTime: '', originalScheduleTime: '' }, outcome: { completed: {} } };
        },
      });
      const timers = (result as { commands: Command[] }).commands.filter((c) => c.type === 'StartTimer');
      expect(timers).toEqual([
        { ...timer('1'), requestedAtMs: 1_000_000 },
        { ...timer('2'), requestedAtMs: 1_005_000 },
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('leaves replayed StartTimer commands as the workflow made them', async () => {
    const { machine } = scripted({ commands: [timer('1')] });
    const h = new HistoryBuilder().started('sleeper');
    h.taskStarted();
    expect(await machine.applyHistory(h.events, { mode: 'replay' })).toEqual({ commands: [timer('1')] });
  });

  it('gives a failed activity the failure recorded in history', async () => {
    const { machine, context } = scripted({ commands: [schedule('a', 'charge')] });
    const h = new HistoryBuilder().started('order');
    h.taskStarted();
    h.recordCompletion([schedule('a', 'charge')]);
    const failure = { message: 'card declined', applicationFailureInfo: { type: 'Declined', nonRetryable: true } };
    h.add('ActivityTaskFailed', { failure, scheduledEventId: 5, startedEventId: 5, retryState: 'NON_RETRYABLE_FAILURE' });
    h.taskStarted();
    await machine.applyHistory(h.events);
    expect(context.activations[1]?.jobs).toEqual([{ type: 'resolveActivity', activityId: 'a', result: { failed: { failure } } }]);
  });

  it('does not activate a failed workflow task; its jobs carry over to the next one', async () => {
    const { machine, context } = scripted({ commands: [timer('1')] });
    const h = new HistoryBuilder().started('sleeper');
    h.taskStarted();
    h.taskFailed();
    h.signaled('poke');
    h.taskStarted();
    await machine.applyHistory(h.events);
    expect(context.activations).toHaveLength(1);
    expect(context.activations[0]?.jobs.map((j) => j.type)).toEqual(['startWorkflow', 'signalWorkflow']);
  });

  it('resumes a cached run from only its new events, with the same commands as a full replay', async () => {
    const cached = await realMachine();
    const h = new HistoryBuilder().started('fulfil', ['o-1']);
    h.taskStarted();
    // Each step: what happens between two workflow tasks, given the commands of the last one.
    const steps: ((commands: Command[]) => void)[] = [
      () => h.activityCompletedById('1', 'charged o-1'),
      () => h.signaled('approve', [true]),
      (commands) => {
        expect(commands).toEqual([expect.objectContaining({ type: 'StartTimer' })]);
        h.timerFiredById((commands[0] as Extract<Command, { type: 'StartTimer' }>).timerId);
      },
      (commands) => {
        expect(commands).toEqual([expect.objectContaining({ type: 'ScheduleActivityTask', activityType: 'ship' })]);
        h.activityCompletedById((commands[0] as Extract<Command, { type: 'ScheduleActivityTask' }>).activityId, 'shipped');
      },
    ];
    let commands = await liveCommands(cached.applyHistory(h.events));
    for (const step of steps) {
      const nextBatchStart = h.events.length + 1;
      h.recordCompletion(commands);
      step(commands);
      h.taskStarted();
      commands = await liveCommands(cached.applyHistory(h.since(nextBatchStart)));
      const fresh = await realMachine();
      // The same commands but for when a timer was asked for (the worker's clock), which replay does not compare.
      expect(withoutRequestTimes(await liveCommands(fresh.applyHistory(h.events)))).toEqual(withoutRequestTimes(commands));
      expect(await fresh.query({ queryId: 'q', queryType: 'step', args: [] })).toEqual(
        await cached.query({ queryId: 'q', queryType: 'step', args: [] }),
      );
    }
    expect(commands).toEqual([{ type: 'CompleteWorkflowExecution', result: payload('shipped') }]);
  });

  it('throws HistoryGapError when a batch does not start right after the last event applied', async () => {
    const { machine } = scripted({ commands: [timer('1')] });
    const h = new HistoryBuilder().started('sleeper');
    h.taskStarted();
    await machine.applyHistory(h.events);
    h.recordCompletion([timer('1')]);
    h.timerFiredById('1');
    h.taskStarted();
    const err = await machine.applyHistory(h.since(5)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HistoryGapError);
    expect(err).toBeInstanceOf(CachedRunInvalidError);
    expect(err).toMatchObject({ expectedEventId: 4, actualEventId: 5 });
    // A machine that threw cannot be trusted any more.
    await expect(machine.applyHistory(h.since(4))).rejects.toThrow(CachedRunInvalidError);
  });

  it('throws HistoryGapError for a gap inside a batch', async () => {
    const { machine } = scripted();
    const h = new HistoryBuilder().started('sleeper');
    h.taskStarted();
    await expect(machine.applyHistory([h.events[0]!, h.events[2]!])).rejects.toThrow(HistoryGapError);
  });

  it('invalidates a cached run whose live task the service failed instead of completing', async () => {
    const { machine } = scripted({ commands: [timer('1')] });
    const h = new HistoryBuilder().started('sleeper');
    h.taskStarted();
    await machine.applyHistory(h.events);
    h.taskFailed();
    h.taskStarted();
    await expect(machine.applyHistory(h.since(4))).rejects.toThrow(/not completed \(WorkflowTaskFailed at event 4\)/);
  });

  it('throws DeterminismViolationError for a command that differs from its event', async () => {
    const { machine } = scripted({ commands: [timer('1')] });
    const h = new HistoryBuilder().started('order').workflowTask();
    h.activityScheduled('1', 'charge');
    const err = await machine.applyHistory(h.events).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeterminismViolationError);
    expect((err as Error).message).toBe(
      'Nondeterminism at event 5: history recorded ActivityTaskScheduled(activityType=charge, activityId=1) but the workflow issued StartTimer(timerId=1)',
    );
  });

  it('throws DeterminismViolationError for an event the workflow issued no command for', async () => {
    const { machine } = scripted({ commands: [] });
    const h = new HistoryBuilder().started('order').workflowTask();
    h.activityScheduled('1', 'charge');
    await expect(machine.applyHistory(h.events)).rejects.toThrow(
      'Nondeterminism at event 5: history recorded ActivityTaskScheduled(activityType=charge, activityId=1) but the workflow issued no command for it',
    );
  });

  it('throws DeterminismViolationError for a command history has no event for', async () => {
    const { machine } = scripted({ commands: [schedule('1', 'charge'), timer('2')] });
    const h = new HistoryBuilder().started('order');
    h.taskStarted();
    h.recordCompletion([schedule('1', 'charge')]);
    h.activityCompletedById('1', 'ok');
    h.taskStarted();
    await expect(machine.applyHistory(h.events)).rejects.toThrow(
      'Nondeterminism at event 8: history recorded WorkflowTaskScheduled but the workflow issued StartTimer(timerId=2) (in the workflow task completed at event 4)',
    );
  });

  it('checks the commands of a live task against the events of the next batch', async () => {
    const { machine } = scripted({ commands: [timer('1')] });
    const h = new HistoryBuilder().started('sleeper');
    h.taskStarted();
    await machine.applyHistory(h.events);
    h.recordCompletion([timer('7')]); // the service recorded something else than was sent
    h.timerFiredById('7');
    h.taskStarted();
    await expect(machine.applyHistory(h.since(4))).rejects.toThrow(
      'Nondeterminism at event 5: history recorded TimerStarted(timerId=7) but the workflow issued StartTimer(timerId=1)',
    );
  });

  it('returns a replayed task failure at once and refuses further use', async () => {
    const { machine, context } = scripted({ failure: { message: 'bug' } });
    const h = new HistoryBuilder().started('order').workflowTask();
    h.activityScheduled('1', 'charge');
    expect(await machine.applyHistory(h.events)).toEqual({ failure: { message: 'bug' } });
    expect(machine.isUsable).toBe(false);
    await expect(machine.query({ queryId: 'q', queryType: 'x', args: [] })).rejects.toThrow(CachedRunInvalidError);
    machine.dispose();
    expect(context.disposed).toBe(true);
  });

  it('activates at once when nothing is in flight, and a call made meanwhile only after the one before settled', async () => {
    // At once: a new run's first activation follows its module evaluation with no other run's call into the shared sandbox between.
    const { machine, context } = scripted({ commands: [timer('1')] }, { commands: [] });
    const h = new HistoryBuilder().started('sleeper');
    h.taskStarted();
    const first = machine.applyHistory(h.events);
    expect(context.activations).toHaveLength(1);
    const query = machine.query({ queryId: 'q', queryType: 'state', args: [] });
    expect(await first).toEqual({ commands: [{ ...timer('1'), requestedAtMs: expect.any(Number) }] });
    // The query waited for the activation: it saw one.
    expect(await query).toEqual({ queryId: 'q', answer: payload(1) });
  });

  it('derives the randomness seed from the original run id, the same live and on replay', async () => {
    const seedOf = async (runId: string) => {
      const context = new ScriptedContext([]);
      const machine = new WorkflowRunMachine({ ...RUN, runId, context });
      const h = new HistoryBuilder().started('randomness');
      h.taskStarted();
      await machine.applyHistory(h.events);
      const job = context.activations[0]?.jobs[0];
      return job?.type === 'startWorkflow' ? job.randomnessSeed : undefined;
    };
    // A reset run has a new run id but replays the original's events: same seed.
    expect(await seedOf('reset-run')).toBe(await seedOf(ORIGINAL_RUN_ID));
  });
});

async function liveCommands(result: Promise<ActivationResult | undefined>): Promise<Command[]> {
  const r = await result;
  if (!r) throw new Error('no live task');
  if ('failure' in r) throw new Error(`task failed: ${r.failure.message}`);
  return r.commands;
}

const withoutRequestTimes = (commands: Command[]) => commands.map((c) => (c.type === 'StartTimer' ? { ...c, requestedAtMs: undefined } : c));
