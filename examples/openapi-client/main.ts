// A client generated from Keel's OpenAPI document (openapi-typescript's types, openapi-fetch's
// calls), with no Keel SDK: start a workflow and read its history. Every path, parameter, body
// and answer below is checked by TypeScript against the generated keel-api.d.ts:
//
//   keel dev                                                   # one terminal
//   node examples/openapi-client/generate.mjs                  # writes keel-api.d.ts from the running service
//   npx tsx examples/openapi-client/main.ts                    # starts a workflow, prints its history
import createClient from 'openapi-fetch';
import type { components, paths } from './keel-api';

type Payload = components['schemas']['PayloadInput'];
const encode = (value: unknown): Payload => ({ metadata: { encoding: btoa('json/plain') }, data: Buffer.from(JSON.stringify(value)).toString('base64') });

const address = process.env.KEEL_ADDRESS ?? '127.0.0.1:7233';
const keel = createClient<paths>({ baseUrl: address.includes('://') ? address : `http://${address}` });
const namespace = process.env.KEEL_NAMESPACE ?? 'default';
const workflowId = `openapi-client-${Date.now()}`;

const started = await keel.POST('/api/v1/namespaces/{namespace}/workflows', {
  params: { path: { namespace } },
  body: { workflowId, workflowType: 'greeting', taskQueue: 'openapi-client', input: [encode('OpenAPI')], requestId: `start-${workflowId}` },
});
if (started.error) throw new Error(`start: ${started.error.error.code}: ${started.error.error.message}`);
console.log(`started ${workflowId} run ${started.data.runId}`);

const history = await keel.GET('/api/v1/namespaces/{namespace}/workflows/{workflowId}/history', {
  params: { path: { namespace, workflowId }, query: { runId: started.data.runId, pageSize: 100 } },
});
if (history.error) throw new Error(`history: ${history.error.error.code}: ${history.error.error.message}`);
for (const event of history.data.events) console.log(`${event.eventId} ${event.eventType}`);
