/**
 * Updates on their way through a workflow object: a worker validates each against the workflow's
 * state (nothing is written if it rejects), then one transaction accepts it into history, and the
 * caller waits — at most the long-poll limit — for the stage it asked. A validation in flight is
 * joined by a repeat of the same update id; an update not yet accepted when its run continues as
 * new follows the chain.
 */
import type { ParsedRequestOf } from '../../protocol/index.js';
import type { Clock } from '../clock.js';
import { resolveRun } from '../engine/run-control.js';
import { isRunning, type RunState } from '../engine/run-state.js';
import { Txn } from '../engine/transaction.js';
import { acceptUpdate, findUpdate, requireRunningForUpdate, updateAnswer, type UpdateAnswer } from '../engine/updates.js';
import type { QueryBroker } from '../query-broker.js';
import { ServiceError } from '../service-error.js';
import type { WorkflowStore } from '../storage/workflow-store.js';
import type { HistoryWaiters } from './history-waiters.js';

/** How many runs an update not yet accepted follows through continue-as-new. */
const MAX_UPDATE_HOPS = 10;

export interface UpdateDeps {
  store: WorkflowStore;
  clock: Clock;
  queries: QueryBroker;
  waiters: HistoryWaiters;
  workflowId: () => string;
  /** Writes one change (the workflow object's one way to change state). */
  mutate: (fn: (tx: Txn) => void) => void;
}

export class UpdatesInFlight {
  /** Updates whose validator is running, by run and update id: the same id again joins the first. */
  private readonly validating = new Map<string, Promise<UpdateAnswer | 'continued-as-new' | undefined>>();

  constructor(private readonly deps: UpdateDeps) {}

  /** No update is being validated (waiting ones wait as history waiters). */
  get idle(): boolean {
    return this.validating.size === 0;
  }

  /**
   * Validates and accepts `req` on the run it names unless that run already has it, then waits for
   * the stage asked.
   */
  async run(req: ParsedRequestOf<'updateWorkflow'>, deadline: number): Promise<UpdateAnswer> {
    // An update not yet accepted when its run continues as new goes on to the new run, as in
    // Temporal (unless the caller named the run). Bounded: each hop needs a whole workflow task.
    for (let hop = 0; ; hop++) {
      const run = this.target(req.runId, req.firstExecutionRunId);
      if (!findUpdate(run, req.updateId)) {
        requireRunningForUpdate(run, req.updateId);
        const key = `${run.runId}/${req.updateId}`;
        let validation = this.validating.get(key);
        if (!validation) {
          validation = this.validateAndAccept(run, req).finally(() => this.validating.delete(key));
          this.validating.set(key, validation);
        }
        const answer = await validation;
        if (answer === 'continued-as-new' && !req.runId && hop < MAX_UPDATE_HOPS) continue;
        if (answer === 'continued-as-new') requireRunningForUpdate(this.deps.store.loadRun(run.runId)!, req.updateId);
        else if (answer) return answer;
      }
      return this.waitFor(run.runId, req.updateId, req.waitForStage, deadline);
    }
  }

  /** Waits (long poll) for an accepted update of the run `runId` names to reach a stage. */
  poll(updateId: string, runId: string | undefined, stage: 'ACCEPTED' | 'COMPLETED', deadline: number): Promise<UpdateAnswer> {
    return this.waitFor(this.target(runId, undefined).runId, updateId, stage, deadline);
  }

  /** The run an update names (its run id, else the latest run), checked against the chain when one is given. */
  private target(runId: string | undefined, firstExecutionRunId: string | undefined): RunState {
    const { store, clock } = this.deps;
    const run = resolveRun(new Txn(store, clock.now()), this.deps.workflowId(), runId);
    if (firstExecutionRunId && run.firstRunId !== firstExecutionRunId) {
      throw new ServiceError('WORKFLOW_NOT_FOUND', `Workflow '${run.workflowId}' run ${run.runId} does not belong to the chain started by run ${firstExecutionRunId}.`, { workflowId: run.workflowId, runId: run.runId });
    }
    return run;
  }

  /**
   * Runs the validator on a worker; accepts the update, or returns the rejection (nothing written),
   * or says the run continued as new meanwhile (nothing written: the caller tries the new run).
   */
  private async validateAndAccept(run: RunState, req: ParsedRequestOf<'updateWorkflow'>): Promise<UpdateAnswer | 'continued-as-new' | undefined> {
    const answer = await this.deps.queries.ask({
      namespace: run.namespace,
      workflowId: run.workflowId,
      runId: run.runId,
      queryType: req.name,
      queryArgs: req.args,
      taskQueue: run.taskQueue,
      update: { updateId: req.updateId, name: req.name, args: req.args, ...(req.header ? { header: req.header } : {}) },
      ...(isRunning(run) && run.sticky ? { stickyTaskQueue: run.sticky.taskQueue, stickyTimeoutMs: run.sticky.scheduleToStartTimeoutMs } : {}),
    });
    if (answer.failure) return { updateId: req.updateId, runId: run.runId, stage: 'COMPLETED', outcome: { failure: answer.failure } };
    if (this.deps.store.loadRun(run.runId)?.status === 'CONTINUED_AS_NEW') return 'continued-as-new';
    this.deps.mutate((tx) => acceptUpdate(tx, tx.loadRun(run.runId)!, req));
    return undefined;
  }

  private async waitFor(runId: string, updateId: string, stage: 'ACCEPTED' | 'COMPLETED', deadline: number): Promise<UpdateAnswer> {
    for (;;) {
      const run = this.deps.store.loadRun(runId)!;
      const answer = updateAnswer(this.deps.store, run, updateId, stage);
      if (answer) return answer;
      const left = deadline - this.deps.clock.now();
      // The long poll ends with the stage reached so far; the caller polls again.
      if (left <= 0) return { updateId, runId, stage: 'ACCEPTED' };
      await this.deps.waiters.wait(runId, left);
    }
  }
}
