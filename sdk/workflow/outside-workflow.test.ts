// Tests keel/workflow loaded outside a workflow (client code): no side effects, clear errors.
import { describe, expect, it } from 'vitest';

describe('keel/workflow outside a workflow', () => {
  it('loads without side effects and gives definitions to client code', async () => {
    const globalsBefore = Object.getOwnPropertyNames(globalThis).sort();
    const { defineSignal, defineQuery, proxyActivities, inWorkflowContext } = await import('./index.js');
    expect(Object.getOwnPropertyNames(globalThis).sort()).toEqual(globalsBefore);
    expect(defineSignal<[boolean]>('approve')).toEqual({ type: 'signal', name: 'approve' });
    expect(defineQuery<string>('status')).toEqual({ type: 'query', name: 'status' });
    expect(() => proxyActivities({ startToCloseTimeout: '1m' })).not.toThrow();
    expect(inWorkflowContext()).toBe(false);
  });

  it('throws IllegalStateError from the functions that need a running workflow', async () => {
    const wf = await import('./index.js');
    const message = /can only be used in a workflow context/;
    expect(() => wf.workflowInfo()).toThrow(message);
    expect(() => wf.sleep(1)).toThrow(message);
    expect(() => wf.uuid4()).toThrow(message);
    expect(() => wf.setHandler(wf.defineSignal('s'), () => undefined)).toThrow(message);
    expect(() => wf.log.info('x')).toThrow(message);
    expect(() => wf.CancellationScope.current()).toThrow(wf.IllegalStateError);
    await expect(wf.condition(() => true)).rejects.toThrow(message);
    expect(() => wf.proxyActivities<{ a(): Promise<void> }>({ startToCloseTimeout: 1 }).a()).toThrow(message);
  });
});
