/** How the CLI shows what a run has cost: its billable units, each priced, and the price table named with its date. */
import { formatUsd, type ExecutionCost } from '../protocol/prices.js';
import { formatTable, indent } from './output.js';

export function formatCost(cost: ExecutionCost): string {
  const table = formatTable(cost.lines, [
    { header: 'Item', value: (l) => l.item },
    { header: 'Units', value: (l) => String(Math.round(l.units * 1000) / 1000) },
    { header: 'USD', value: (l) => formatUsd(l.usd) },
  ]);
  return `\nCost: ${formatUsd(cost.totalUsd)} (${formatUsd(cost.totalUsd * 1e6)} per million runs like it) at ${cost.priceTable.name} (${cost.priceTable.date})\n${indent(table)}  Not counted: ${cost.notCounted}\n`;
}
