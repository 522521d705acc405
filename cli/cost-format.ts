/**
 * How the CLI shows what runs cost — a run's (in `keel workflow describe`) and a namespace's month
 * so far (`keel namespace cost`): billable units, each priced, and the price table named with its date.
 */
import { formatUsd, type ExecutionCost } from '../protocol/prices.js';
import { connect } from './connect.js';
import type { ClientFlags } from './flags.js';
import { formatJson, formatJsonLine, formatTable, indent, type Io } from './output.js';

export function formatCost(cost: ExecutionCost): string {
  return `\nCost: ${formatUsd(cost.totalUsd)} (${formatUsd(cost.totalUsd * 1e6)} per million runs like it) at ${cost.priceTable.name} (${cost.priceTable.date})\n${costLines(cost)}`;
}

/** The units, each priced, and what they leave out. */
function costLines(cost: ExecutionCost): string {
  return `${indent(
    formatTable(cost.lines, [
      { header: 'Item', value: (l) => l.item },
      { header: 'Units', value: (l) => String(Math.round(l.units * 1000) / 1000) },
      { header: 'USD', value: (l) => formatUsd(l.usd) },
    ]),
  )}  Not counted: ${cost.notCounted}\n`;
}

/** `keel namespace cost`: the month so far, summed over the runs' visibility summaries. */
export async function namespaceCost(flags: ClientFlags & { month?: string }, io: Io): Promise<void> {
  const { connection, withTimeout } = connect(flags);
  const answer = await withTimeout(() => connection.call('describeNamespaceCost', flags.month ? { month: flags.month } : {}, { namespace: flags.namespace }));
  if (flags.output !== 'text') {
    io.out(flags.output === 'json' ? formatJson(answer) : formatJsonLine(answer) + '\n');
    return;
  }
  io.out(`Namespace '${answer.namespace}', ${answer.month} so far: ${formatUsd(answer.totalUsd)} over ${answer.runs} runs at ${answer.priceTable.name} (${answer.priceTable.date})\n${costLines(answer)}`);
}
