import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACK_AFTER_MS, acknowledgeIfSlow, answeringNow, pollLoop, Slots } from './poller.js';
import type { LogMetadata } from '../common/index.js';
import { ServiceHealth } from './service-health.js';

function recordingLogger() {
  const lines: Array<{ level: 'warn' | 'info'; message: string; meta?: LogMetadata }> = [];
  return {
    lines,
    warn: (message: string, meta?: LogMetadata) => void lines.push({ level: 'warn', message, ...(meta ? { meta } : {}) }),
    info: (message: string, meta?: LogMetadata) => void lines.push({ level: 'info', message, ...(meta ? { meta } : {}) }),
  };
}

const noSleep = () => Promise.resolve();
const freeSlot = () => Promise.resolve(() => {});

/**
 * Runs `loops` poll loops against a service whose availability `script` decides per poll (true:
 * answers, false: refuses), until it has answered `stopAfter` polls.
 */
async function runAgainst(loops: number, health: ServiceHealth, script: () => boolean, stopAfter: number) {
  const stop = new AbortController();
  let answered = 0;
  const poll = async () => {
    await Promise.resolve();
    if (!script()) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7233'), { code: 'ECONNREFUSED' });
    if (++answered >= stopAfter) stop.abort();
    return undefined;
  };
  await Promise.all(Array.from({ length: loops }, (_, i) => pollLoop({ name: `poller ${i}`, poll, acquire: freeSlot, handle: async () => {}, signal: stop.signal, health, sleep: noSleep })));
}

describe('poll loops and service outages', () => {
  it('one outage seen by many poll loops gives one warning, with the cause and the back-off, and one line when the service is back', async () => {
    const log = recordingLogger();
    let t = 0;
    const health = new ServiceHealth(log, () => (t += 100));
    let polls = 0;
    // Up for 5 polls, down for the next 40 (every loop fails several times), then up again.
    await runAgainst(4, health, () => ++polls <= 5 || polls > 45, 20);
    expect(log.lines.map((l) => l.level)).toEqual(['warn', 'info']);
    const [warn, back] = log.lines;
    expect(warn!.message).toMatch(/Keel service unreachable: poller \d failed \(connect ECONNREFUSED 127\.0\.0\.1:7233\); polling again with back-off, first in 100 ms, at most every 10000 ms/);
    expect(warn!.meta).toMatchObject({ cause: expect.stringContaining('ECONNREFUSED'), retryInMs: 100, maxBackoffMs: 10_000 });
    expect(back!.message).toMatch(/^Keel service reachable again after \d+\.\d s \(40 failed polls\)$/);
    expect(back!.meta).toMatchObject({ failedPolls: 40 });
    expect(health.down).toBe(false);
  });

  it('two outages give two warnings and two lines saying it is back; no outage, no line', async () => {
    const log = recordingLogger();
    const health = new ServiceHealth(log);
    let polls = 0;
    const up = () => {
      polls++;
      return !((polls > 3 && polls <= 10) || (polls > 15 && polls <= 20));
    };
    await runAgainst(2, health, up, 20);
    expect(log.lines.map((l) => l.level)).toEqual(['warn', 'info', 'warn', 'info']);

    const quiet = recordingLogger();
    await runAgainst(3, new ServiceHealth(quiet), () => true, 10);
    expect(quiet.lines).toEqual([]);
  });
});

describe('acknowledging a polled task (protocol 2)', () => {
  afterEach(() => vi.useRealTimers());

  async function handOne(finishAfterMs: number | undefined) {
    vi.useFakeTimers();
    const stop = new AbortController();
    const acknowledged: string[] = [];
    let finish!: () => void;
    const handled = new Promise<void>((r) => (finish = r));
    let given = false;
    const loop = pollLoop<string>({
      name: 'poller',
      poll: async () => {
        if (given) {
          stop.abort();
          return undefined;
        }
        given = true;
        return 'task-1';
      },
      acquire: freeSlot,
      handle: () => handled,
      acknowledge: async (task) => void acknowledged.push(task),
      signal: stop.signal,
      health: new ServiceHealth(recordingLogger()),
      sleep: noSleep,
    });
    await loop;
    if (finishAfterMs !== undefined) {
      await vi.advanceTimersByTimeAsync(finishAfterMs);
      finish();
      await handled;
    }
    await vi.advanceTimersByTimeAsync(ACK_AFTER_MS * 2);
    finish();
    return acknowledged;
  }

  it('acknowledges a task still running ACK_AFTER_MS after it came', async () => {
    expect(await handOne(undefined)).toEqual(['task-1']);
  });

  it('does not acknowledge a task that ended sooner: its completion told the service', async () => {
    expect(await handOne(ACK_AFTER_MS - 1)).toEqual([]);
  });

  it('does not acknowledge a slow task whose answer is already on its way: the answer acknowledges it', async () => {
    vi.useFakeTimers();
    const acknowledged: string[] = [];
    const [answered, running] = [{ taskToken: 'answered' }, { taskToken: 'running' }];
    // Neither is ever handled to its end.
    for (const task of [answered, running]) acknowledgeIfSlow(task, async (t) => void acknowledged.push(t.taskToken));
    answeringNow(answered);
    await vi.advanceTimersByTimeAsync(ACK_AFTER_MS * 2);
    expect(acknowledged).toEqual(['running']);
  });
});

describe('several tasks an answer (protocol 3)', () => {
  it('asks for one more task than the slots free besides its own (at most maxPerPoll), and runs each task it gets in a slot of its own', async () => {
    const slots = new Slots(4);
    const stop = new AbortController();
    const asked: number[] = [];
    const running: string[] = [];
    const busyAtStart: number[] = [];
    const finish: Array<() => void> = [];
    let polls = 0;
    const loop = pollLoop<string>({
      name: 'poller',
      poll: async (_, max) => {
        asked.push(max);
        if (++polls > 1) {
          stop.abort();
          return undefined;
        }
        return ['t1', 't2', 't3'];
      },
      acquire: () => slots.acquire(),
      maxPerPoll: 3,
      freeSlots: () => slots.size - slots.used,
      handle: (task) => {
        running.push(task);
        busyAtStart.push(slots.used);
        return new Promise<void>((r) => finish.push(r));
      },
      signal: stop.signal,
      health: new ServiceHealth(recordingLogger()),
      sleep: noSleep,
    });
    await loop;
    await new Promise((r) => setTimeout(r, 0));
    // First poll: its own slot taken, 3 free → min(3, 1 + 3). Second: its own slot and the batch's three held, none free → 1.
    expect(asked[0]).toBe(3);
    expect(asked[1]).toBe(1);
    expect(running).toEqual(['t1', 't2', 't3']);
    expect(slots.used).toBe(3);
    for (const f of finish) f();
    await new Promise((r) => setTimeout(r, 0));
    expect(slots.used).toBe(0);
  });
});
