import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { Api } from './api.js';
import { openApiDocument } from './openapi.js';

type Doc = { paths: Record<string, Record<string, { operationId: string; requestBody?: unknown; parameters: Array<{ name: string; in: string }> }>> };

describe('openApiDocument', () => {
  it('documents every endpoint of the table with its request and response', () => {
    const doc = openApiDocument() as Doc;
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p));
    expect(ops.map((o) => o.operationId).sort()).toEqual(Object.keys(Api).sort());
    expect(doc.paths['/api/v1/namespaces/{namespace}/workflows']?.post?.requestBody).toBeDefined();
  });

  it('passes the OpenAPI 3.1 schema validator with no errors, every $ref resolving', async () => {
    const result = await new Validator().validate(openApiDocument('http://127.0.0.1:7233'));
    expect(result).toEqual({ valid: true });
  });

  it('lists a GET’s request fields as query parameters, also when its request schema is named', () => {
    const history = (openApiDocument() as Doc).paths['/api/v1/namespaces/{namespace}/workflows/{workflowId}/history']!.get!;
    expect(history.parameters.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(['runId', 'pageSize', 'nextPageToken', 'waitNewEvent', 'closeEventOnly']);
  });

  it('names the request reading of a schema apart only where it differs from the answer’s', () => {
    const { components } = openApiDocument() as { components: { schemas: Record<string, { required?: string[] }> } };
    // A payload's fields have defaults: optional in a request, always present in an answer.
    expect(components.schemas.PayloadInput?.required).toBeUndefined();
    expect(components.schemas.Payload?.required).toEqual(['metadata', 'data']);
    expect(components.schemas.WorkflowExecutionInput).toBeUndefined();
  });

  it('serialises to JSON', () => {
    expect(() => JSON.stringify(openApiDocument('http://127.0.0.1:7233'))).not.toThrow();
  });
});
