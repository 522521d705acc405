// Runs a schedule against a Keel service — `keel dev` by default:
//
//   keel dev                                # in one terminal
//   npx tsx examples/schedules/main.ts      # in another (KEEL_ADDRESS to use another service)
//
// A worker runs in this process. The client creates a schedule that sends a sales report at 09:00
// Paris time every weekday, shows its next action times, backfills the first week of 2026 (five
// reports, one per weekday), triggers one more now, pauses it and deletes it.
import { fileURLToPath } from 'node:url';
import { Client, Connection, ScheduleOverlapPolicy } from 'keel/client';
import { NativeConnection, Worker } from 'keel/worker';
import { createActivities } from './activities';
import { dailyReport } from './workflows';

export const TASK_QUEUE = 'reports';
export const workflowsPath = fileURLToPath(new URL('./workflows.ts', import.meta.url));

export interface ScheduleRun {
  nextActionTimes: Date[];
  reports: string[];
  pausedNote: string | undefined;
}

/** The client's side: create, describe, backfill, trigger, wait for the reports, pause, delete. */
export async function runSchedule(client: Client, scheduleId: string): Promise<ScheduleRun> {
  const handle = await client.schedule.create({
    scheduleId,
    spec: { calendars: [{ hour: 9, dayOfWeek: [{ start: 'MONDAY', end: 'FRIDAY' }], comment: 'weekdays at 09:00' }], timezone: 'Europe/Paris' },
    action: { type: 'startWorkflow', workflowType: dailyReport, workflowId: `${scheduleId}-report`, taskQueue: TASK_QUEUE, args: ['EMEA'] },
    policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE },
  });
  const { info } = await handle.describe();

  // Take the week of 2026-01-05 now: one report per weekday, started at once (ALLOW_ALL).
  await handle.backfill({ start: new Date('2026-01-05T00:00:00Z'), end: new Date('2026-01-09T23:59:59Z'), overlap: ScheduleOverlapPolicy.ALLOW_ALL });
  await handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL);

  const { info: after } = await handle.describe();
  const reports = await Promise.all(
    after.recentActions.map((a) => client.workflow.getHandle(a.action.workflow.workflowId, a.action.workflow.firstExecutionRunId).result() as Promise<string>),
  );
  await handle.pause('end of the example');
  const { state } = await handle.describe();
  await handle.delete();
  return { nextActionTimes: info.nextActionTimes, reports, pausedNote: state.note };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const address = process.env.KEEL_ADDRESS ?? '127.0.0.1:7233';
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address }),
    taskQueue: TASK_QUEUE,
    workflowsPath,
    activities: createActivities(),
  });
  const client = new Client({ connection: await Connection.connect({ address }) });
  const run = await worker.runUntil(runSchedule(client, `sales-${Date.now()}`));
  console.log(`Next actions: ${run.nextActionTimes.slice(0, 3).map((t) => t.toISOString()).join(', ')}, …`);
  console.log(`Reports:\n  ${run.reports.join('\n  ')}`);
  console.log(`Paused: ${run.pausedNote}`);
}
