import { describe, expect, it } from 'vitest';
import { MetricRegistry } from '../../protocol/metric-registry.js';
import { KeelServiceError, ServiceError } from '../client/errors.js';
import { isLongPoll, recordRequest, statusCodeOf } from './request-metrics.js';

describe('request metrics', () => {
  it("names failures by gRPC's status codes, a 429 RESOURCE_EXHAUSTED whatever its body", () => {
    expect(statusCodeOf(new KeelServiceError('WORKFLOW_NOT_FOUND', 404, 'x'))).toBe('NOT_FOUND');
    expect(statusCodeOf(new KeelServiceError('WORKFLOW_ALREADY_STARTED', 409, 'x'))).toBe('ALREADY_EXISTS');
    expect(statusCodeOf(new KeelServiceError('UNKNOWN', 429, 'x'))).toBe('RESOURCE_EXHAUSTED');
  });

  it('counts task polls and the history long poll as long requests, nothing else', () => {
    expect(isLongPoll('pollWorkflowTask', {})).toBe(true);
    expect(isLongPoll('pollActivityTask', {})).toBe(true);
    expect(isLongPoll('getWorkflowHistory', { waitNewEvent: true })).toBe(true);
    expect(isLongPoll('getWorkflowHistory', {})).toBe(false);
    expect(isLongPoll('startWorkflow', {})).toBe(false);
  });

  it('counts every call and its latency, and as failures only the error answers', async () => {
    const registry = new MetricRegistry();
    const options = { namespace: 'ns', params: { workflowId: 'w' } };
    await recordRequest(registry, 'signalWorkflow', { signalName: 's' }, options, async () => ({}));
    await expect(recordRequest(registry, 'signalWorkflow', { signalName: 's' }, options, () => Promise.reject(new KeelServiceError('WORKFLOW_NOT_RUNNING', 409, 'closed')))).rejects.toThrow('closed');
    await expect(recordRequest(registry, 'signalWorkflow', { signalName: 's' }, options, () => Promise.reject(new ServiceError('no answer')))).rejects.toThrow('no answer');
    const text = registry.render();
    expect(text).toContain('temporal_request{namespace="ns",operation="SignalWorkflowExecution"} 3');
    expect(text).toContain('temporal_request_failure{namespace="ns",operation="SignalWorkflowExecution",status_code="NOT_FOUND"} 1');
    expect(text).toContain('temporal_request_latency_count{namespace="ns",operation="SignalWorkflowExecution"} 3');
  });
});
