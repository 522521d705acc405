// A run's task queue on the execution page, in Chromium: its pollers, backlog and the average
// time tasks waited before a worker took them, for workflow and activity tasks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as activities from './fixtures/activities.js';
import { uiManyActivities } from './fixtures/workflows.js';
import { hasChromium, openPage, screenshot, startHarness, type Harness } from './harness.js';

const TQ = 'ui-task-queue';
let h: Harness;

describe.skipIf(!hasChromium)('task queue panel', () => {
  beforeAll(async () => {
    h = await startHarness({ worker: { taskQueue: TQ, activities } });
  });
  afterAll(() => h?.stop());

  it("shows the run's task queue: pollers, backlog and schedule-to-start per kind of task", async () => {
    await h.client.workflow.execute(uiManyActivities, { taskQueue: TQ, workflowId: 'tq-ui-1', args: [2, 2] });
    const described = await Promise.all((['workflow', 'activity'] as const).map((kind) => h.connection.call('describeTaskQueue', { kind }, { namespace: 'default', params: { taskQueue: TQ } })));
    const { page, errors } = await openPage(h, '/namespaces/default/workflows/tq-ui-1');
    const table = page.getByRole('table', { name: `Task queue ${TQ}` });
    const activityRow = table.getByRole('row').filter({ hasText: /^activity/ });
    await activityRow.waitFor();
    const cells = async (row: typeof activityRow) => (await row.locator('td').allTextContents()).map((t) => t.trim());
    // The worker polls both kinds; nothing waits; the activities were started through polls (or eagerly).
    const [kind, pollers, backlog, , started] = await cells(activityRow);
    expect(kind).toBe('activity');
    expect(Number(pollers)).toBe(described[1]!.pollers.length);
    expect(Number(pollers)).toBeGreaterThanOrEqual(1);
    expect(backlog).toBe('0');
    expect(Number(started)).toBeGreaterThanOrEqual(described[1]!.scheduleToStart!.count);
    const workflowRow = await cells(table.getByRole('row').filter({ hasText: /^workflow/ }));
    expect(Number(workflowRow[1])).toBeGreaterThanOrEqual(1);
    expect(workflowRow[3]).toMatch(/^(\d+ms|\d+(\.\d+)?s|—)$/);
    await screenshot(page, 'execution-task-queue');
    expect(errors).toEqual([]);
  });
});
