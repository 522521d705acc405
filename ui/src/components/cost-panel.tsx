// What a run has cost so far (describe's `cost`): its billable units, each priced at the list
// prices of the table named with its date (protocol/prices.ts, the one table the service uses).
import type { ExecutionCost } from '../../../protocol/prices.js';
import { formatUsd } from '../../../protocol/prices.js';

export function CostPanel({ cost }: { cost: ExecutionCost }) {
  return (
    <section aria-labelledby="cost-h" class="cost">
      <details>
        <summary>
          <h2 id="cost-h">
            Cost so far: <span data-testid="cost-total">{formatUsd(cost.totalUsd)}</span>
          </h2>
          <span class="muted">
            {' '}
            ({formatUsd(cost.totalUsd * 1e6)} per million runs like it) at {cost.priceTable.name}, read {cost.priceTable.date}
          </span>
        </summary>
        <div class="table-wrap">
          <table class="list" aria-label="Billable units">
            <thead>
              <tr>
                <th>Unit</th>
                <th>Count</th>
                <th>USD</th>
              </tr>
            </thead>
            <tbody>
              {cost.lines.map((l) => (
                <tr key={l.item}>
                  <td>{l.item}</td>
                  <td>{l.units.toLocaleString()}</td>
                  <td>{formatUsd(l.usd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p class="muted">Not counted: {cost.notCounted} Stored bytes are priced for one month kept.</p>
      </details>
    </section>
  );
}
