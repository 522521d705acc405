/**
 * `TestWorkflowEnvironment`: a real local Keel service started in-process for tests,
 * as `@temporalio/testing` has it, with a client and a worker connection to it.
 */
import { Client } from '../client/client.js';
import { NativeConnection } from '../worker/connection.js';
import type { DataConverter } from '../common/index.js';
import { startLocalService, type LocalService, type LocalServiceOptions } from './local-service.js';

export interface LocalTestWorkflowEnvironmentOptions {
  /** Default 'default'. */
  namespace?: string;
  /** Options of the local service (port, data directory, bindings). */
  server?: LocalServiceOptions;
  client?: { dataConverter?: DataConverter };
}

/**
 * @example
 * import { TestWorkflowEnvironment } from 'keel/testing';
 * import { Worker } from 'keel/worker';
 *
 * let env: TestWorkflowEnvironment;
 * beforeAll(async () => { env = await TestWorkflowEnvironment.createLocal(); });
 * afterAll(() => env?.teardown());
 *
 * it('says hello', async () => {
 *   const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'test', workflowsPath, activities });
 *   const result = await worker.runUntil(env.client.workflow.execute('hello', { taskQueue: 'test', workflowId: 'w1', args: ['Keel'] }));
 *   expect(result).toBe('Hello, Keel!');
 * });
 */
export class TestWorkflowEnvironment {
  private constructor(
    readonly service: LocalService,
    readonly client: Client,
    readonly nativeConnection: NativeConnection,
    readonly namespace: string,
  ) {}

  /** Starts a local Keel service (in memory unless `server.dataDir` is set) on a free port. */
  static async createLocal(options: LocalTestWorkflowEnvironmentOptions = {}): Promise<TestWorkflowEnvironment> {
    const service = await startLocalService(options.server);
    try {
      const namespace = options.namespace ?? 'default';
      const nativeConnection = await NativeConnection.connect({ address: service.address });
      const client = new Client({ connection: nativeConnection, namespace, ...(options.client?.dataConverter ? { dataConverter: options.client.dataConverter } : {}) });
      return new TestWorkflowEnvironment(service, client, nativeConnection, namespace);
    } catch (err) {
      await service.stop();
      throw err;
    }
  }

  /** `ip:port` of the service. */
  get address(): string {
    return this.service.address;
  }

  /** Closes the connections and stops the service. */
  async teardown(): Promise<void> {
    await this.nativeConnection.close();
    await this.service.stop();
  }
}
