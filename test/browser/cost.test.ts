// What a run cost, in Chromium: the execution page's cost panel shows describe's units, each
// priced, with the price table's name and date; the workflows page, the namespace's month so far.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRICES, formatUsd } from '../../protocol/prices.js';
import * as activities from './fixtures/activities.js';
import { uiManyActivities } from './fixtures/workflows.js';
import { hasChromium, openPage, screenshot, startHarness, type Harness } from './harness.js';

const TQ = 'ui-cost';
let h: Harness;

describe.skipIf(!hasChromium)('cost in the UI', () => {
  beforeAll(async () => {
    h = await startHarness({ worker: { taskQueue: TQ, activities } });
  });
  afterAll(() => h?.stop());

  it("the execution page shows the run's billable units priced at the dated list prices", async () => {
    await h.client.workflow.execute(uiManyActivities, { taskQueue: TQ, workflowId: 'cost-ui-1', args: [1, 1] });
    const { page, errors } = await openPage(h, '/namespaces/default/workflows/cost-ui-1');
    await page.locator('h1 .status-completed').waitFor();
    const summary = page.getByRole('region', { name: 'Cost so far' }).locator('summary');
    await summary.filter({ hasText: `${PRICES.name}, read ${PRICES.date}` }).waitFor();
    await summary.click();
    const table = page.getByRole('region', { name: 'Cost so far' }).getByRole('table', { name: 'Billable units' });
    const written = table.getByRole('row').filter({ hasText: 'SQLite rows written' });
    await written.waitFor();
    // The page shows what describe answers (read after the page, so at least as large).
    const { raw } = await h.client.workflow.getHandle('cost-ui-1').describe();
    const shown = Number((await written.locator('td').nth(1).textContent())!.replace(/,/g, ''));
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThanOrEqual(raw.cost!.units.sqliteRowsWritten);
    expect(await table.getByRole('row').count()).toBe(1 + raw.cost!.lines.length);
    expect(await page.getByTestId('cost-total').textContent()).toMatch(/^\$\d/);
    expect(formatUsd(raw.cost!.totalUsd)).toMatch(/^\$\d/);
    await screenshot(page, 'execution-cost');
    expect(errors).toEqual([]);
  });

  it("the workflows page shows the namespace's month so far, priced at the dated list prices", async () => {
    await h.client.workflow.execute(uiManyActivities, { taskQueue: TQ, workflowId: 'cost-ui-2', args: [1, 1] });
    const month = new Date().toISOString().slice(0, 7);
    const { page, errors } = await openPage(h, '/namespaces/default/workflows');
    const panel = page.getByRole('region', { name: new RegExp(`^${month} so far, \\d+ runs?$`) });
    await panel.locator('summary').filter({ hasText: `${PRICES.name}, read ${PRICES.date}` }).waitFor();
    await panel.locator('summary').click();
    const written = panel.getByRole('table', { name: 'Billable units' }).getByRole('row').filter({ hasText: 'SQLite rows written' });
    await written.waitFor();
    expect(Number((await written.locator('td').nth(1).textContent())!.replace(/,/g, ''))).toBeGreaterThan(0);
    await screenshot(page, 'workflows-namespace-cost');
    expect(errors).toEqual([]);
  });
});
