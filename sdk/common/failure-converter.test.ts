import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Failure as FailureSchema, RetryState, TimeoutType, type Failure } from '../../protocol/index.js';
import { base64ToUtf8 } from './encoding.js';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  ServerFailure,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
} from './failure.js';
import { DefaultFailureConverter, errorToFailure, failureToError } from './failure-converter.js';
import { defaultPayloadConverter as pc, encodingOf } from './payload-converter.js';

/** Error → wire → error, checking on the way that the wire schema accepts the failure. */
function roundTrip<E extends Error>(err: E): { failure: Failure; back: TemporalFailure } {
  const failure = errorToFailure(err, pc);
  expect(FailureSchema.parse(JSON.parse(JSON.stringify(failure)))).toEqual(failure);
  const back = failureToError(failure, pc);
  return { failure, back };
}

describe('errorToFailure / failureToError round trips', () => {
  it('ApplicationFailure with type, flag, details and next retry delay', () => {
    const err = ApplicationFailure.create({
      message: 'card declined',
      type: 'CardDeclined',
      nonRetryable: true,
      details: [{ last4: '4242' }, 3, undefined],
      nextRetryDelay: '1.5s',
    });
    const { failure, back } = roundTrip(err);
    expect(failure).toMatchObject({
      message: 'card declined',
      source: 'TypeScriptSDK',
      stackTrace: err.stack,
      applicationFailureInfo: { type: 'CardDeclined', nonRetryable: true, nextRetryDelayMs: 1500 },
    });
    expect(failure.applicationFailureInfo!.details).toHaveLength(3);
    expect(back).toBeInstanceOf(ApplicationFailure);
    expect(back).toMatchObject({
      message: 'card declined',
      type: 'CardDeclined',
      nonRetryable: true,
      details: [{ last4: '4242' }, 3, undefined],
      nextRetryDelay: 1500,
    });
    expect(back.stack).toBe(err.stack);
    expect(back.failure).toBe(failure);
  });

  it('CancelledFailure with details', () => {
    const { failure, back } = roundTrip(new CancelledFailure('cancelled', ['why']));
    expect(failure.canceledFailureInfo!.details).toHaveLength(1);
    expect(back).toBeInstanceOf(CancelledFailure);
    expect(back).toMatchObject({ message: 'cancelled', details: ['why'] });
  });

  it('TimeoutFailure with its type and last heartbeat details', () => {
    const { failure, back } = roundTrip(new TimeoutFailure('timed out', { progress: 42 }, TimeoutType.HEARTBEAT));
    expect(failure.timeoutFailureInfo).toMatchObject({ timeoutType: 'HEARTBEAT' });
    expect(back).toBeInstanceOf(TimeoutFailure);
    expect(back).toMatchObject({ timeoutType: 'HEARTBEAT', lastHeartbeatDetails: { progress: 42 } });
    const none = roundTrip(new TimeoutFailure('t', undefined, TimeoutType.START_TO_CLOSE));
    expect(none.failure.timeoutFailureInfo).toEqual({ timeoutType: 'START_TO_CLOSE' });
    expect((none.back as TimeoutFailure).lastHeartbeatDetails).toBeUndefined();
  });

  it('TerminatedFailure', () => {
    const { failure, back } = roundTrip(new TerminatedFailure('terminated by operator'));
    expect(failure.terminatedFailureInfo).toEqual({});
    expect(back).toBeInstanceOf(TerminatedFailure);
    expect(back.message).toBe('terminated by operator');
  });

  it('ServerFailure', () => {
    const { failure, back } = roundTrip(new ServerFailure('server said no', true));
    expect(failure.serverFailureInfo).toEqual({ nonRetryable: true });
    expect(back).toBeInstanceOf(ServerFailure);
    expect((back as ServerFailure).nonRetryable).toBe(true);
  });

  it('ActivityFailure with a nested ApplicationFailure cause', () => {
    const cause = ApplicationFailure.nonRetryable('declined', 'Declined', 'detail');
    const err = new ActivityFailure('Activity task failed', 'charge', '7', RetryState.NON_RETRYABLE_FAILURE, 'w1@host', cause);
    const { failure, back } = roundTrip(err);
    expect(failure.activityFailureInfo).toEqual({
      scheduledEventId: 0,
      startedEventId: 0,
      identity: 'w1@host',
      activityType: 'charge',
      activityId: '7',
      retryState: 'NON_RETRYABLE_FAILURE',
    });
    expect(failure.cause!.applicationFailureInfo).toMatchObject({ type: 'Declined', nonRetryable: true });
    expect(back).toBeInstanceOf(ActivityFailure);
    expect(back).toMatchObject({ activityType: 'charge', activityId: '7', identity: 'w1@host', retryState: 'NON_RETRYABLE_FAILURE' });
    expect(back.cause).toBeInstanceOf(ApplicationFailure);
    expect(back.cause).toMatchObject({ message: 'declined', type: 'Declined', nonRetryable: true, details: ['detail'] });
  });

  it('ChildWorkflowFailure with a three-level cause chain', () => {
    const root = new CancelledFailure('cancelled', ['reason']);
    const activity = new ActivityFailure('act', 'ship', '1', RetryState.CANCEL_REQUESTED, undefined, root);
    const err = new ChildWorkflowFailure('default', { workflowId: 'child-1', runId: 'run-1' }, 'shipOrder', RetryState.NON_RETRYABLE_FAILURE, activity);
    const { failure, back } = roundTrip(err);
    expect(failure.childWorkflowExecutionFailureInfo).toEqual({
      namespace: 'default',
      workflowExecution: { workflowId: 'child-1', runId: 'run-1' },
      workflowType: 'shipOrder',
      initiatedEventId: 0,
      startedEventId: 0,
      retryState: 'NON_RETRYABLE_FAILURE',
    });
    expect(back).toBeInstanceOf(ChildWorkflowFailure);
    expect(back).toMatchObject({ namespace: 'default', execution: { workflowId: 'child-1', runId: 'run-1' }, workflowType: 'shipOrder' });
    expect(back.message).toBe('Child Workflow execution failed');
    expect(back.cause).toBeInstanceOf(ActivityFailure);
    const backRoot = (back.cause as ActivityFailure).cause;
    expect(backRoot).toBeInstanceOf(CancelledFailure);
    expect((backRoot as CancelledFailure).details).toEqual(['reason']);
  });

  it('a plain TemporalFailure', () => {
    const { failure, back } = roundTrip(new TemporalFailure('generic'));
    expect(Object.keys(failure).filter((k) => k.endsWith('Info'))).toEqual([]);
    expect(back).toBeInstanceOf(TemporalFailure);
    expect(back).not.toBeInstanceOf(ApplicationFailure);
  });
});

describe('errorToFailure of other thrown values', () => {
  it('turns a plain Error into a retryable application failure typed by its name', () => {
    const err = new TypeError('x is not a function');
    const failure = errorToFailure(err, pc);
    expect(failure).toEqual({
      message: 'x is not a function',
      source: 'TypeScriptSDK',
      stackTrace: err.stack,
      applicationFailureInfo: { type: 'TypeError', nonRetryable: false },
    });
    const back = failureToError(failure, pc);
    expect(back).toBeInstanceOf(ApplicationFailure);
    expect(back).toMatchObject({ type: 'TypeError', nonRetryable: false });
  });

  it('converts an Error cause chain', () => {
    const err = new Error('outer', { cause: new RangeError('inner') });
    const failure = errorToFailure(err, pc);
    expect(failure.cause).toMatchObject({ message: 'inner', applicationFailureInfo: { type: 'RangeError' } });
    expect(failureToError(failure, pc).cause).toMatchObject({ message: 'inner', type: 'RangeError' });
  });

  it('stops at a cyclic cause', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    const failure = errorToFailure(a, pc);
    expect(failure.cause!.message).toBe('b');
    expect(failure.cause!.cause).toBeUndefined();
  });

  it('converts errors from another realm, as from the workflow sandbox', () => {
    const foreign = vm.runInNewContext('new SyntaxError("bad")');
    expect(errorToFailure(foreign, pc)).toMatchObject({ message: 'bad', applicationFailureInfo: { type: 'SyntaxError' } });
  });

  it('turns thrown strings and objects into failures with a hint to throw errors', () => {
    expect(errorToFailure('oops', pc).message).toMatch(/^oops \[A non-Error value was thrown/);
    expect(errorToFailure({ code: 1 }, pc).message).toMatch(/^\{"code":1\} \[A non-Error/);
    expect(errorToFailure(undefined, pc).applicationFailureInfo).toEqual({ type: 'Error', nonRetryable: false });
  });

  it('returns the original wire failure of an error that came from the wire', () => {
    const wire: Failure = {
      message: 'from the service',
      source: 'GoSDK',
      activityFailureInfo: { scheduledEventId: 5, startedEventId: 6, activityType: 'a', activityId: '1', retryState: 'TIMEOUT' },
      cause: { message: 'timeout', timeoutFailureInfo: { timeoutType: 'START_TO_CLOSE' } },
    };
    const err = failureToError(wire, pc);
    expect(errorToFailure(err, pc)).toBe(wire);
  });
});

describe('failureToError', () => {
  it('keeps the stack trace of the failure', () => {
    const err = failureToError({ message: 'm', stackTrace: 'Error: m\n    at remote.ts:1:1', applicationFailureInfo: {} }, pc);
    expect(err.stack).toBe('Error: m\n    at remote.ts:1:1');
    expect(err).toMatchObject({ type: undefined, nonRetryable: false, details: [] });
  });

  it('leaves out an empty run id of a child execution', () => {
    const err = failureToError(
      {
        message: 'm',
        childWorkflowExecutionFailureInfo: {
          namespace: 'ns',
          workflowExecution: { workflowId: 'w', runId: '' },
          workflowType: 't',
          initiatedEventId: 1,
          startedEventId: 2,
          retryState: 'TIMEOUT',
        },
      },
      pc,
    ) as ChildWorkflowFailure;
    expect(err.execution).toEqual({ workflowId: 'w' });
  });
});

describe('DefaultFailureConverter with encodeCommonAttributes', () => {
  it('moves message and stack trace into encodedAttributes and restores them', () => {
    const converter = new DefaultFailureConverter({ encodeCommonAttributes: true });
    const err = ApplicationFailure.create({ message: 'secret message', type: 'T', cause: new Error('secret cause') });
    const failure = converter.errorToFailure(err, pc);
    expect(failure.message).toBe('Encoded failure');
    expect(failure.stackTrace).toBe('');
    expect(failure.cause!.message).toBe('Encoded failure');
    expect(encodingOf(failure.encodedAttributes!)).toBe('json/plain');
    expect(JSON.stringify({ ...failure, encodedAttributes: undefined, cause: undefined })).not.toContain('secret');
    expect(JSON.parse(base64ToUtf8(failure.encodedAttributes!.data))).toEqual({ message: 'secret message', stack_trace: err.stack });

    const back = converter.failureToError(failure, pc);
    expect(back.message).toBe('secret message');
    expect(back.stack).toBe(err.stack);
    expect(back.cause!.message).toBe('secret cause');
  });
});
