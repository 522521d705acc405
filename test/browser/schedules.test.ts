// The schedules pages in Chromium: the list, one schedule's recent and upcoming actions, and the
// Pause, Unpause and Trigger buttons acting on the schedule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleOverlapPolicy } from 'keel/client';
import { waitFor } from '../node/fixtures/wait.js';
import { uiWaiter } from './fixtures/workflows.js';
import { hasChromium, openPage, screenshot, startHarness, type Harness } from './harness.js';

let h: Harness;
const TQ = 'ui-schedules-nobody-polls';

describe.skipIf(!hasChromium)('schedules pages', () => {
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('lists schedules, shows one with its upcoming actions, and pauses, unpauses and triggers it from the page', async () => {
    const handle = await h.client.schedule.create({
      scheduleId: 'ui-nightly',
      spec: { cronExpressions: ['0 2 * * *'], timezone: 'Europe/Paris' },
      action: { type: 'startWorkflow', workflowType: uiWaiter, taskQueue: TQ, workflowId: 'ui-nightly-run' },
      policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
    });

    const { page, errors } = await openPage(h, '/namespaces/default/schedules');
    const row = page.getByRole('row').filter({ hasText: 'ui-nightly' });
    await row.waitFor();
    expect(await row.textContent()).toContain('0 2 * * * (Europe/Paris)');
    expect(await row.textContent()).toContain('Active');

    await row.getByRole('link', { name: 'ui-nightly' }).click();
    await page.getByRole('heading', { name: /ui-nightly/ }).waitFor();
    await page.getByRole('list', { name: 'Upcoming actions' }).getByRole('listitem').nth(9).waitFor();
    expect(await page.getByRole('list', { name: 'Upcoming actions' }).getByRole('listitem').count()).toBe(10);
    await screenshot(page, 'schedule');

    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Unpause' }).waitFor();
    expect((await handle.describe()).state).toMatchObject({ paused: true, note: 'Paused from the web UI' });
    await page.getByText('None while paused.').waitFor();

    await page.getByRole('button', { name: 'Trigger now' }).click();
    // The triggered workflow appears among the recent actions, linked to its execution page.
    const action = page.getByRole('table', { name: 'Recent actions' }).getByRole('link', { name: /^ui-nightly-run-/ });
    await action.waitFor();
    const workflowId = (await action.textContent())!;
    await waitFor('the triggered workflow to run', async () => (await h.client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING');

    await page.getByRole('button', { name: 'Unpause' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    expect((await handle.describe()).state.paused).toBe(false);

    await action.click();
    await page.getByRole('heading', { name: workflowId }).waitFor();
    expect(errors).toEqual([]);
  });
});
