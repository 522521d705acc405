/**
 * `NativeConnection`: Temporal's name for the worker's link to the service. In Keel it
 * is the same HTTP connection the client uses, so a client can share it.
 */
import { Connection, type ConnectionOptions } from '../client/connection.js';

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
}
