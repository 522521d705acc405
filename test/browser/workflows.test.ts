// The workflows page in Chromium: paged and filtered by the service, quick status filters with
// counts, a filter that finds one workflow, live refresh, shareable links, the namespace switcher.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../node/fixtures/wait.js';
import { uiWaiter } from './fixtures/workflows.js';
import { hasChromium, openPage, screenshot, startHarness, type Harness } from './harness.js';

let h: Harness;
/** Whether this service lists executions (it needs the visibility store). */
let listing = false;
const TQ = 'ui-list-nobody-polls';
const N = 60;
const id = (i: number) => `list-wf-${String(i).padStart(2, '0')}`;

describe.skipIf(!hasChromium)('workflows page', () => {
  beforeAll(async () => {
    h = await startHarness();
    const res = await fetch(`${h.service.url}/api/v1/namespaces/default/workflow-count`);
    listing = res.ok;
    if (!listing) {
      console.warn(`[browser tests] the workflows page tests are skipped: this service cannot list executions (${res.status} ${await res.text()})`);
      return;
    }
    // 60 running workflows (no worker polls their queue), 5 of them then terminated.
    for (let i = 0; i < N; i++) await h.client.workflow.start(uiWaiter, { taskQueue: TQ, workflowId: id(i) });
    for (let i = 0; i < 5; i++) await h.client.workflow.getHandle(id(i)).terminate('cleanup');
    // Under keel dev (workflow shards) each summary is stored before its call answers; a service with an
    // object per workflow writes them to D1 a moment later, which this waits for.
    await waitFor('the visibility store to hold every summary', async () => {
      const count = async (query: string) => (await h.connection.call('countWorkflows', { query }, { namespace: 'default' })).count;
      return (await count(`WorkflowType = 'uiWaiter' AND ExecutionStatus = 'Terminated'`)) === 5 && (await count(`WorkflowType = 'uiWaiter'`)) === N;
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('pages through executions the service filters, never loading them all', async (ctx) => {
    if (!listing) return ctx.skip();
    const requests: string[] = [];
    const { page, errors } = await openPage(h, '/');
    page.on('request', (r) => requests.push(r.url()));
    await page.waitForURL(/\/namespaces\/default\/workflows$/);
    const rows = page.locator('table.list tbody tr');
    await rows.nth(49).waitFor();
    expect(await rows.count()).toBe(50);
    await page.getByRole('button', { name: 'All' }).filter({ hasText: String(N) }).waitFor();
    await screenshot(page, 'workflows-page');
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText('Page 2', { exact: true }).waitFor();
    await waitFor('page 2', async () => (await rows.count()) === 10);
    expect(await page.getByRole('button', { name: 'Next →' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: '← Previous' }).click();
    await waitFor('page 1 again', async () => (await rows.count()) === 50);
    // Every list call asked for one page.
    const lists = requests.filter((u) => /\/workflows\?/.test(u)).map((u) => new URL(u).searchParams.get('pageSize'));
    expect(lists.length).toBeGreaterThan(0);
    expect(lists.every((s) => s === '50')).toBe(true);
    expect(errors).toEqual([]);
  });

  it('filters by status with a quick filter, counted by the service; the link carries it', async (ctx) => {
    if (!listing) return ctx.skip();
    const { page, errors } = await openPage(h, '/namespaces/default/workflows');
    await page.getByRole('button', { name: /^Terminated/ }).filter({ hasText: '5' }).click();
    await page.waitForURL(/status=Terminated/);
    const rows = page.locator('table.list tbody tr');
    await waitFor('five terminated rows', async () => (await rows.count()) === 5 && (await page.locator('table.list .status-terminated').count()) === 5);
    await screenshot(page, 'workflows-terminated');
    // The shared link opens the same view.
    const { page: shared } = await openPage(h, new URL(page.url()).pathname + new URL(page.url()).search);
    await waitFor('the shared link to show five rows', async () => (await shared.locator('table.list .status-terminated').count()) === 5);
    expect(await shared.getByRole('button', { name: /^Terminated/ }).getAttribute('aria-pressed')).toBe('true');
    expect(errors).toEqual([]);
  });

  it('finds one workflow by filter (typed and submitted by keyboard) and opens it', async (ctx) => {
    if (!listing) return ctx.skip();
    const { page, errors } = await openPage(h, '/namespaces/default/workflows');
    await page.locator('table.list tbody tr').first().waitFor();
    await page.getByLabel(/Filter/).focus();
    await page.keyboard.type(`WorkflowId = '${id(42)}'`);
    await page.keyboard.press('Enter');
    await page.waitForURL(/query=WorkflowId/);
    const link = page.getByRole('link', { name: id(42), exact: true });
    await link.waitFor();
    await waitFor('one row', async () => (await page.locator('table.list tbody tr').count()) === 1);
    await screenshot(page, 'workflows-filtered');
    await link.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: new RegExp(id(42)) }).waitFor();
    expect(page.url()).toContain(`/namespaces/default/workflows/${id(42)}/`);
    await page.goBack();
    await page.getByRole('link', { name: id(42), exact: true }).waitFor();
    expect(await page.getByLabel(/Filter/).inputValue()).toBe(`WorkflowId = '${id(42)}'`);
    expect(errors).toEqual([]);
  });

  it('shows what is wrong with a bad filter, and where', async (ctx) => {
    if (!listing) return ctx.skip();
    const { page, errors } = await openPage(h, `/namespaces/default/workflows?query=${encodeURIComponent("WorkflowType = 'a' AND")}`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/INVALID_ARGUMENT|position|offset|\^/i);
    expect(await page.getByLabel(/Filter/).getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'workflows-bad-filter');
    expect(errors).toEqual([]);
  });

  it('refreshes live: a workflow started while the page is open appears', async (ctx) => {
    if (!listing) return ctx.skip();
    const { page, errors } = await openPage(h, `/namespaces/default/workflows?query=${encodeURIComponent("WorkflowId STARTS_WITH 'live-'")}`);
    await page.getByText('No workflows match this filter.').waitFor();
    await h.client.workflow.start(uiWaiter, { taskQueue: TQ, workflowId: 'live-1' });
    await page.getByRole('link', { name: 'live-1', exact: true }).waitFor({ timeout: 20_000 });
    expect(errors).toEqual([]);
  });

  it('switches namespace', async (ctx) => {
    if (!listing) return ctx.skip();
    const { page, errors } = await openPage(h, '/namespaces/default/workflows');
    await page.locator('table.list tbody tr').first().waitFor();
    await page.getByRole('combobox', { name: 'Namespace' }).fill('elsewhere');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/namespaces\/elsewhere\/workflows/);
    await page.getByText('No workflows in this namespace yet.').waitFor();
    expect(errors).toEqual([]);
  });
});
