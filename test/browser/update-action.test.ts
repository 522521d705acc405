// The execution page's Update action in Chromium: an update sent from the UI shows its result and
// lands in the history; one its validator rejects shows why and leaves the history unchanged.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counter } from '../node/fixtures/update-workflows.js';
import { waitFor } from '../node/fixtures/wait.js';
import { hasChromium, openPage, startHarness, type Harness } from './harness.js';
import { keelHistory } from '../node/fixtures/keel-history.js';

const TQ = 'ui-update';
const workflowsPath = fileURLToPath(new URL('../node/fixtures/update-workflows.ts', import.meta.url));
let h: Harness;

describe.skipIf(!hasChromium)('update action', () => {
  beforeAll(async () => {
    h = await startHarness({ worker: { taskQueue: TQ, workflowsPath } });
  });
  afterAll(() => h?.stop());

  it('sends an update from the UI and shows its result; a rejected one shows the validator\'s reason and writes nothing', async () => {
    const handle = await h.client.workflow.start(counter, { taskQueue: TQ, workflowId: 'update-ui-1', args: [10] });
    await waitFor('the first workflow task', async () => (await handle.fetchHistory().then(keelHistory)).events.some((e) => e.eventType === 'WorkflowTaskCompleted'));
    const { page, errors } = await openPage(h, '/namespaces/default/workflows/update-ui-1');
    await page.locator('h1 .status-running').waitFor();

    await page.getByRole('button', { name: 'Update', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Send an update' });
    await dialog.getByLabel('Update name').fill('add');
    await dialog.getByLabel(/Input/).fill('5');
    await dialog.getByRole('button', { name: 'Send update' }).click();
    await dialog.getByLabel('Update result').filter({ hasText: '15' }).waitFor();
    const grid = page.getByRole('grid', { name: /Event history/ });
    await grid.getByRole('row').filter({ hasText: 'Workflow execution update completed' }).waitFor();

    const before = await handle.fetchHistory().then(keelHistory);
    await dialog.getByLabel(/Input/).fill('0');
    await dialog.getByRole('button', { name: 'Send update' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Update failed: amount must be at least 1, got 0' }).waitFor();
    expect(await handle.fetchHistory().then(keelHistory)).toEqual(before);
    expect(await handle.query('total')).toBe(15);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(errors).toEqual([]);
    await handle.terminate();
  });
});
