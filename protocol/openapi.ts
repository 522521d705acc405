/** Generates the OpenAPI 3.1 document from the endpoint table, so the two never drift. */
import { z } from 'zod';
import { Api } from './api.js';
import { ErrorStatus } from './errors.js';

type Json = Record<string, unknown>;

function schema(s: z.ZodType, io: 'input' | 'output'): Json {
  return z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
}

/** The OpenAPI document for every endpoint, with error codes and their statuses. */
export function openApiDocument(serverUrl?: string): Json {
  const paths: Record<string, Json> = {};
  for (const [name, e] of Object.entries(Api)) {
    const full = `/api/v1/namespaces/{namespace}${e.path}`;
    const params = [...full.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const op: Json = {
      operationId: name,
      summary: e.summary,
      parameters: params,
      responses: {
        200: { description: 'OK', content: { 'application/json': { schema: schema(e.response, 'output') } } },
        default: { description: 'An error: see ErrorCode', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } } },
      },
    };
    if (e.method === 'POST') {
      op.requestBody = { required: true, content: { 'application/json': { schema: schema(e.request, 'input') } } };
    } else {
      const q = schema(e.request, 'input') as { properties?: Record<string, Json> };
      for (const [p, s] of Object.entries(q.properties ?? {})) (params as Json[]).push({ name: p, in: 'query', required: false, schema: s });
    }
    paths[full] = { ...(paths[full] ?? {}), [e.method.toLowerCase()]: op };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Keel API', version: '1', description: 'Durable execution on Cloudflare Durable Objects. Every error answers with `{ error: { code, message, details } }`.' },
    servers: serverUrl ? [{ url: serverUrl }] : [],
    paths,
    components: {
      schemas: {
        ErrorBody: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string', enum: Object.keys(ErrorStatus) }, message: { type: 'string' }, details: { type: 'object' } },
            },
          },
        },
      },
      'x-error-statuses': ErrorStatus,
    },
  };
}
