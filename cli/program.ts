// Owns the `keel` command line: every command, flag and help text, with Temporal CLI's names
// (`keel workflow start --type … --task-queue … --workflow-id … --input …`). The work of each
// command is imported only when it runs, so `keel dev` and `--help` load no SDK code.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ExitCode, describeError, exitCodeOf } from './errors.js';
import { addClientOptions, collect, type ClientFlags } from './flags.js';
import { OUTPUT_FORMATS, processIo, terminalSafe, type Io, type OutputFormat } from './output.js';
import { keelPackage } from './package-root.js';
import { defineScheduleCommands } from './schedule-commands.js';

/** The version in the keel package's package.json, found above this module (sources or dist/). */
function packageVersion(): string {
  try {
    return keelPackage().version;
  } catch {
    return 'unknown';
  }
}

/** `never` is Temporal CLI's name for `none`. */
const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'none', 'never'] as const;

/**
 * Runs `keel` with `argv` (as `process.argv`: node, script, then arguments) and resolves with
 * the exit code. Failures print one line on stderr; nothing here calls `process.exit`.
 */
export async function main(argv: readonly string[], rawIo: Io = processIo): Promise<number> {
  // Ids, names, reasons and log lines come from the service, where anyone may have put escape
  // sequences: nothing reaches the terminal unescaped.
  const io = terminalSafe(rawIo);
  const program = createProgram(io);
  let ran: Command | undefined;
  program.hook('preAction', (_program, actionCommand) => {
    ran = actionCommand;
  });
  try {
    await program.parseAsync(argv as string[]);
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its message (through `outputError` below).
      return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    io.err(`Error: ${describeError(err, { address: ran?.opts<Partial<ClientFlags>>().address })}\n`);
    if (process.env.KEEL_DEBUG && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
    return exitCodeOf(err);
  }
}

/** The whole command tree, writing through `io`. */
export function createProgram(io: Io = processIo): Command {
  const program = new Command('keel')
    .description('Keel: durable execution with Temporal\'s programming model, on Cloudflare Durable Objects.')
    .version(packageVersion(), '-v, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      // Commander's usage errors, on one line like every other failure.
      outputError: (s, write) => write(`Error: ${s.replace(/^error:\s*/i, '').replace(/\s*\n\s*/g, ' ').trim()}\n`),
    })
    .showSuggestionAfterError(true)
    .addHelpText('after', '\nRun `keel <command> --help` for the flags of a command. Docs: docs/cli.md');

  program
    .command('dev')
    .description('Run a local Keel service (API and web UI) with state persisted under --db-dir')
    .option('--db-dir <dir>', 'directory to keep all state in', '.keel')
    .option('-p, --port <port>', 'port of the API and the web UI (0 picks a free one)', parsePort, 7233)
    .option('--ip <ip>', 'address to listen on', '127.0.0.1')
    .option('--api-key-file <file>', 'require API keys as a deployed service does: a file of grants as KEEL_API_KEYS holds them (`keel api-key create` prints one); KEEL_API_KEYS works too')
    .option('-n, --namespace <namespace>', 'a namespace to create at start (repeatable), as Temporal\'s start-dev; `default` always exists', collectNewNamespace)
    .option('--no-auto-create-namespaces', 'refuse namespaces not created with --namespace or `keel operator namespace create` (NAMESPACE_NOT_FOUND), as a deployed service does; by default any name works and is created on first use')
    .option('--task-queue-partitions <count|json>', 'partitions of each task queue: a number, or JSON like {"default":4,"queues":{"orders":16}} (default 4, as Temporal; KEEL_TASK_QUEUE_PARTITIONS works too; docs/scale.md)')
    .addOption(new Option('--log-level <level>', 'the lowest level of Worker log lines to print').choices(LOG_LEVELS).default('warn'))
    .addHelpText('after', '\nExample:\n  keel dev --db-dir .keel --port 7233\n')
    .action(async (flags: { dbDir: string; port: number; ip: string; apiKeyFile?: string; namespace?: string[]; autoCreateNamespaces: boolean; taskQueuePartitions?: string; logLevel: (typeof LOG_LEVELS)[number] }) => {
      const { dev } = await import('./dev.js');
      await dev({ ...flags, namespace: flags.namespace ?? ['default'] }, io);
    });

  program
    .command('init')
    .description('Write a new project that uses Keel: a workflow, an activity, a worker, a client, a test, and a wrangler.toml to deploy the service')
    .argument('<directory>', 'where to write it: a new or empty directory; its name names the project')
    .option('--keel-version <spec>', "the keel dependency its package.json asks for: a version range, or a tarball's path", `^${packageVersion()}`)
    .addHelpText('after', '\nExample:\n  keel init my-app && cd my-app && npm install && npm test\n')
    .action(async (directory: string, flags: { keelVersion: string }) => {
      const { init } = await import('./init.js');
      init(directory, flags, io);
    });

  const workflow = program.command('workflow').description('Start, list, inspect, signal, query, cancel and terminate workflow executions');
  defineWorkflowCommands(workflow, io);

  defineScheduleCommands(program.command('schedule').description('Create, list, describe, update, pause, trigger, backfill and delete schedules'), io);
  const operator = program.command('operator').description('Manage the service: namespaces');
  const namespace = operator.command('namespace').description('Create, describe, list and update namespaces');
  defineNamespaceCommands(namespace, io);

  const taskQueue = program.command('task-queue').description('Inspect task queues');
  addClientOptions(
    taskQueue
      .command('describe')
      .description('Show the pollers and the backlog of a task queue')
      .requiredOption('-t, --task-queue <queue>', 'the task queue')
      .addOption(new Option('--task-queue-type <type>', 'workflow or activity tasks (default: both)').choices(['workflow', 'activity'])),
  ).action(async (flags) => {
    const { describeTaskQueue } = await import('./task-queue-actions.js');
    await describeTaskQueue(flags, io);
  });

  const namespaceCommand = program.command('namespace').description("What a namespace's runs cost");
  addClientOptions(
    namespaceCommand
      .command('cost')
      .description("What the namespace's runs cost in a month so far at Cloudflare's list prices: runs closed in it or still running")
      .option('--month <YYYY-MM>', 'the calendar month (UTC); default: the current month')
      .addHelpText('after', `\nExample:\n  keel namespace cost --namespace default --month 2026-12\n`),
  ).action(async (flags) => {
    const { namespaceCost } = await import('./cost-format.js');
    await namespaceCost(flags, io);
  });

  const apiKey = program.command('api-key').description("Make API keys for a service that requires them (its KEEL_API_KEYS secret)");
  apiKey
    .command('create')
    .description('Print a new random API key and its grant: the SHA-256 of the key and the namespaces it may use')
    .option('--name <name>', 'a label for people: who holds the key')
    .option('-n, --namespace <namespace>', 'a namespace the key may use; repeat for more; * for all', collectNamespace)
    .addOption(new Option('-o, --output <format>', 'text, json or jsonl').choices(OUTPUT_FORMATS).default('text'))
    .addHelpText('after', `\nExample:\n  keel api-key create --name ci --namespace default\n`)
    .action(async (flags: { name?: string; namespace?: string[]; output: OutputFormat }) => {
      const { createApiKey } = await import('./api-key-actions.js');
      createApiKey({ ...flags, namespace: flags.namespace ?? ['default'] }, io);
    });

  return program;
}

function defineNamespaceCommands(namespace: Command, io: Io): void {
  const actions = () => import('./namespace-actions.js');
  /** The namespace named by the argument (Temporal CLI's form) or by --namespace. */
  const named = (c: Command) => addClientOptions(c.argument('[name]', 'the namespace (default: --namespace, KEEL_NAMESPACE or `default`)'));
  const settings = (c: Command) =>
    c
      .option('--description <text>', 'what the namespace is for')
      .option('--email <address>', "the owner's email address")
      .option('--retention <duration>', 'how long a closed workflow execution is kept before it is deleted, e.g. 72h, 3d (default 72h)')
      .option('--data <key=value>', 'a key/value pair to keep with the namespace (repeatable); an empty value removes the key', collect);
  settings(named(namespace.command('create').description('Register a namespace')))
    .addHelpText('after', '\nExample:\n  keel operator namespace create orders --retention 7d --description "order processing" --email ops@example.com\n')
    .action(async (name: string | undefined, flags) => (await actions()).createNamespace(name, flags, io));
  named(namespace.command('describe').description("Show a namespace's description, owner, retention and state")).action(async (name: string | undefined, flags) =>
    (await actions()).describeNamespace(name, flags, io),
  );
  addClientOptions(namespace.command('list').description('List the namespaces')).action(async (flags) => (await actions()).listNamespaces(flags, io));
  settings(named(namespace.command('update').description("Change a namespace's description, owner email, data or retention")))
    .addHelpText('after', '\nA new retention applies to executions as their deletion comes due, including those closed before.\n')
    .action(async (name: string | undefined, flags) => (await actions()).updateNamespace(name, flags, io));
}

function defineWorkflowCommands(workflow: Command, io: Io): void {
  const actions = () => import('./workflow-actions.js');
  const target = (c: Command) =>
    addClientOptions(c.requiredOption('-w, --workflow-id <id>', 'the workflow id').option('-r, --run-id <id>', 'the run (default: the latest run)'));
  /** One execution by id, or every execution a list filter matches (`--query`, with `--yes`). */
  const targetOrBatch = (c: Command) =>
    addClientOptions(
      c
        .option('-w, --workflow-id <id>', 'the workflow id (or use --query)')
        .option('-r, --run-id <id>', 'the run (default: the latest run); only with --workflow-id')
        .option('-q, --query <filter>', "every execution this list filter matches, e.g. \"WorkflowType = 'order'\"")
        .option('-y, --yes', 'act on what --query matches without asking'),
    );
  const inputs = (c: Command, what: string) =>
    c
      .option('-i, --input <json>', `${what} as JSON, one value per use (repeatable), e.g. -i '"Keel"' -i 42`, collect)
      .option('--input-file <file>', `a file with ${what} as JSON (repeatable)`, collect);
  const startFlags = (c: Command) =>
    addClientOptions(
      inputs(
        requireWithAlias(
          c
            .option('--type <type>', "the workflow type, i.e. the workflow function's name (required)")
            .addOption(new Option('--name <type>', 'alias of --type').hideHelp()),
          'type',
          'name',
        )
          .requiredOption('-t, --task-queue <queue>', 'the task queue a worker polls')
          .option('-w, --workflow-id <id>', 'the workflow id (default: a random UUID)'),
        'an argument of the workflow',
      )
        .option('--execution-timeout <duration>', 'limit for the whole execution, retries included, e.g. 1h')
        .option('--run-timeout <duration>', 'limit for one run')
        .option('--task-timeout <duration>', 'limit for one workflow task (default 10s)')
        .option('--start-delay <duration>', 'run the first workflow task this long after the start')
        .option('--id-reuse-policy <policy>', 'AllowDuplicate, AllowDuplicateFailedOnly, RejectDuplicate or TerminateIfRunning')
        .option('--id-conflict-policy <policy>', 'Fail, UseExisting or TerminateExisting')
        .option('--memo <key=json>', "a memo field, e.g. --memo customer='\"acme\"' (repeatable)", collect)
        .option('--search-attribute <key=json>', "a search attribute, e.g. --search-attribute Region='\"eu\"' (repeatable)", collect)
        .option('--cron <schedule>', "run on a cron schedule in UTC, e.g. '0 9 * * MON-FRI', '@hourly' or '@every 15m'"),
    );
  /** `--name` with Temporal's older spelling `--type` as a hidden alias. */
  const named = (c: Command, what: string) =>
    requireWithAlias(c.option('--name <name>', `the ${what} name (required)`).addOption(new Option('--type <name>', 'alias of --name').hideHelp()), 'name', 'type');

  startFlags(workflow.command('start').description('Start a workflow execution and print its ids'))
    .addHelpText('after', `\nExample:\n  keel workflow start --type hello --task-queue hello --workflow-id hello-1 --input '"Keel"'\n`)
    .action(async (flags) => (await actions()).start(flags, io));

  startFlags(workflow.command('execute').description('Start a workflow execution, wait for it to close and print its result'))
    .addHelpText('after', '\nExits with 1 when the workflow fails, is cancelled, terminated or times out.\n')
    .action(async (flags) => (await actions()).execute(flags, io));

  target(workflow.command('result').description('Wait for a workflow execution to close and print its result'))
    .addHelpText('after', '\nExits with 1 when the workflow fails, is cancelled, terminated or times out.\n')
    .action(async (flags) => (await actions()).result(flags, io));

  target(workflow.command('describe').description('Show the status, times and pending activities of a workflow execution'))
    .action(async (flags) => (await actions()).describe(flags, io));

  target(workflow.command('show').description('Show the event history of a workflow execution'))
    .option('-f, --follow', 'keep printing new events until the execution closes')
    .addHelpText('after', "\n--output json prints the history in Temporal's JSON form (as `temporal workflow show --output json`); Worker.runReplayHistory replays that file.\n")
    .action(async (flags) => (await actions()).show(flags, io));

  named(inputs(targetOrBatch(workflow.command('signal').description('Send a signal to a workflow execution')), 'an argument of the signal'), 'signal')
    .addHelpText('after', `\nExample:\n  keel workflow signal --workflow-id order-42 --name approve --input true\n`)
    .action(async (flags) => (await actions()).signal(flags, io));

  named(inputs(target(workflow.command('query').description('Query a workflow execution (a worker answers)')), 'an argument of the query'), 'query')
    .addHelpText('after', `\nExample:\n  keel workflow query --workflow-id order-42 --name status\n`)
    .action(async (flags) => (await actions()).query(flags, io));

  targetOrBatch(workflow.command('cancel').description('Request cancellation of a workflow execution'))
    .action(async (flags) => (await actions()).cancel(flags, io));

  targetOrBatch(workflow.command('terminate').description('Terminate a workflow execution at once, running none of its code'))
    .option('--reason <reason>', 'why, recorded in the history')
    .action(async (flags) => (await actions()).terminate(flags, io));

  targetOrBatch(workflow.command('reset').description('Reset a workflow execution to a workflow task: a new run goes on from there with the code workers run now'))
    .option('-e, --event-id <id>', 'the event to reset to: a WorkflowTaskCompleted (or the event just after a WorkflowTaskScheduled/Started)', parseCount)
    .addOption(new Option('-t, --type <type>', 'reset to a workflow task found by type instead of --event-id').choices(['FirstWorkflowTask', 'LastWorkflowTask', 'LastContinuedAsNew']))
    .requiredOption('--reason <reason>', 'why, recorded in both runs (prefixed with your user name, as Temporal does)')
    .option('--reapply-exclude <kind>', 'do not re-apply these inputs received after the point: Signal, Update or All (repeatable)', collect)
    .addHelpText(
      'after',
      `\nExamples:\n  keel workflow reset -w order-42 --type LastWorkflowTask --reason "fixed the bug"\n  keel workflow reset -w order-42 --event-id 4 --reason retry --reapply-exclude Signal\n  keel workflow reset --query "ExecutionStatus = 'Failed'" --type LastWorkflowTask --reason "fixed the bug" --yes\n`,
    )
    .action(async (flags) => (await actions()).reset(flags, io));
  targetOrBatch(workflow.command('delete').description('Delete a workflow execution: its history, state and list entry (a running one is terminated first)'))
    .option('--reason <reason>', 'why, recorded in the history when the run is still running')
    .action(async (flags) => (await actions()).deleteWorkflow(flags, io));

  addClientOptions(workflow.command('list').description('List workflow executions, newest start first'))
    .option('-q, --query <filter>', "a list filter, e.g. \"WorkflowType = 'order' AND ExecutionStatus = 'Running'\"")
    .option('--limit <n>', 'show at most this many', parseCount)
    .option('--page-size <n>', 'executions fetched per request (at most 1000)', parseCount)
    .addHelpText('after', `\nExample:\n  keel workflow list --query "ExecutionStatus = 'Running' AND StartTime > '2026-01-01T00:00:00Z'" --limit 20\n`)
    .action(async (flags) => (await actions()).list(flags, io));

  addClientOptions(workflow.command('count').description('Count workflow executions'))
    .option('-q, --query <filter>', 'a list filter; end it with GROUP BY ExecutionStatus to count per status')
    .action(async (flags) => (await actions()).count(flags, io));

  defineUpdateCommands(workflow.command('update').description('Send an update to a workflow execution, wait for its result, describe it'), target, inputs, named, io);
}

/** `keel workflow update execute|start|result|describe`, with Temporal CLI's flags. */
function defineUpdateCommands(update: Command, target: (c: Command) => Command, inputs: (c: Command, what: string) => Command, named: (c: Command, what: string) => Command, io: Io): void {
  const actions = () => import('./update-actions.js');
  const send = (c: Command) =>
    named(inputs(target(c), 'an argument of the update'), 'update')
      .option('--update-id <id>', 'the update id; the same id again gets the first update\'s outcome (default: a random UUID)')
      .option('--first-execution-run-id <id>', 'only if the run belongs to the chain started by this run');
  send(update.command('execute').description('Send an update and wait for its result'))
    .addHelpText('after', `\nExits with 1 when the validator rejects the update or its handler fails.\n\nExample:\n  keel workflow update execute --workflow-id order-42 --name setPrice --input 42\n`)
    .action(async (flags) => (await actions()).execute(flags, io));
  send(update.command('start').description('Send an update and return once it is accepted'))
    .requiredOption('--wait-for-stage <stage>', "the stage to wait for: only 'accepted'")
    .addHelpText('after', `\nExample:\n  keel workflow update start --workflow-id order-42 --name setPrice --input 42 --wait-for-stage accepted\n`)
    .action(async (flags) => (await actions()).start(flags, io));
  target(update.command('result').description('Wait for an update sent earlier and print its result'))
    .requiredOption('--update-id <id>', 'the update id')
    .action(async (flags) => (await actions()).result(flags, io));
  target(update.command('describe').description("Show an update's stage and, once completed, its outcome"))
    .requiredOption('--update-id <id>', 'the update id')
    .action(async (flags) => (await actions()).describe(flags, io));
}

/**
 * Makes `--<main>` required while accepting `--<alias>` for it, as Temporal's CLI does
 * (`--type`/`--name`); commander has no option aliases, so the hidden alias is folded in here.
 */
function requireWithAlias(command: Command, main: string, alias: string): Command {
  return command.hook('preAction', (_self, cmd) => {
    const opts = cmd.opts<Record<string, unknown>>();
    if (opts[main] === undefined && opts[alias] !== undefined) cmd.setOptionValue(main, opts[alias]);
    if (cmd.opts<Record<string, unknown>>()[main] === undefined) cmd.error(`required option '--${main} <${main === 'type' ? 'type' : 'name'}>' not specified`);
  });
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a whole number from 0 to 65535.');
  return n;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number, 1 or more.');
  return n;
}

/**
 * protocol's NAMESPACE_NAME_PATTERN, repeated here because `keel dev` loads no zod (protocol/api.ts
 * would); program.test.ts checks the two are the same.
 */
export const DEV_NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/;

function collectNewNamespace(value: string, previous: string[] = []): string[] {
  if (!DEV_NAMESPACE_PATTERN.test(value)) throw new InvalidArgumentError('a namespace name is 1 to 256 letters, digits, ".", "_" and "-", starting with a letter or digit.');
  return collectNamespace(value, previous);
}

function collectNamespace(value: string, previous: string[] = []): string[] {
  if (value.length === 0 || value.length > 1000) throw new InvalidArgumentError('a namespace name has 1 to 1000 characters.');
  return previous.includes(value) ? previous : [...previous, value];
}
