import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { RetryState, TimeoutType } from '../../protocol/index.js';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  ServerFailure,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
  ensureApplicationFailure,
  ensureError,
  ensureTemporalFailure,
  errorType,
  isCancellation,
  rootCause,
} from './failure.js';

describe('ApplicationFailure', () => {
  it('creates retryable failures by default', () => {
    const f = ApplicationFailure.create({ message: 'm', type: 'T', details: [1, 'two'] });
    expect(f).toBeInstanceOf(TemporalFailure);
    expect(f).toBeInstanceOf(Error);
    expect(f).toMatchObject({ message: 'm', type: 'T', nonRetryable: false, details: [1, 'two'], name: 'ApplicationFailure' });
  });

  it('nonRetryable and retryable set the flag and default the type to "Error"', () => {
    expect(ApplicationFailure.nonRetryable('no', undefined, { a: 1 })).toMatchObject({
      nonRetryable: true,
      type: 'Error',
      details: [{ a: 1 }],
    });
    expect(ApplicationFailure.retryable('again', 'Flaky')).toMatchObject({ nonRetryable: false, type: 'Flaky', details: [] });
  });

  it('keeps cause and nextRetryDelay', () => {
    const cause = new Error('under');
    const f = ApplicationFailure.create({ message: 'm', cause, nextRetryDelay: '5s' });
    expect(f.cause).toBe(cause);
    expect(f.nextRetryDelay).toBe('5s');
  });

  it('fromError converts an error and applies the options given', () => {
    class InsufficientFunds extends Error {}
    const f = ApplicationFailure.fromError(new InsufficientFunds('broke'), { nonRetryable: true, message: undefined });
    expect(f).toMatchObject({ message: 'broke', type: 'InsufficientFunds', nonRetryable: true });
    const same = ApplicationFailure.retryable('x');
    expect(ApplicationFailure.fromError(same)).toBe(same);
  });
});

describe('the other failures', () => {
  it('carry their fields and names', () => {
    const cancelled = new CancelledFailure('cancelled');
    expect(cancelled).toMatchObject({ details: [], name: 'CancelledFailure' });
    const timeout = new TimeoutFailure('timed out', { progress: 3 }, TimeoutType.HEARTBEAT);
    expect(timeout).toMatchObject({ lastHeartbeatDetails: { progress: 3 }, timeoutType: 'HEARTBEAT', name: 'TimeoutFailure' });
    const activity = new ActivityFailure('act', 'charge', '1', RetryState.MAXIMUM_ATTEMPTS_REACHED, 'worker@host', timeout);
    expect(activity).toMatchObject({ activityType: 'charge', activityId: '1', identity: 'worker@host', cause: timeout });
    const child = new ChildWorkflowFailure('default', { workflowId: 'c', runId: 'r' }, 'childWf', RetryState.NON_RETRYABLE_FAILURE);
    expect(child.message).toBe('Child Workflow execution failed');
    expect(new TerminatedFailure('gone').name).toBe('TerminatedFailure');
    expect(new ServerFailure('srv', true)).toMatchObject({ nonRetryable: true, name: 'ServerFailure' });
  });
});

describe('ensureError', () => {
  it('returns errors as they are, from any realm', () => {
    const err = new RangeError('r');
    expect(ensureError(err)).toBe(err);
    const foreign = vm.runInNewContext('new Error("f")') as unknown;
    expect(ensureError(foreign)).toBe(foreign);
  });

  it('turns thrown non-errors into errors', () => {
    expect(ensureError('boom').message).toBe('boom');
    expect(ensureError({ code: 7 }).message).toBe('{"code":7}');
    expect(ensureError(42).message).toBe('42');
    expect(ensureError(undefined).message).toBe('undefined');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(ensureError(cyclic).message).toBe('[object Object]');
  });
});

describe('ensureTemporalFailure', () => {
  it('turns a plain error into a retryable application failure named after it', () => {
    const err = new TypeError('bad');
    const f = ensureTemporalFailure(err);
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f).toMatchObject({ message: 'bad', type: 'TypeError', nonRetryable: false });
    expect(f.stack).toBe(err.stack);
  });

  it('returns failures as they are', () => {
    const cancelled = new CancelledFailure('c');
    expect(ensureTemporalFailure(cancelled)).toBe(cancelled);
  });

  it('keeps the cause of the converted error', () => {
    const under = new Error('under');
    const f = ensureApplicationFailure(new Error('over', { cause: under }));
    expect(f.cause).toBe(under);
  });

  it('names the type after the class when the name is the generic "Error"', () => {
    class CardDeclined extends Error {}
    expect(errorType(new CardDeclined('x'))).toBe('CardDeclined');
    const named = new Error('x');
    named.name = 'Custom';
    expect(errorType(named)).toBe('Custom');
    expect(errorType(new Error('x'))).toBe('Error');
  });
});

describe('rootCause', () => {
  it('follows the cause chain to the root message', () => {
    const root = ApplicationFailure.retryable('root');
    const mid = new TimeoutFailure('mid', undefined, TimeoutType.START_TO_CLOSE, root);
    const top = new ActivityFailure('top', 'a', '1', RetryState.TIMEOUT, undefined, mid);
    expect(rootCause(top)).toBe('root');
    expect(rootCause(new Error('plain'))).toBe('plain');
    expect(rootCause(42)).toBeUndefined();
  });
});

describe('isCancellation', () => {
  it('is true for a CancelledFailure and for activity or child failures caused by one', () => {
    const cancelled = new CancelledFailure('c');
    expect(isCancellation(cancelled)).toBe(true);
    expect(isCancellation(new ActivityFailure('a', 't', '1', RetryState.CANCEL_REQUESTED, undefined, cancelled))).toBe(true);
    expect(
      isCancellation(new ChildWorkflowFailure('ns', { workflowId: 'w' }, 't', RetryState.CANCEL_REQUESTED, cancelled)),
    ).toBe(true);
  });

  it('is false for other failures', () => {
    expect(isCancellation(new Error('x'))).toBe(false);
    expect(isCancellation(new ActivityFailure('a', 't', '1', RetryState.TIMEOUT, undefined, new Error('x')))).toBe(false);
    expect(isCancellation(undefined)).toBe(false);
  });
});
