// The execution page in Chromium: a workflow's summary, input and result, timeline and history;
// signalling, cancelling and terminating through the UI (each confirmed) and seeing the effect;
// pending activities, the call stack, keyboard use and decoding through a codec endpoint.
import { createServer, type Server } from 'node:http';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'keel/client';
import { AesGcmPayloadCodec, decodeWithCodecs, type WirePayload } from 'keel/common';
import { waitFor } from '../node/fixtures/wait.js';
import * as activities from './fixtures/activities.js';
import { approvedBy, uiChain, uiOrder, uiParent, uiShipment, uiWaiter } from './fixtures/workflows.js';
import { hasChromium, openPage, screenshot, startHarness, type Harness } from './harness.js';
import { keelHistory } from '../node/fixtures/keel-history.js';

const TQ = 'ui-execution';
let h: Harness;

const executionPath = (workflowId: string, query = '') => `/namespaces/default/workflows/${encodeURIComponent(workflowId)}${query}`;

describe.skipIf(!hasChromium)('execution page', () => {
  beforeAll(async () => {
    h = await startHarness({ worker: { taskQueue: TQ, activities } });
  });
  afterAll(() => h?.stop());

  it('shows a workflow: summary, decoded input, timeline bars and the history; a signal sent from the UI lets it complete', async () => {
    const handle = await h.client.workflow.start(uiOrder, { taskQueue: TQ, workflowId: 'order-ui-1', args: ['A-1', 42] });
    // It has reserved, slept and now waits for approval.
    await waitFor('the order to wait for approval', async () => (await handle.fetchHistory().then(keelHistory)).events.some((e) => e.eventType === 'TimerFired'));

    const { page, errors } = await openPage(h, executionPath('order-ui-1'));
    await page.getByRole('heading', { name: /order-ui-1/ }).waitFor();
    await page.locator('h1 .status-running').waitFor();
    await page.getByLabel('Workflow input').filter({ hasText: '"A-1"' }).waitFor();
    expect(await page.getByLabel('Workflow input').textContent()).toContain('42');
    // The timeline draws the activity and the timer as bars.
    await page.getByRole('button', { name: /^reserve · activity/ }).waitFor();
    await page.getByRole('button', { name: /^Timer \d+ \(20ms\)$/ }).waitFor();
    expect(await page.locator('.tl-activity .bar.o-completed rect').count()).toBeGreaterThan(0);
    expect(await page.locator('.tl-timer .bar.o-fired').count()).toBe(1);
    // The history table lists the events.
    const grid = page.getByRole('grid', { name: /Event history/ });
    await grid.getByRole('row').filter({ hasText: 'Timer fired' }).waitFor();
    await grid.getByRole('row').filter({ hasText: 'Activity task completed' }).first().waitFor();
    await screenshot(page, 'execution-running');

    // Signal through the UI, confirmed in a dialog.
    await page.getByRole('button', { name: 'Signal', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Send a signal' });
    await dialog.getByLabel('Signal name').fill('approve');
    await dialog.getByLabel(/Input/).fill('{ "approver": "ada" }');
    await screenshot(page, 'execution-signal-dialog', false);
    await dialog.getByRole('button', { name: 'Send signal' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // The effect: the signal is in the history and on the timeline, and the workflow completed with it.
    await page.locator('h1 .status-completed').waitFor();
    await page.getByLabel('Workflow result').filter({ hasText: '"approver": "ada"' }).waitFor();
    await grid.getByRole('row').filter({ hasText: 'Workflow execution signaled' }).waitFor();
    await page.getByRole('button', { name: 'Signals' }).waitFor();
    expect(await page.locator('.tl-signals .mark').count()).toBe(1);
    expect(await handle.result()).toEqual({ orderId: 'A-1', charged: 42, approver: 'ada' });
    await page.getByRole('button', { name: /^charge · activity/ }).waitFor();
    // Selecting a timeline row selects its event in the history, with its attributes decoded.
    await page.getByRole('button', { name: /^charge · activity/ }).click();
    await page.getByRole('complementary', { name: 'Selected event' }).filter({ hasText: 'Activity task scheduled' }).waitFor();
    expect(new URL(page.url()).searchParams.get('event')).toMatch(/^\d+$/);
    await page.locator('.toast').waitFor({ state: 'detached' });
    await screenshot(page, 'execution-page');
    const shot = await screenshot(page, 'execution-page-viewport', false);
    if (process.env['KEEL_UPDATE_DOCS_SCREENSHOT']) {
      mkdirSync(path.resolve('docs'), { recursive: true });
      copyFileSync(shot, path.resolve('docs/ui-execution.png'));
    }

    // Zooming in widens the timeline, which then scrolls sideways with its labels kept in view.
    const zoom = page.getByRole('group', { name: 'Timeline zoom' });
    await zoom.getByRole('button', { name: 'Zoom in' }).click();
    await zoom.getByRole('button', { name: 'Zoom in' }).click();
    await zoom.getByText(/^4× · /).waitFor();
    expect(await page.locator('.tl-rows').evaluate((el) => el.scrollWidth > el.clientWidth * 3)).toBe(true);
    await page.locator('.tl-rows').evaluate((el) => (el.scrollLeft = el.scrollWidth));
    await page.getByRole('button', { name: /^charge · activity/ }).waitFor();
    await screenshot(page, 'execution-timeline-zoomed', false);
    await zoom.getByRole('button', { name: 'Fit' }).click();
    await zoom.getByText(/^4× · /).waitFor({ state: 'detached' });

    // The JSON tab shows the whole history, payloads decoded.
    await page.getByRole('tab', { name: 'JSON' }).click();
    await page.getByRole('region', { name: 'History as JSON' }).filter({ hasText: '"WorkflowExecutionStarted"' }).waitFor();
    await screenshot(page, 'execution-json');
    expect(errors).toEqual([]);
  });

  it('terminates a workflow through the UI after confirmation, and shows it terminated', async () => {
    await h.client.workflow.start(uiWaiter, { taskQueue: TQ, workflowId: 'waiter-ui-terminate' });
    const { page, errors } = await openPage(h, executionPath('waiter-ui-terminate'));
    await page.locator('h1 .status-running').waitFor();
    await page.getByRole('button', { name: 'Terminate' }).click();
    const dialog = page.getByRole('dialog', { name: 'Terminate this workflow?' });
    await dialog.getByLabel(/Reason/).fill('stuck order');
    await screenshot(page, 'terminate-confirm', false);
    // Backing out changes nothing.
    await dialog.getByRole('button', { name: 'Back' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await h.client.workflow.getHandle('waiter-ui-terminate').describe()).status.name).toBe('RUNNING');

    await page.getByRole('button', { name: 'Terminate' }).click();
    await dialog.getByLabel(/Reason/).fill('stuck order');
    await dialog.getByRole('button', { name: 'Terminate' }).click();
    await page.locator('h1 .status-terminated').waitFor();
    await page.getByText('Terminated: stuck order').waitFor();
    await page.getByRole('grid', { name: /Event history/ }).getByRole('row').filter({ hasText: 'Workflow execution terminated' }).waitFor();
    expect(await page.getByRole('button', { name: 'Terminate' }).isDisabled()).toBe(true);
    expect((await h.client.workflow.getHandle('waiter-ui-terminate').describe()).status.name).toBe('TERMINATED');
    await screenshot(page, 'execution-terminated');
    expect(errors).toEqual([]);
  });

  it('walks a continue-as-new chain: each run links to the run before and after it', async () => {
    const handle = await h.client.workflow.start(uiChain, { taskQueue: TQ, workflowId: 'chain-ui-1', args: [1, 2] });
    expect(await handle.result()).toBe(2);
    const first = handle.firstExecutionRunId;
    const { page, errors } = await openPage(h, `${executionPath('chain-ui-1')}/${first}`);
    const chain = page.getByLabel('Run chain');
    await chain.getByText('Next run').waitFor();
    expect(await chain.getByText('Previous run').count()).toBe(0);
    await chain.getByRole('link').click();
    // The second run: the last of the chain, completed, linking back to the first.
    await page.locator('h1 .status-completed').waitFor();
    await chain.getByText('Previous run').waitFor();
    expect(await chain.getByRole('link').textContent()).toBe(first);
    expect(await chain.getByText('Next run').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('links a parent to its running child and the child back to its parent', async () => {
    const parent = await h.client.workflow.start(uiParent, { taskQueue: TQ, workflowId: 'parent-ui-1', args: ['child-ui-1'] });
    await waitFor('the child to start', async () => ((await parent.describe()).raw.pendingChildren ?? []).some((c) => c.runId !== undefined));
    const { page, errors } = await openPage(h, executionPath('parent-ui-1'));
    const related = page.getByLabel('Related workflows');
    await related.getByText('Running children').waitFor();
    await related.getByRole('link', { name: 'child-ui-1' }).click();
    await page.getByRole('heading', { name: /child-ui-1/ }).waitFor();
    await related.getByText('Parent', { exact: true }).waitFor();
    await related.getByRole('link', { name: 'parent-ui-1' }).click();
    await page.getByRole('heading', { name: /parent-ui-1/ }).waitFor();
    expect(errors).toEqual([]);
    await h.client.workflow.getHandle('child-ui-1').signal('finish');
    await parent.result();
  });

  it('requests cancellation through the UI, and the workflow ends canceled', async () => {
    await h.client.workflow.start(uiWaiter, { taskQueue: TQ, workflowId: 'waiter-ui-cancel' });
    const { page, errors } = await openPage(h, executionPath('waiter-ui-cancel'));
    await page.locator('h1 .status-running').waitFor();
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Request cancellation?' });
    await dialog.getByRole('button', { name: 'Request cancellation' }).click();
    await page.locator('h1 .status-canceled').waitFor();
    await page.getByRole('grid', { name: /Event history/ }).getByRole('row').filter({ hasText: 'Workflow execution cancel requested' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('shows a pending activity with its attempt, last failure and last heartbeat', async () => {
    const handle = await h.client.workflow.start(uiShipment, { taskQueue: TQ, workflowId: 'shipment-ui-1', args: ['S-1'] });
    await waitFor('the first attempt to fail', async () => (await handle.describe()).raw.pendingActivities[0]?.lastFailure !== undefined);
    const { page, errors } = await openPage(h, executionPath('shipment-ui-1', '?tab=pending'));
    const panel = page.getByRole('tabpanel');
    await panel.getByRole('heading', { name: /flakyShip · activity/ }).waitFor();
    await panel.locator('.error-text').filter({ hasText: 'CarrierDown: carrier unavailable for S-1' }).waitFor();
    expect(await panel.locator('dd').first().textContent()).toBe('2 of 3');
    await panel.getByLabel('Heartbeat details').filter({ hasText: '"packing"' }).waitFor();
    await screenshot(page, 'execution-pending-activity');
    await h.client.workflow.getHandle('shipment-ui-1').terminate('test over');
    expect(errors).toEqual([]);
  });

  it('shows the call stack from a worker, and "no worker" where none polls', async () => {
    const handle = await h.client.workflow.start(uiOrder, { taskQueue: TQ, workflowId: 'order-ui-stack', args: ['B-2', 7] });
    await waitFor('the order to wait for approval', async () => (await handle.fetchHistory().then(keelHistory)).events.some((e) => e.eventType === 'TimerFired'));
    await waitFor('the worker to answer queries', async () => (await handle.query(approvedBy)) === undefined || true);
    const { page, errors } = await openPage(h, executionPath('order-ui-stack', '?tab=stack'));
    await page.getByLabel('Stack trace').filter({ hasText: 'condition' }).waitFor();
    await screenshot(page, 'execution-call-stack');

    await h.client.workflow.start(uiWaiter, { taskQueue: 'ui-nobody-polls', workflowId: 'waiter-no-worker' });
    await page.goto(`${h.service.url}${executionPath('waiter-no-worker', '?tab=stack')}`);
    await page.getByText('No worker', { exact: true }).waitFor();
    await screenshot(page, 'execution-no-worker');
    await handle.signal('approve', { approver: 'x' });
    await h.client.workflow.getHandle('waiter-no-worker').terminate('test over');
    expect(errors).toEqual([]);
  });

  it('is usable by keyboard: tabs with arrow keys, the history with ↑ ↓ Home End', async () => {
    const handle = await h.client.workflow.start(uiOrder, { taskQueue: TQ, workflowId: 'order-ui-keys', args: ['K-1', 1] });
    await handle.signal('approve', { approver: 'kb' });
    await handle.result();
    const { page, errors } = await openPage(h, executionPath('order-ui-keys'));
    await page.locator('h1 .status-completed').waitFor();
    const grid = page.getByRole('grid', { name: /Event history/ });
    await grid.focus();
    await page.keyboard.press('Home');
    await page.getByRole('complementary', { name: 'Selected event' }).filter({ hasText: '1 · Workflow execution started' }).waitFor();
    await page.keyboard.press('ArrowDown');
    await page.getByRole('complementary', { name: 'Selected event' }).filter({ hasText: '2 · Workflow task scheduled' }).waitFor();
    await page.keyboard.press('End');
    await page.getByRole('complementary', { name: 'Selected event' }).filter({ hasText: 'Workflow execution completed' }).waitFor();
    await page.getByRole('tab', { name: /History/ }).focus();
    await page.keyboard.press('ArrowRight');
    await page.getByRole('tab', { name: 'JSON', selected: true }).waitFor();
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('JSON');
    expect(errors).toEqual([]);
  });

  it("follows the system's dark mode", async () => {
    const handle = await h.client.workflow.start(uiOrder, { taskQueue: TQ, workflowId: 'order-ui-dark', args: ['D-1', 3] });
    await handle.signal('approve', { approver: 'night' });
    await handle.result();
    const { page, errors } = await openPage(h, executionPath('order-ui-dark'), { colorScheme: 'dark' });
    await page.locator('h1 .status-completed').waitFor();
    await page.getByRole('button', { name: /^charge · activity/ }).waitFor();
    const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(background).toBe('rgb(18, 22, 29)');
    await screenshot(page, 'execution-dark', false);
    expect(errors).toEqual([]);
  });

  it('decodes encrypted payloads through a configured codec endpoint', async () => {
    const codec = await AesGcmPayloadCodec.create({ keyId: 'ui-test', key: new Uint8Array(32).fill(7) });
    const encrypting = new Client({ connection: h.connection, namespace: 'default', dataConverter: { payloadCodecs: [codec] } });
    await encrypting.workflow.start('uiSecret', { taskQueue: 'ui-codec-nobody', workflowId: 'secret-ui-1', args: [{ card: '4242-4242' }] });
    // A codec server as Temporal's protocol has it: POST /decode { payloads } → { payloads }, with CORS.
    let seenNamespace: string | undefined;
    const server: Server = createServer((req, res) => {
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-allow-headers', 'content-type, x-namespace');
      if (req.method === 'OPTIONS') return void res.end();
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seenNamespace = req.headers['x-namespace'] as string | undefined;
        // The body holds payloads as the wire (proto3 JSON) has them: base64, decoded through the SDK's boundary.
        void decodeWithCodecs([codec], (JSON.parse(body) as { payloads: WirePayload[] }).payloads).then((payloads) => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ payloads }));
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { page, errors } = await openPage(h, executionPath('secret-ui-1'));
      await page.getByLabel('Workflow input').filter({ hasText: 'encrypted' }).waitFor();
      expect(await page.getByLabel('Workflow input').textContent()).not.toContain('4242');
      await page.getByRole('button', { name: 'Settings' }).click();
      const dialog = page.getByRole('dialog', { name: 'Settings' });
      await dialog.getByLabel('Codec endpoint', { exact: true }).fill(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
      await dialog.getByRole('button', { name: 'Save' }).click();
      await page.reload();
      await page.getByLabel('Workflow input').filter({ hasText: '"card": "4242-4242"' }).waitFor();
      expect(seenNamespace).toBe('default');
      await screenshot(page, 'execution-codec-decoded');
      expect(errors).toEqual([]);
    } finally {
      server.close();
      await h.client.workflow.getHandle('secret-ui-1').terminate('test over');
    }
  });
});
