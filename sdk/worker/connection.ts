/**
 * `NativeConnection`: Temporal's name for the worker's link to the service. In Keel it
 * is the same HTTP connection the client uses, so a client can share it. As Temporal's (whose
 * calls go through its Core), it counts its calls in the Runtime's metrics: temporal_request,
 * temporal_long_request and their failures and latencies (sdk/worker/request-metrics.ts).
 */
import type { EndpointName, RequestOf, ResponseOf } from '../../protocol/index.js';
import { Connection, type ConnectionOptions } from '../client/connection.js';
import type { CallOptions } from '../client/http-transport.js';
import { recordRequest } from './request-metrics.js';
import { Runtime } from './runtime.js';

/** Options of {@link NativeConnection.connect}, as the client's `ConnectionOptions`. */
export type NativeConnectionOptions = ConnectionOptions;

/**
 * @example
 * const connection = await NativeConnection.connect({ address: 'localhost:7233' });
 * const worker = await Worker.create({ connection, taskQueue: 'orders', workflowsPath, activities });
 */
export class NativeConnection extends Connection {
  static override async connect(options?: NativeConnectionOptions): Promise<NativeConnection> {
    return (await super.connect(options)) as NativeConnection;
  }

  public override call<E extends EndpointName>(endpoint: E, request: RequestOf<E>, options: CallOptions): Promise<ResponseOf<E>> {
    return recordRequest(Runtime.instance().metrics, endpoint, request, options, () => super.call(endpoint, request, options));
  }
}
