/**
 * `TestWorkflowEnvironment`: a real local Keel service started in-process for tests,
 * as `@temporalio/testing` has it, with a client and a worker connection to it.
 */
import { Client } from '../client/client.js';
import { NativeConnection } from '../worker/connection.js';
import { msToNumber, type DataConverter, type Duration } from '../common/index.js';
import { startLocalService, type LocalService, type LocalServiceOptions } from './local-service.js';

export interface LocalTestWorkflowEnvironmentOptions {
  /** Default 'default'. */
  namespace?: string;
  /** Options of the local service (port, data directory, bindings); `timeSkipping` defaults to true here. */
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
    const service = await startLocalService({ timeSkipping: true, ...options.server });
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

  /**
   * Moves one workflow's clock forward by `duration` and fires at once whatever comes due:
   * timers, timeouts, retry back-off. The workflow sees the new time (`Date.now()`, event times).
   * Keel's time skipping is per workflow and explicit, unlike Temporal's time-skipping test
   * server, which moves one global clock whenever the test waits on a result.
   *
   * @returns the workflow's time after the move.
   * @throws {KeelServiceError} `FEATURE_DISABLED` when the service was started with
   * `server: { timeSkipping: false }`; `WORKFLOW_NOT_FOUND` for an unknown workflow.
   *
   * @example
   * const handle = await env.client.workflow.start(subscription, { taskQueue, workflowId: 'sub-1', args: ['ada'] });
   * await env.advanceTime('sub-1', '30 days'); // the 30-day sleep ends now
   */
  async advanceTime(workflowId: string, duration: Duration): Promise<Date> {
    const byMs = Math.round(msToNumber(duration));
    const { now } = await this.nativeConnection.call('advanceWorkflowTime', { byMs }, { namespace: this.namespace, params: { workflowId } });
    return new Date(now);
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
