// Owns `keel task-queue describe`: the pollers and backlog of a task queue, for workflow tasks,
// activity tasks or both.
import { connect } from './connect.js';
import type { ClientFlags } from './flags.js';
import { formatJson, formatJsonLine, formatTable, formatTime, type Io } from './output.js';

export interface DescribeTaskQueueFlags extends ClientFlags {
  taskQueue: string;
  taskQueueType?: 'workflow' | 'activity';
}

export async function describeTaskQueue(flags: DescribeTaskQueueFlags, io: Io): Promise<void> {
  const { connection, withTimeout } = connect(flags);
  const kinds = flags.taskQueueType ? [flags.taskQueueType] : (['workflow', 'activity'] as const);
  const answers = await withTimeout(() =>
    Promise.all(
      kinds.map(async (kind) => ({
        kind,
        ...(await connection.call('describeTaskQueue', { kind }, { namespace: flags.namespace, params: { taskQueue: flags.taskQueue } })),
      })),
    ),
  );
  if (flags.output !== 'text') {
    const doc = { taskQueue: flags.taskQueue, namespace: flags.namespace, types: answers };
    io.out(flags.output === 'json' ? formatJson(doc) : formatJsonLine(doc) + '\n');
    return;
  }
  io.out(`Task queue '${flags.taskQueue}' in namespace '${flags.namespace}':\n\n`);
  io.out(
    formatTable(answers, [
      { header: 'TYPE', value: (a) => a.kind },
      { header: 'BACKLOG', value: (a) => String(a.backlogCount) },
      { header: 'POLLERS', value: (a) => String(a.pollers.length) },
    ]),
  );
  const pollers = answers.flatMap((a) => a.pollers.map((p) => ({ kind: a.kind, ...p })));
  if (pollers.length === 0) {
    io.out('\nNo worker has polled it recently.\n');
    return;
  }
  io.out('\n');
  io.out(
    formatTable(pollers, [
      { header: 'TYPE', value: (p) => p.kind },
      { header: 'POLLER IDENTITY', value: (p) => p.identity },
      { header: 'LAST ACCESS', value: (p) => formatTime(p.lastAccessTime) },
    ]),
  );
}
