import { describe, expect, it } from 'vitest';
import { Api } from './api.js';
import { openApiDocument } from './openapi.js';

describe('openApiDocument', () => {
  it('documents every endpoint of the table with its request and response', () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, { operationId: string; requestBody?: unknown }>> };
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p));
    expect(ops.map((o) => o.operationId).sort()).toEqual(Object.keys(Api).sort());
    expect(doc.paths['/api/v1/namespaces/{namespace}/workflows']?.post?.requestBody).toBeDefined();
  });
  it('serialises to JSON', () => {
    expect(() => JSON.stringify(openApiDocument('http://127.0.0.1:7233'))).not.toThrow();
  });
});
