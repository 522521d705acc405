// Owns `Client`, the high-level entry point of `keel/client`: one connection, namespace, data
// converter and identity shared by its sub-clients (today `workflow`).
import { loadDataConverter, type DataConverter, type LoadedDataConverter } from '../common/index.js';
import { Connection, type ConnectionLike } from './connection.js';
import { BaseClient } from './base-client.js';
import { WorkflowClient, defaultIdentity, type QueryRejectCondition } from './workflow-client.js';
import { AsyncCompletionClient } from './async-completion-client.js';
import { ScheduleClient } from './schedule-client.js';
import type { ClientInterceptors } from './interceptors.js';

/** Options of {@link Client}, with Temporal's names plus Keel's `address`/`apiKey` shortcut. */
export interface ClientOptions {
  /**
   * The connection to the service. Default: one made lazily from {@link address} and
   * {@link apiKey}, i.e. `127.0.0.1:7233` without a key.
   */
  connection?: ConnectionLike;
  /** Keel: the service address, when no `connection` is given (see `ConnectionOptions.address`). */
  address?: string;
  /** Keel: the API key, when no `connection` is given. */
  apiKey?: string | (() => string);
  /** The namespace every call is in. @default 'default' */
  namespace?: string;
  /** Payload converter, failure converter and payload codecs (e.g. encryption). */
  dataConverter?: DataConverter;
  /** Who is calling, recorded in history. @default `${process.pid}@${os.hostname()}` */
  identity?: string;
  /** Options of `client.workflow` (Temporal's): `queryRejectCondition`. */
  workflow?: { queryRejectCondition?: QueryRejectCondition };
  /** Interceptors of the client's calls (Temporal's `ClientInterceptors`): `workflow`, the first outermost. */
  interceptors?: ClientInterceptors;
  /**
   * Plugins (Temporal's `ClientPlugin`): each one's `configureClient` gets the options, in order,
   * and returns them changed (e.g. with its interceptors added) before the client is made.
   */
  plugins?: ClientPlugin[];
}

/**
 * A plugin of the client (Temporal's `ClientPlugin`): one object that brings its own
 * configuration — interceptors, a data converter — to every client it is given to.
 *
 * @example
 * const tenant: ClientPlugin = {
 *   name: 'tenant',
 *   configureClient: (options) => ({ ...options, interceptors: { workflow: [...(options.interceptors?.workflow ?? []), tenantInterceptor] } }),
 * };
 * const client = new Client({ plugins: [tenant] });
 */
export interface ClientPlugin {
  /** The plugin's name, for diagnostics. */
  readonly name: string;
  /** Returns the client's options with this plugin's configuration applied. */
  configureClient?(options: Omit<ClientOptions, 'plugins'>): Omit<ClientOptions, 'plugins'>;
}

/** {@link ClientOptions} with defaults applied. */
export interface LoadedClientOptions {
  namespace: string;
  identity: string;
  dataConverter: DataConverter;
  loadedDataConverter: LoadedDataConverter;
}

/**
 * The client of Keel's service, as Temporal's `Client`: start workflows and act on them through
 * {@link workflow}. Clients are cheap; share one {@link Connection} between them.
 *
 * @example
 * import { Client, Connection } from 'keel/client';
 * import { order } from './workflows';
 *
 * const connection = await Connection.connect({ address: 'localhost:7233' });
 * const client = new Client({ connection, namespace: 'default' });
 * const result = await client.workflow.execute(order, {
 *   workflowId: 'order-42',
 *   taskQueue: 'orders',
 *   args: ['42'],
 * });
 */
export class Client extends BaseClient {
  public readonly options: LoadedClientOptions;
  /** Starts workflows and makes handles to them. */
  public readonly workflow: WorkflowClient;
  /** Completes, fails and heartbeats activities asynchronously (after `CompleteAsyncError`). */
  public readonly activity: AsyncCompletionClient;
  /** Creates, lists and acts on schedules (Temporal's `client.schedule`). */
  public readonly schedule: ScheduleClient;

  constructor(options: ClientOptions = {}) {
    options = applyClientPlugins(options);
    if (options.connection && (options.address !== undefined || options.apiKey !== undefined)) {
      throw new TypeError('Give either a connection or address/apiKey, not both: the connection already has its address and key');
    }
    super(options.connection ?? Connection.lazy({ address: options.address, apiKey: options.apiKey }));
    const dataConverter = options.dataConverter ?? {};
    this.options = {
      namespace: options.namespace ?? 'default',
      identity: options.identity ?? defaultIdentity(),
      dataConverter,
      loadedDataConverter: loadDataConverter(dataConverter),
    };
    this.workflow = new WorkflowClient({
      connection: this.connection,
      namespace: this.options.namespace,
      dataConverter: this.options.loadedDataConverter,
      identity: this.options.identity,
      ...(options.workflow?.queryRejectCondition ? { queryRejectCondition: options.workflow.queryRejectCondition } : {}),
      ...(options.interceptors?.workflow ? { interceptors: options.interceptors.workflow } : {}),
    });
    this.activity = new AsyncCompletionClient({
      connection: this.connection,
      namespace: this.options.namespace,
      dataConverter: this.options.loadedDataConverter,
      identity: this.options.identity,
    });
    this.schedule = new ScheduleClient({
      connection: this.connection,
      namespace: this.options.namespace,
      loadedDataConverter: this.options.loadedDataConverter,
      identity: this.options.identity,
      ...(options.interceptors?.schedule ? { interceptors: options.interceptors.schedule } : {}),
    });
  }
}

/** The options after every plugin's `configureClient`, in the order the plugins are given. */
function applyClientPlugins(options: ClientOptions): ClientOptions {
  const { plugins = [], ...rest } = options;
  let configured: Omit<ClientOptions, 'plugins'> = rest;
  for (const plugin of plugins) configured = plugin.configureClient?.(configured) ?? configured;
  return configured;
}
