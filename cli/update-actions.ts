// Owns what `keel workflow update execute|start|result|describe` do once their flags are parsed
// (Temporal CLI's names and flags): the SDK client call and what it prints.
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, WorkflowUpdateStage } from '../sdk/client/index.js';
import { connect } from './connect.js';
import { CliError, UsageError } from './errors.js';
import type { ClientFlags } from './flags.js';
import { formatJson, formatJsonLine, formatKeyValues, type Io } from './output.js';
import { parseInputs } from './values.js';

/** Flags of every `keel workflow update` subcommand. */
export interface UpdateTargetFlags extends ClientFlags {
  workflowId: string;
  runId?: string;
}

export interface UpdateSendFlags extends UpdateTargetFlags {
  name: string;
  input?: string[];
  inputFile?: string[];
  updateId?: string;
  firstExecutionRunId?: string;
  waitForStage?: string;
}

export interface UpdateIdFlags extends UpdateTargetFlags {
  updateId: string;
}

/** `keel workflow update execute`: sends the update and prints its result once the handler ends. */
export async function execute(flags: UpdateSendFlags, io: Io): Promise<void> {
  const { client, withTimeout } = connect(flags);
  const updateId = flags.updateId ?? randomUUID();
  const args = parseInputs(flags.input, flags.inputFile);
  const handle = client.workflow.getHandle(flags.workflowId, flags.runId, flags.firstExecutionRunId ? { firstExecutionRunId: flags.firstExecutionRunId } : undefined);
  const value = await outcome(() => withTimeout(() => handle.executeUpdate(flags.name, { args, updateId })));
  printResult(flags, io, updateId, value);
}

/** `keel workflow update start --wait-for-stage accepted`: returns once the update is accepted. */
export async function start(flags: UpdateSendFlags, io: Io): Promise<void> {
  if ((flags.waitForStage ?? '').toLowerCase() !== 'accepted') {
    throw new UsageError(`--wait-for-stage must be 'accepted' (got '${flags.waitForStage ?? ''}'); use \`keel workflow update execute\` to wait for the result`);
  }
  const { client, withTimeout } = connect(flags);
  const args = parseInputs(flags.input, flags.inputFile);
  const handle = client.workflow.getHandle(flags.workflowId, flags.runId, flags.firstExecutionRunId ? { firstExecutionRunId: flags.firstExecutionRunId } : undefined);
  const update = await outcome(() =>
    withTimeout(() => handle.startUpdate(flags.name, { args, updateId: flags.updateId ?? randomUUID(), waitForStage: WorkflowUpdateStage.ACCEPTED })),
  );
  const doc = { workflowId: flags.workflowId, ...(update.workflowRunId ? { runId: update.workflowRunId } : {}), updateId: update.updateId, stage: 'ACCEPTED' };
  if (flags.output === 'text') io.out(`Update accepted:\n${formatKeyValues([['WorkflowId', doc.workflowId], ['RunId', doc.runId], ['UpdateId', doc.updateId]])}`);
  else io.out(flags.output === 'json' ? formatJson(doc) : formatJsonLine(doc) + '\n');
}

/** `keel workflow update result`: waits for an update sent earlier and prints its result. */
export async function result(flags: UpdateIdFlags, io: Io): Promise<void> {
  const { client, withTimeout } = connect(flags);
  const value = await outcome(() => withTimeout(() => client.workflow.getHandle(flags.workflowId, flags.runId).getUpdateHandle(flags.updateId).result()));
  printResult(flags, io, flags.updateId, value);
}

/** `keel workflow update describe`: the update's stage and, once completed, its outcome, without waiting. */
export async function describe(flags: UpdateIdFlags, io: Io): Promise<void> {
  const { client, connection, withTimeout } = connect(flags);
  const answer = await withTimeout(() =>
    connection.call('pollWorkflowUpdate', { ...(flags.runId ? { runId: flags.runId } : {}), waitForStage: 'ACCEPTED' }, { namespace: client.options.namespace, params: { workflowId: flags.workflowId, updateId: flags.updateId } }),
  );
  const doc: Record<string, unknown> = { workflowId: flags.workflowId, runId: answer.runId, updateId: answer.updateId, stage: answer.stage };
  if (answer.stage === 'COMPLETED') {
    try {
      doc.result = await client.workflow.getHandle(flags.workflowId, answer.runId).getUpdateHandle(flags.updateId).result();
    } catch (err) {
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      doc.failure = causeMessage(err);
    }
  }
  if (flags.output !== 'text') {
    io.out(flags.output === 'json' ? formatJson(doc) : formatJsonLine(doc) + '\n');
    return;
  }
  const rows: Array<[string, string | undefined]> = [['WorkflowId', flags.workflowId], ['RunId', answer.runId], ['UpdateId', answer.updateId], ['Stage', answer.stage]];
  if ('result' in doc) rows.push(['Result', formatJsonLine(doc.result)]);
  if ('failure' in doc) rows.push(['Failure', String(doc.failure)]);
  io.out(`Update:\n${formatKeyValues(rows)}`);
}

function printResult(flags: ClientFlags, io: Io, updateId: string, value: unknown): void {
  if (flags.output === 'text') io.out(`Update result:\n${formatKeyValues([['UpdateId', updateId], ['Result', formatJsonLine(value)]])}`);
  else io.out(flags.output === 'json' ? formatJson({ updateId, result: value }) : formatJsonLine({ updateId, result: value }) + '\n');
}

/** Runs the call; an update that failed (rejected, or its handler threw) is a CLI failure naming the cause. */
async function outcome<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new CliError(`update failed: ${causeMessage(err)}`);
    throw err;
  }
}

function causeMessage(err: WorkflowUpdateFailedError): string {
  return err.cause instanceof Error ? err.cause.message : String(err.cause ?? err.message);
}
