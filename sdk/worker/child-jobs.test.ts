import { describe, expect, it } from 'vitest';
import type { CommandOf, HistoryEvent } from '../../protocol/index.js';
import { ApplicationFailure, ChildWorkflowFailure, TerminatedFailure, defaultPayloadConverter, failureToError } from '../common/index.js';
import { IllegalStateError } from '../common/errors.js';
import { jobForChildOrExternalEvent, seqOfInitiated } from './child-jobs.js';
import { commandMatchesEvent, describeCommand, describeEvent } from './command-matching.js';

const ev = (eventId: number, eventType: string, attributes: Record<string, unknown>) => ({ eventId, eventTime: '2026-01-01T00:00:00Z', eventType, attributes }) as unknown as HistoryEvent;
const child = { namespace: 'default', workflowExecution: { workflowId: 'kid', runId: 'r1' }, workflowType: { name: 'ship' }, initiatedEventId: 5, startedEventId: 7 };
const seqs = new Map([[5, 3]]);

describe('child and external events as activation jobs', () => {
  it('reads the sequence number from the Initiated event\'s control', () => {
    expect(seqOfInitiated(ev(5, 'StartChildWorkflowExecutionInitiated', { control: '3' }))).toBe(3);
    expect(seqOfInitiated(ev(5, 'StartChildWorkflowExecutionInitiated', {}))).toBeUndefined();
  });

  it('turns a child\'s failure into a ChildWorkflowFailure caused by the child\'s own failure', () => {
    const job = jobForChildOrExternalEvent(
      ev(9, 'ChildWorkflowExecutionFailed', { ...child, failure: { message: 'boom', applicationFailureInfo: { type: 'Oops', nonRetryable: true } }, retryState: 'NON_RETRYABLE_FAILURE' }),
      (id) => seqs.get(id),
    );
    expect(job).toMatchObject({ type: 'resolveChildWorkflowExecution', seq: 3 });
    const err = failureToError((job as unknown as { result: { failed: { failure: never } } }).result.failed.failure, defaultPayloadConverter);
    expect(err).toBeInstanceOf(ChildWorkflowFailure);
    expect(err).toMatchObject({ workflowType: 'ship', execution: { workflowId: 'kid', runId: 'r1' }, retryState: 'NON_RETRYABLE_FAILURE' });
    expect(err.cause).toBeInstanceOf(ApplicationFailure);
    expect(err.cause).toMatchObject({ message: 'boom', type: 'Oops' });
  });

  it('turns a terminated child into a ChildWorkflowFailure caused by TerminatedFailure', () => {
    const job = jobForChildOrExternalEvent(ev(9, 'ChildWorkflowExecutionTerminated', child), (id) => seqs.get(id));
    const err = failureToError((job as unknown as { result: { failed: { failure: never } } }).result.failed.failure, defaultPayloadConverter);
    expect(err.cause).toBeInstanceOf(TerminatedFailure);
  });

  it('refuses an answer to a call this run never made', () => {
    expect(() => jobForChildOrExternalEvent(ev(9, 'ExternalWorkflowExecutionSignaled', { initiatedEventId: 4, namespace: 'default', workflowExecution: { workflowId: 'x' } }), (id) => seqs.get(id))).toThrow(IllegalStateError);
  });
});

describe('matching child and external commands against history', () => {
  const initiated = ev(5, 'StartChildWorkflowExecutionInitiated', { workflowId: 'kid', workflowType: { name: 'ship' }, control: '1' });

  it('matches a child start by workflow id and type, and names both when they differ', () => {
    const same: CommandOf<'StartChildWorkflowExecution'> = { type: 'StartChildWorkflowExecution', workflowId: 'kid', workflowType: 'ship', input: [] };
    const other: CommandOf<'StartChildWorkflowExecution'> = { ...same, workflowType: 'pack' };
    expect(commandMatchesEvent(same, initiated, () => undefined)).toBe(true);
    expect(commandMatchesEvent(other, initiated, () => undefined)).toBe(false);
    expect(describeEvent(initiated, () => undefined)).toBe('StartChildWorkflowExecutionInitiated(workflowType=ship, workflowId=kid)');
    expect(describeCommand(other)).toBe('StartChildWorkflowExecution(workflowType=pack, workflowId=kid)');
  });

  it('matches a signal by target and signal name, a cancellation by target', () => {
    const signalled = ev(6, 'SignalExternalWorkflowExecutionInitiated', { workflowExecution: { workflowId: 'w' }, signalName: 'poke' });
    expect(commandMatchesEvent({ type: 'SignalExternalWorkflowExecution', execution: { workflowId: 'w' }, signalName: 'poke', input: [] }, signalled, () => undefined)).toBe(true);
    expect(commandMatchesEvent({ type: 'SignalExternalWorkflowExecution', execution: { workflowId: 'w' }, signalName: 'prod', input: [] }, signalled, () => undefined)).toBe(false);
    const cancelled = ev(7, 'RequestCancelExternalWorkflowExecutionInitiated', { workflowExecution: { workflowId: 'w' } });
    expect(commandMatchesEvent({ type: 'RequestCancelExternalWorkflowExecution', workflowId: 'w' }, cancelled, () => undefined)).toBe(true);
    expect(commandMatchesEvent({ type: 'RequestCancelExternalWorkflowExecution', workflowId: 'v' }, cancelled, () => undefined)).toBe(false);
  });
});
