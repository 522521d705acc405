// The fault suite, small size: workers and the service SIGKILLed during a run, every history
// checked. The large size is `npm run bench:faults` (bench/faults.ts), figures in bench/RESULTS.md.
import { describe, expect, it } from 'vitest';
import { violationCount } from './history-invariants.js';
import { runFaults } from './fault-run.js';

describe('fault suite (small)', () => {
  it('with workers and the service SIGKILLed mid-run, no workflow is lost or completed twice, histories stay sound, and no task is started by a dead worker', async () => {
    const report = await runFaults({
      workflows: 24,
      startsPerSecond: 2,
      workers: 3,
      steps: 3,
      sleepMs: [500, 1500],
      workerKillEveryMs: [1500, 2500],
      serviceKills: 1,
      deadlineMs: 90_000,
    });
    const sorted = [...report.latenciesMs].sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
    console.log(`faults (small): ${report.workerKills} worker kills, ${report.serviceKills} service kill, ${report.lostHandOffs} tasks taken back from dead polls, ${report.activityRetries} activity retries, end to end p50 ${at(50)} ms p99 ${at(99)} ms`);
    expect(report.violations).toEqual({ lost: [], completedTwice: [], nonDense: [], activityNotClosedOnce: [], workflowTasksStartedAfterDeath: [], activityTasksStartedAfterDeath: [] });
    expect(violationCount(report.violations)).toBe(0);
    expect(report.workerKills).toBeGreaterThan(0);
    expect(report.serviceKills).toBe(1);
    expect(report.visibilityCompleted).toBe(24);
    expect(report.workerCrashes).toEqual([]);
    // Each worker that lived through the service's outage said so once, and once that it was back.
    for (const w of report.survivorOutageLogs.filter((s) => s.outagesLived > 0)) {
      expect(w, w.identity).toMatchObject({ unreachable: w.outagesLived, back: w.outagesLived });
    }
  });
});
