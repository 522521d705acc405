// MockActivityEnvironment as Temporal's docs use it in mocha/jest suites.
import { describe, expect, it } from 'vitest';
import { CancelledFailure, Context, activityInfo, heartbeat, log, sleep } from 'keel/activity';
import { MockActivityEnvironment } from 'keel/testing';
import { DefaultLogger, type LogEntry } from 'keel/worker';

async function countTo(n: number): Promise<number> {
  for (let i = 1; i <= n; i++) heartbeat(i);
  log.info('counted', { n });
  return activityInfo().attempt;
}

describe('MockActivityEnvironment', () => {
  it('runs an activity with its info, emitting heartbeats and writing log records', async () => {
    const entries: LogEntry[] = [];
    const env = new MockActivityEnvironment({ attempt: 3 }, { logger: new DefaultLogger('INFO', (e) => void entries.push(e)) });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    expect(await env.run(countTo, 2)).toBe(3);
    expect(beats).toEqual([1, 2]);
    expect(entries[0]).toMatchObject({ message: 'counted', meta: { n: 2, sdkComponent: 'activity', attempt: 3, activityId: 'test' } });
  });

  it('cancels the activity', async () => {
    const env = new MockActivityEnvironment();
    const running = env.run(async () => {
      const ctx = Context.current();
      await Promise.race([ctx.cancelled, sleep('1 day')]);
    });
    env.cancel();
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
    expect(env.context.cancellationSignal.aborted).toBe(true);
  });
});
