// Owns the `keel schedule …` command tree with Temporal CLI's flags (`--schedule-id`,
// `--interval`, `--calendar`, `--cron`, `--overlap-policy`, …). The work is in schedule-actions.ts,
// imported only when a command runs.
import type { Command } from 'commander';
import { addClientOptions, collect } from './flags.js';
import type { Io } from './output.js';

export function defineScheduleCommands(schedule: Command, io: Io): void {
  const actions = () => import('./schedule-actions.js');
  const id = (c: Command) => addClientOptions(c.requiredOption('-s, --schedule-id <id>', 'the schedule id'));
  const overlap = (c: Command, what: string) =>
    c.option('--overlap-policy <policy>', `${what}: Skip, BufferOne, BufferAll, CancelOther, TerminateOther or AllowAll`);
  /** The flags of create and update: the whole schedule. */
  const scheduleFlags = (c: Command) =>
    overlap(
      id(c)
        .option('--interval <every[/offset]>', "take an action every interval, e.g. 45m, or 1d/6h for 06:00 each day (repeatable)", collect)
        .option('--calendar <json>', 'a calendar as JSON, e.g. \'{"dayOfWeek":"Fri","hour":"3","minute":"11"}\' (repeatable)', collect)
        .option('--cron <expression>', "a cron expression, e.g. '0 12 * * MON-FRI' (repeatable)", collect)
        .option('--start-time <time>', 'take no action before this time (ISO 8601)')
        .option('--end-time <time>', 'take no action after this time (ISO 8601)')
        .option('--jitter <duration>', 'delay each action by a random amount up to this, e.g. 5m')
        .option('--time-zone <zone>', 'IANA time zone of calendars and cron expressions, e.g. Europe/Paris (default UTC)')
        .option('--catchup-window <duration>', 'take actions missed by at most this much (default 1 year)')
        .option('--pause-on-failure', 'pause the schedule when a workflow it started fails or times out')
        .option('--paused', 'start paused')
        .option('--notes <text>', 'a note on the schedule\'s state')
        .option('--remaining-actions <n>', 'take at most this many scheduled actions')
        .option('-w, --workflow-id <id>', 'the workflow id; each action appends its time (default: <schedule id>-workflow)')
        .requiredOption('--type <type>', 'the workflow type')
        .requiredOption('-t, --task-queue <queue>', 'the task queue')
        .option('-i, --input <json>', 'an argument of the workflow as JSON (repeatable)', collect)
        .option('--input-file <file>', 'a file with an argument as JSON (repeatable)', collect)
        .option('--execution-timeout <duration>', 'limit for each workflow execution')
        .option('--run-timeout <duration>', 'limit for each workflow run')
        .option('--task-timeout <duration>', 'limit for each workflow task')
        .option('--memo <key=json>', 'a memo field of each workflow (repeatable)', collect)
        .option('--search-attribute <key=json>', 'a search attribute of each workflow (repeatable)', collect)
        .option('--schedule-memo <key=json>', 'a memo field of the schedule (repeatable)', collect)
        .option('--schedule-search-attribute <key=json>', 'a search attribute of the schedule (repeatable)', collect),
      'what to do when an action comes due while the last workflow runs (default Skip)',
    );

  scheduleFlags(schedule.command('create').description('Create a schedule'))
    .addHelpText('after', `\nExample:\n  keel schedule create --schedule-id daily-report --cron '0 9 * * MON-FRI' --time-zone Europe/Paris --type report --task-queue reports --input '"daily"'\n`)
    .action(async (flags) => (await actions()).create(flags, io));
  scheduleFlags(schedule.command('update').description("Replace a schedule's spec, action and policies (give every flag, as with create)"))
    .action(async (flags) => (await actions()).update(flags, io));
  id(schedule.command('describe').description('Show a schedule: its spec, action, state, recent and upcoming actions'))
    .action(async (flags) => (await actions()).describe(flags, io));
  addClientOptions(schedule.command('list').description('List schedules'))
    .action(async (flags) => (await actions()).list(flags, io));
  id(schedule.command('toggle').description('Pause or unpause a schedule'))
    .option('--pause', 'pause it')
    .option('--unpause', 'unpause it')
    .option('--reason <text>', 'why, kept as the schedule\'s note')
    .addHelpText('after', `\nExample:\n  keel schedule toggle --schedule-id daily-report --pause --reason 'maintenance'\n`)
    .action(async (flags) => (await actions()).toggle(flags, io));
  overlap(id(schedule.command('trigger').description('Take one action now')), "overlap policy for this action (default: the schedule's)")
    .action(async (flags) => (await actions()).trigger(flags, io));
  overlap(id(schedule.command('backfill').description("Take the actions the spec names in a time range, now")), "overlap policy for these actions (default: the schedule's)")
    .requiredOption('--start-time <time>', 'start of the range (ISO 8601)')
    .requiredOption('--end-time <time>', 'end of the range (ISO 8601)')
    .addHelpText('after', `\nExample:\n  keel schedule backfill --schedule-id daily-report --start-time 2026-01-01T00:00:00Z --end-time 2026-01-31T23:59:59Z --overlap-policy AllowAll\n`)
    .action(async (flags) => (await actions()).backfill(flags, io));
  id(schedule.command('delete').description('Delete a schedule (the workflows it started go on)'))
    .action(async (flags) => (await actions()).remove(flags, io));
}
