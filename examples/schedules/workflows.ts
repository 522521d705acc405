// Workflows: a daily report. A schedule starts it; the workflow reads which day it is for from its
// workflow id, to which the schedule appends the time the action was scheduled for.
import { proxyActivities, workflowInfo } from 'keel/workflow';
import type { createActivities } from './activities';

const { sendReport } = proxyActivities<ReturnType<typeof createActivities>>({ startToCloseTimeout: '1 minute' });

export async function dailyReport(region: string): Promise<string> {
  // The schedule names each run `<workflow id>-<time>`: the time it was scheduled for.
  const day = workflowInfo().workflowId.slice(-20, -10);
  return await sendReport(`${region} ${day}`);
}
