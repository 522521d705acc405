// What runs cost: the billable units, each priced at the list prices of the table named with its
// date (protocol/prices.ts, the one table the service uses). A run's (describe's `cost`) on the
// execution page; the namespace's month so far on the workflows page.
import { useEffect, useState } from 'preact/hooks';
import type { ExecutionCost } from '../../../protocol/prices.js';
import { formatUsd } from '../../../protocol/prices.js';
import { api } from '../api.js';
import { ErrorNote } from './common.js';

export function CostPanel({ cost, heading, perMillion = true }: { cost: ExecutionCost; heading: string; perMillion?: boolean }) {
  // The table is made only while the panel is open: a closed panel's rows would be hidden rows of
  // the page (in the way of the page's own tables, for readers and for tests alike).
  const [open, setOpen] = useState(false);
  return (
    <section aria-label={heading} class="cost">
      <details onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
        <summary>
          <h2>
            {heading}: <span data-testid="cost-total">{formatUsd(cost.totalUsd)}</span>
          </h2>
          <span class="muted">
            {' '}
            {perMillion ? `(${formatUsd(cost.totalUsd * 1e6)} per million runs like it) ` : ''}at {cost.priceTable.name}, read {cost.priceTable.date}
          </span>
        </summary>
        {open && (
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
        )}
        <p class="muted">Not counted: {cost.notCounted} Stored bytes are priced for one month kept.</p>
      </details>
    </section>
  );
}

/** The namespace's month so far: runs closed this month or still running, from their visibility summaries. */
export function NamespaceCost({ namespace, refresh }: { namespace: string; refresh: unknown }) {
  const [cost, setCost] = useState<Awaited<ReturnType<typeof api.describeNamespaceCost>>>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const abort = new AbortController();
    api.describeNamespaceCost(namespace, {}, abort.signal).then(
      (c) => (setCost(c), setError(undefined)),
      (e: unknown) => abort.signal.aborted || setError(e),
    );
    return () => abort.abort();
  }, [namespace, refresh]);
  if (error) return <ErrorNote error={error} />;
  if (!cost) return null;
  return <CostPanel cost={cost} heading={`${cost.month} so far, ${cost.runs.toLocaleString()} ${cost.runs === 1 ? 'run' : 'runs'}`} perMillion={false} />;
}
