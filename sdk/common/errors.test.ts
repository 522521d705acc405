import { describe, expect, it } from 'vitest';
import {
  IllegalStateError,
  NamespaceNotFoundError,
  PayloadConverterError,
  ValueError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from './errors.js';
import { TemporalFailure } from './failure.js';

describe('SDK errors', () => {
  it('each sets its own name', () => {
    expect(new ValueError('m').name).toBe('ValueError');
    expect(new PayloadConverterError('m').name).toBe('PayloadConverterError');
    expect(new IllegalStateError('m').name).toBe('IllegalStateError');
    expect(new WorkflowNotFoundError('m', 'wf', 'run').name).toBe('WorkflowNotFoundError');
    expect(new WorkflowExecutionAlreadyStartedError('m', 'wf', 'T').name).toBe('WorkflowExecutionAlreadyStartedError');
    expect(new NamespaceNotFoundError('ns').name).toBe('NamespaceNotFoundError');
  });

  it('a PayloadConverterError is a ValueError, as in Temporal', () => {
    const err = new PayloadConverterError('bad', new Error('under'));
    expect(err).toBeInstanceOf(ValueError);
    expect(err).toBeInstanceOf(Error);
    expect((err.cause as Error).message).toBe('under');
  });

  it('carry what the caller needs', () => {
    const notFound = new WorkflowNotFoundError('no such workflow', 'order-1', undefined);
    expect(notFound).toMatchObject({ workflowId: 'order-1', runId: undefined, message: 'no such workflow' });
    const started = new WorkflowExecutionAlreadyStartedError('already started', 'order-1', 'order');
    expect(started).toMatchObject({ workflowId: 'order-1', workflowType: 'order' });
    expect(started).toBeInstanceOf(TemporalFailure);
    const ns = new NamespaceNotFoundError('prod');
    expect(ns.namespace).toBe('prod');
    expect(ns.message).toBe("Namespace not found: 'prod'");
  });
});
