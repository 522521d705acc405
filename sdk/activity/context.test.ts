import { describe, expect, it } from 'vitest';
import { CancelledFailure } from '../common/index.js';
import { Context, type Info } from './context.js';

const info = { activityId: '1', activityType: 'charge', workflowExecution: { workflowId: 'w', runId: 'r' }, attempt: 1, isLocal: false } as Info;
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('Context', () => {
  it('asks for its cancellation signal only when the activity first reads it, or its cancelled promise', async () => {
    const abort = new AbortController();
    let asked = 0;
    const ctx = new Context(info, () => (asked++, abort.signal), () => {}, quiet);
    expect(asked).toBe(0);
    // Cancelled before anyone looked: the promise made afterwards rejects all the same, with the reason.
    abort.abort('CANCELLED');
    await expect(ctx.cancelled).rejects.toThrow(CancelledFailure);
    expect(ctx.cancellationSignal).toBe(abort.signal);
    expect(ctx.cancelled).toBe(ctx.cancelled);
    expect(asked).toBe(1);
  });

  it('rejects its cancelled promise when the signal it was given is aborted later', async () => {
    const abort = new AbortController();
    const ctx = new Context(info, abort.signal, () => {}, quiet);
    const cancelled = ctx.cancelled;
    abort.abort('TIMED_OUT');
    await expect(cancelled).rejects.toThrow('TIMED_OUT');
  });
});
