// Owns the SDK client a command talks to the service with, made from the shared flags.
import { hostname } from 'node:os';
import { Client, Connection } from '../sdk/client/index.js';
import type { ClientFlags } from './flags.js';
import { UsageError } from './errors.js';
import { parseDuration } from './values.js';

/** A client for the flags, and the command timeout as a deadline. */
export function connect(flags: ClientFlags) {
  const connection = Connection.lazy({
    address: flags.address,
    ...(flags.apiKey ? { apiKey: flags.apiKey } : {}),
    ...(flags.tls ? { tls: true } : {}),
    ...(flags.header?.length ? { metadata: parseHeaders(flags.header) } : {}),
    // A person is waiting: a service that is not there should be reported in a moment, not
    // after the SDK's ten attempts with back-off.
    retry: { maxAttempts: 3, initialIntervalMs: 100, maxIntervalMs: 500 },
  });
  const client = new Client({ connection, namespace: flags.namespace, identity: `keel-cli@${hostname()}` });
  const timeoutMs = flags.commandTimeout === undefined ? undefined : parseDuration(flags.commandTimeout, '--command-timeout');
  /** Runs `fn` within the command timeout, if one was given. */
  const withTimeout = <T>(fn: () => Promise<T>): Promise<T> => (timeoutMs === undefined ? fn() : client.withDeadline(Date.now() + timeoutMs, fn));
  return { client, connection, withTimeout };
}

/** `--header key=value` flags as headers (Temporal's `--grpc-meta`). */
function parseHeaders(pairs: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--header '${pair}' must be KEY=VALUE, e.g. --header CF-Access-Client-Id=abc.access`);
    headers[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return headers;
}
