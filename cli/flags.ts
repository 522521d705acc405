// Owns the flags that commands share, without loading anything heavy: the connection and
// output flags of every command that talks to a service, and the collector of repeatable flags.
import { Option, type Command } from 'commander';
import { OUTPUT_FORMATS, type OutputFormat } from './output.js';

/** Commander's collector for repeatable flags: each use adds one value. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The values of {@link addClientOptions}' flags, as commander hands them to an action. */
export interface ClientFlags {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: boolean;
  header?: string[];
  output: OutputFormat;
  commandTimeout?: string;
}

/**
 * Adds the connection and output flags to a command. Each reads its environment variable when
 * the flag is not given (`KEEL_ADDRESS`, `KEEL_NAMESPACE`, `KEEL_API_KEY`), as Temporal's CLI
 * reads `TEMPORAL_ADDRESS` and friends.
 */
export function addClientOptions(command: Command): Command {
  return command
    .addOption(new Option('--address <host:port>', 'the Keel service: host:port, or an http(s):// URL').env('KEEL_ADDRESS').default('127.0.0.1:7233'))
    .addOption(new Option('-n, --namespace <namespace>', 'the namespace').env('KEEL_NAMESPACE').default('default'))
    .addOption(new Option('--api-key <key>', 'API key, sent as a bearer token').env('KEEL_API_KEY'))
    .addOption(new Option('--tls', 'use https for an address given as host:port'))
    .addOption(new Option('--header <key=value>', 'an HTTP header for every request, e.g. a Cloudflare Access service token (repeatable)').argParser(collect))
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('text'))
    .addOption(new Option('--command-timeout <duration>', 'give up after this long, e.g. 30s (default: no limit)'));
}
