/** Generates the OpenAPI 3.1 document from the endpoint table, so the two never drift. */
import { z } from 'zod';
import { Api, endpointPathTemplate } from './api.js';
import { ErrorStatus } from './errors.js';

type Json = Record<string, unknown>;
type Io = 'input' | 'output';

const DEFS_REF = '#/$defs/';
const COMPONENTS_REF = '#/components/schemas/';

/**
 * The named schemas (those with `.meta({ id })`) of every endpoint, moved to
 * `components.schemas`. zod gives each schema its own `$defs` with `#/$defs/…` refs, which in an
 * OpenAPI document resolve from the document's root, not the schema's: so they are hoisted.
 * A schema reads differently as a request (input: fields with defaults are optional) and as an
 * answer (output: they are present); the input form is named `…Input` only where it differs,
 * itself or through a schema it refers to.
 */
class Components {
  private readonly raw: Record<Io, Map<string, string>> = { input: new Map(), output: new Map() };
  private differing?: Set<string>;

  /** Pass 1: the endpoint schema as JSON Schema, its $defs remembered; `finish` rewrites its refs. */
  add(s: z.ZodType, io: Io): { io: Io; json: Json } {
    const { $schema: _, $defs, ...json } = z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json & { $defs?: Record<string, Json> };
    for (const [id, def] of Object.entries($defs ?? {})) this.raw[io].set(id, JSON.stringify(def));
    return { io, json };
  }

  /** The component name of a named schema as read in `io`. */
  name(io: Io, id: string): string {
    return io === 'input' && this.inputDiffers().has(id) ? `${id}Input` : id;
  }

  /** `json` with every `#/$defs/X` ref pointing at its component. */
  rewrite(io: Io, json: unknown): unknown {
    if (Array.isArray(json)) return json.map((v) => this.rewrite(io, v));
    if (json === null || typeof json !== 'object') return json;
    return Object.fromEntries(
      Object.entries(json).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith(DEFS_REF) ? COMPONENTS_REF + this.name(io, v.slice(DEFS_REF.length)) : this.rewrite(io, v)]),
    );
  }

  /** Every component, both readings. */
  schemas(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const io of ['output', 'input'] as const) for (const [id, def] of this.raw[io]) out[this.name(io, id)] = this.rewrite(io, JSON.parse(def));
    return out;
  }

  /** Ids whose input reading differs from their output reading, directly or through a ref (a fixpoint). */
  private inputDiffers(): Set<string> {
    if (this.differing) return this.differing;
    const differing = new Set<string>();
    const refs = (def: string) => [...def.matchAll(/"#\/\$defs\/([^"]+)"/g)].map((m) => m[1]!);
    for (let changed = true; changed; ) {
      changed = false;
      for (const [id, def] of this.raw.input) {
        if (differing.has(id)) continue;
        const output = this.raw.output.get(id);
        if (output !== undefined && (output !== def || refs(def).some((r) => differing.has(r)))) {
          differing.add(id);
          changed = true;
        }
      }
    }
    return (this.differing = differing);
  }
}

/** The OpenAPI document for every endpoint, with error codes and their statuses. */
export function openApiDocument(serverUrl?: string): Json {
  const components = new Components();
  const endpoints = Object.entries(Api).map(([name, e]) => ({ name, e, request: components.add(e.request, 'input'), response: components.add(e.response, 'output') }));
  const all = components.schemas();
  const paths: Record<string, Json> = {};
  for (const { name, e, request, response } of endpoints) {
    const full = endpointPathTemplate(e);
    const params: Json[] = [...full.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const op: Json = {
      operationId: name,
      summary: e.summary,
      parameters: params,
      responses: {
        200: { description: 'OK', content: { 'application/json': { schema: components.rewrite('output', response.json) } } },
        default: { description: 'An error: see ErrorCode', content: { 'application/json': { schema: { $ref: `${COMPONENTS_REF}ErrorBody` } } } },
      },
    };
    const requestSchema = components.rewrite('input', request.json) as Json;
    if (e.method === 'POST') {
      op.requestBody = { required: true, content: { 'application/json': { schema: requestSchema } } };
    } else {
      // A GET's request fields are query parameters (a named request schema is read from its component).
      const ref = requestSchema.$ref;
      const q = (typeof ref === 'string' ? all[ref.slice(COMPONENTS_REF.length)] : requestSchema) as { properties?: Record<string, Json>; required?: string[] };
      for (const [p, s] of Object.entries(q.properties ?? {})) params.push({ name: p, in: 'query', required: q.required?.includes(p) ?? false, schema: s });
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
        ...all,
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
