// The client: starts the workflow and waits for its result.
// Run it against any Keel service: KEEL_ADDRESS=127.0.0.1:7233 npx tsx examples/hello/client.ts Keel
import { fileURLToPath } from 'node:url';
import { Client, Connection } from 'keel/client';
import { hello } from './workflows';

export async function runHello(address: string, name: string): Promise<string> {
  const client = new Client({ connection: await Connection.connect({ address }) });
  return client.workflow.execute(hello, { taskQueue: 'hello', workflowId: `hello-${Date.now()}`, args: [name] });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await runHello(process.env.KEEL_ADDRESS ?? '127.0.0.1:7233', process.argv[2] ?? 'world'));
}
