import { describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION_MS } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';
import { namespaceInfo, namespacePageToken, newNamespace, parseNamespacePageToken, updatedNamespace } from './namespace.js';

describe('a namespace record', () => {
  it("is registered with Temporal's default retention unless one is given", () => {
    expect(newNamespace({ name: 'orders' }, 5)).toEqual({ name: 'orders', state: 'REGISTERED', description: '', ownerEmail: '', data: {}, retentionMs: DEFAULT_RETENTION_MS, createTime: 5, updateTime: 5 });
    expect(newNamespace({ name: 'orders', retentionMs: 1000, data: { a: '1', gone: '' } }, 5)).toMatchObject({ retentionMs: 1000, data: { a: '1' } });
  });

  it('changes only the fields an update gives, merging data and dropping keys set to ""', () => {
    const ns = newNamespace({ name: 'orders', description: 'd', ownerEmail: 'o@x', data: { a: '1', b: '2' } }, 5);
    expect(updatedNamespace(ns, { data: { b: '', c: '3' } }, 9)).toEqual({ ...ns, data: { a: '1', c: '3' }, updateTime: 9 });
    expect(updatedNamespace(ns, { retentionMs: 60_000, description: '' }, 9)).toEqual({ ...ns, retentionMs: 60_000, description: '', updateTime: 9 });
  });

  it('reads as the wire form with ISO times', () => {
    expect(namespaceInfo(newNamespace({ name: 'n' }, 0))).toMatchObject({ name: 'n', createTime: '1970-01-01T00:00:00.000Z' });
  });

  it('pages by name with tokens it made, refusing others', () => {
    expect(parseNamespacePageToken(namespacePageToken('orders'))).toBe('orders');
    expect(() => parseNamespacePageToken('orders')).toThrow(ServiceError);
  });
});
