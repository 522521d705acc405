// The execution page's Reset action in Chromium: choose the point and a reason, confirm, and the UI
// opens the new run, which links back to the run it was reset from; the old run links forward.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waiter } from '../node/fixtures/cli-workflows.js';
import { keelHistory } from '../node/fixtures/keel-history.js';
import { waitFor } from '../node/fixtures/wait.js';
import { hasChromium, openPage, screenshot, startHarness, type Harness } from './harness.js';

const TQ = 'ui-reset';
const workflowsPath = fileURLToPath(new URL('../node/fixtures/cli-workflows.ts', import.meta.url));
let h: Harness;

describe.skipIf(!hasChromium)('reset action', () => {
  beforeAll(async () => {
    h = await startHarness({ worker: { taskQueue: TQ, workflowsPath } });
  });
  afterAll(() => h?.stop());

  it('resets a run to a workflow task after confirmation and shows the new run, linked both ways', async () => {
    const handle = await h.client.workflow.start(waiter, { taskQueue: TQ, workflowId: 'reset-ui-1' });
    const oldRunId = handle.firstExecutionRunId;
    await waitFor('the first workflow task', async () => (await handle.fetchHistory().then(keelHistory)).events.some((e) => e.eventType === 'WorkflowTaskCompleted'));
    const { page, errors } = await openPage(h, `/namespaces/default/workflows/reset-ui-1/${oldRunId}`);
    await page.locator('h1 .status-running').waitFor();

    await page.getByRole('button', { name: 'Reset' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reset this workflow?' });
    await dialog.getByLabel('Reset to').selectOption('event');
    await dialog.getByLabel(/Event id/).selectOption('4');
    // No reason, no reset.
    expect(await dialog.getByRole('button', { name: 'Reset' }).isDisabled()).toBe(true);
    await dialog.getByLabel(/Reason/).fill('redo from the start');
    await screenshot(page, 'reset-confirm', false);
    await dialog.getByRole('button', { name: 'Reset' }).click();

    // The UI moves to the new run: running, its history ending in the reset, linked to the old run.
    const relatives = page.getByLabel('Related workflows');
    await relatives.getByText('Reset from').waitFor();
    expect(await relatives.getByRole('link').textContent()).toBe(oldRunId);
    await page.getByRole('grid', { name: /Event history/ }).getByRole('row').filter({ hasText: /RESET_WORKFLOW|reset/i }).first().waitFor();
    const newRunId = (await h.client.workflow.getHandle('reset-ui-1').describe()).runId;
    expect(newRunId).not.toBe(oldRunId);
    expect(page.url()).toContain(`/workflows/reset-ui-1/${newRunId}`);
    const old = await h.client.workflow.getHandle('reset-ui-1', oldRunId).describe();
    expect(old.status.name).toBe('TERMINATED');
    expect(old.raw).toMatchObject({ resetRunId: newRunId });

    // The new run goes on: the worker replays it and it takes the signal.
    await h.client.workflow.getHandle('reset-ui-1').signal('finish', 'after reset');
    expect(await h.client.workflow.getHandle('reset-ui-1').result()).toBe('after reset');
    await page.locator('h1 .status-completed').waitFor();

    // The old run links forward to the new one.
    await relatives.getByRole('link').click();
    await relatives.getByText('Reset to').waitFor();
    await page.locator('h1 .status-terminated').waitFor();
    expect(errors).toEqual([]);
  });
});
