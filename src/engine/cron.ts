/**
 * Cron workflows, as Temporal's: a start with `cronSchedule` waits for the schedule's first firing
 * (firstWorkflowTaskBackoffMs), and whenever a run of the chain closes — completed, failed after
 * its retries, or timed out — the next run starts in the same transaction under the same workflow
 * id, its first task backed off to the next firing, and the closing event carries its id
 * (newExecutionRunId). Termination and cancellation end the cron; so does the execution timeout,
 * which bounds the whole chain: no run is started whose first firing is past it.
 */
import type { ParsedRequestOf } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';
import { CronScheduleError, cronBackoffMs, parseCronSchedule, type CronSchedule } from './cron-schedule.js';
import type { RunState } from './run-state.js';
import type { Txn } from './transaction.js';

type StartRequest = ParsedRequestOf<'startWorkflow'>;

function parseOrRefuse(text: string): CronSchedule {
  try {
    return parseCronSchedule(text);
  } catch (e) {
    if (e instanceof CronScheduleError) throw new ServiceError('INVALID_ARGUMENT', `cronSchedule: ${e.message}`, { field: 'cronSchedule', cronSchedule: text });
    throw e;
  }
}

/** Refuses a start whose cron schedule is malformed, never fires, or comes with a start delay. */
export function checkCronSchedule(req: Pick<StartRequest, 'cronSchedule' | 'startDelayMs'>, now: number): void {
  if (req.cronSchedule === undefined) return;
  if (req.startDelayMs) {
    throw new ServiceError('INVALID_ARGUMENT', 'cronSchedule and startDelay cannot be used together (as in Temporal): the schedule decides when the first run starts.', { field: 'startDelayMs' });
  }
  firstCronBackoffMs(req, now);
}

/** How long a new cron workflow's first task waits: until the schedule first fires. */
export function firstCronBackoffMs(req: Pick<StartRequest, 'cronSchedule'>, now: number): number {
  const text = req.cronSchedule!;
  const backoff = cronBackoffMs(parseOrRefuse(text), now, now);
  if (backoff === undefined) {
    throw new ServiceError('INVALID_ARGUMENT', `cronSchedule: '${text}' never fires (no matching time in the next ten years); check the day and month fields.`, { field: 'cronSchedule', cronSchedule: text });
  }
  return backoff;
}

/**
 * The back-off of the chain's next cron run if the closing run is a cron run and that run would
 * start before the execution deadline; else undefined (the cron ends).
 */
export function nextCronBackoffMs(tx: Txn, run: RunState): number | undefined {
  if (!run.cronSchedule) return undefined;
  const backoff = cronBackoffMs(parseCronSchedule(run.cronSchedule), run.executionTime, tx.now);
  if (backoff === undefined) return undefined;
  if (run.executionDeadline !== undefined && tx.now + backoff >= run.executionDeadline) return undefined;
  return backoff;
}

