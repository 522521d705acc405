/**
 * `TestWorkflowEnvironment`: a real local Keel service started in-process for tests,
 * as `@temporalio/testing` has it, with a client and a worker connection to it; with
 * `createTimeSkipping()`, time jumps over the waits of the workflows a test awaits.
 */
import { Client } from '../client/client.js';
import { NativeConnection } from '../worker/connection.js';
import { KeelServiceError } from '../client/errors.js';
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
  /** Time skipped by {@link sleep} so far (time-skipping environments). */
  private skippedMs = 0;

  private constructor(
    readonly service: LocalService,
    readonly client: Client,
    readonly nativeConnection: NativeConnection,
    readonly namespace: string,
    /** Whether time skips (Temporal's): true for {@link createTimeSkipping}. */
    readonly supportsTimeSkipping: boolean,
  ) {}

  /** Starts a local Keel service (in memory unless `server.dataDir` is set) on a free port. */
  static async createLocal(options: LocalTestWorkflowEnvironmentOptions = {}): Promise<TestWorkflowEnvironment> {
    return TestWorkflowEnvironment.create(options, true, false);
  }

  /**
   * Starts a local Keel service whose time skips, as Temporal's time-skipping test server: while
   * the test awaits a workflow's result (`handle.result()`, `client.workflow.execute`) and nothing
   * in the run is being worked on — no workflow task, activity or child workflow — the run's time
   * jumps to its next timer or timeout, so a month-long `sleep` ends at once. {@link sleep} moves
   * the time of every running workflow forward. Time is kept per workflow (each moves on its own),
   * where Temporal's test server has one clock.
   *
   * @example
   * const env = await TestWorkflowEnvironment.createTimeSkipping();
   * const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'test', workflowsPath, activities });
   * // The workflow sleeps for 30 days; the test takes well under a second.
   * const result = await worker.runUntil(env.client.workflow.execute(subscription, { taskQueue: 'test', workflowId: 'sub-1', args: ['ada'] }));
   */
  static async createTimeSkipping(options: LocalTestWorkflowEnvironmentOptions = {}): Promise<TestWorkflowEnvironment> {
    return TestWorkflowEnvironment.create(options, 'auto', true);
  }

  private static async create(options: LocalTestWorkflowEnvironmentOptions, timeSkipping: true | 'auto', supportsTimeSkipping: boolean): Promise<TestWorkflowEnvironment> {
    const service = await startLocalService({ timeSkipping, ...options.server });
    try {
      const namespace = options.namespace ?? 'default';
      const nativeConnection = await NativeConnection.connect({ address: service.address });
      const client = new Client({ connection: nativeConnection, namespace, ...(options.client?.dataConverter ? { dataConverter: options.client.dataConverter } : {}) });
      return new TestWorkflowEnvironment(service, client, nativeConnection, namespace, supportsTimeSkipping);
    } catch (err) {
      await service.stop();
      throw err;
    }
  }

  /**
   * Temporal's `env.sleep`: in a time-skipping environment, moves the time of every running
   * workflow (as `client.workflow.list` shows them) forward by `duration`, firing what comes due,
   * and resolves at once; otherwise waits `duration` of real time.
   */
  sleep = async (duration: Duration): Promise<void> => {
    const ms = Math.round(msToNumber(duration));
    if (!this.supportsTimeSkipping) {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return;
    }
    this.skippedMs += ms;
    for await (const wf of this.client.workflow.list({ query: "ExecutionStatus = 'Running'" })) {
      try {
        await this.advanceTime(wf.workflowId, ms);
      } catch (err) {
        // Closed or gone since it was listed: nothing to move.
        if (!(err instanceof KeelServiceError && err.code === 'WORKFLOW_NOT_FOUND')) throw err;
      }
    }
  };

  /** Temporal's: the environment's time — the wall clock, plus what {@link sleep} skipped in a time-skipping environment. */
  async currentTimeMs(): Promise<number> {
    return Date.now() + this.skippedMs;
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
