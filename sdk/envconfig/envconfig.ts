// Owns the public functions of keel/envconfig, with @temporalio/envconfig's names and shapes: a
// profile (file + environment) as a ClientConfigProfile, and that profile as the options of
// Keel's Connection.connect and Client.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from '../client/connection.js';
import {
  dropUndefined,
  loadTomlProfile,
  normalizeGrpcMetaKey,
  parseTomlConfig,
  readConfigText,
  stringifyTomlConfig,
  type ConfigDataSource,
  type TomlClientConfig,
  type TomlClientConfigProfile,
  type TomlClientConfigTLS,
} from './toml-profile.js';

export type { ConfigDataSource };

/** TLS settings of a profile. */
export interface ClientConfigTLS {
  disabled?: boolean;
  serverName?: string;
  clientCert?: ConfigDataSource;
  clientKey?: ConfigDataSource;
  serverCACert?: ConfigDataSource;
}

/** One profile of the config file, after the environment was applied. */
export interface ClientConfigProfile {
  address?: string;
  namespace?: string;
  apiKey?: string;
  tls?: ClientConfigTLS;
  grpcMeta?: Record<string, string>;
}

/** Every profile of a config file, by name. */
export interface ClientConfig {
  profiles: Record<string, ClientConfigProfile>;
}

/** What `Connection.connect` and `new Client` take: `connectionOptions` and `namespace`. */
export interface ClientConnectConfig {
  connectionOptions: ConnectionOptions;
  namespace?: string;
}

export interface LoadClientProfileOptions {
  /** The profile to load. Default: $KEEL_PROFILE, else $TEMPORAL_PROFILE, else 'default'. */
  profile?: string;
  /** The config file (or its contents) instead of the default location. */
  configSource?: ConfigDataSource;
  /** Do not read the file. */
  disableFile?: boolean;
  /** Do not read environment variables. */
  disableEnv?: boolean;
  /** Refuse keys the file format does not know. */
  configFileStrict?: boolean;
  /** The environment to read instead of `process.env`. */
  overrideEnvVars?: Record<string, string>;
}

export interface LoadClientConfigOptions {
  configSource?: ConfigDataSource;
  configFileStrict?: boolean;
  /** The environment used to find the file ($TEMPORAL_CONFIG_FILE, $KEEL_CONFIG_FILE). */
  overrideEnvVars?: Record<string, string>;
}

export interface ClientConfigFromTomlOptions {
  strict: boolean;
}

/**
 * The profile's connection settings as Keel's `Connection.connect` options and namespace.
 *
 * @example
 * import { Client, Connection } from 'keel/client';
 * import { loadClientConnectConfig } from 'keel/envconfig';
 * const config = loadClientConnectConfig();
 * const connection = await Connection.connect(config.connectionOptions);
 * const client = new Client({ connection, namespace: config.namespace });
 */
export function loadClientConnectConfig(options: LoadClientProfileOptions = {}): ClientConnectConfig {
  return toClientOptions(loadClientConfigProfile(options));
}

/** One profile: from the file, with the environment applied over it. */
export function loadClientConfigProfile(options: LoadClientProfileOptions = {}): ClientConfigProfile {
  return fromTomlProfile(loadTomlProfile(options));
}

/** Every profile of the config file (the environment only locates the file). */
export function loadClientConfig(options: LoadClientConfigOptions = {}): ClientConfig {
  const text = readConfigText(options.configSource, options.overrideEnvVars ?? process.env);
  return fromTomlConfig(text === undefined ? { profile: {} } : parseTomlConfig(text, options.configFileStrict ?? false));
}

/** Every profile of TOML text (as bytes). */
export function loadClientConfigFromToml(tomlData: Uint8Array, options: ClientConfigFromTomlOptions): ClientConfig {
  return fromTomlConfig(parseTomlConfig(new TextDecoder().decode(tomlData), options.strict));
}

/** A config as TOML text (as bytes), the file's format. */
export function clientConfigToToml(config: ClientConfig): Uint8Array {
  return new TextEncoder().encode(stringifyTomlConfig(toTomlConfig(config)));
}

/**
 * A profile as Keel's connection options. TLS is on when the profile turns it on or has an API
 * key (as in Temporal). Keel's service sits behind Cloudflare's TLS, so client certificates,
 * custom CAs and server name overrides cannot apply: a profile with them is refused, naming them.
 */
export function toClientOptions(profile: ClientConfigProfile): ClientConnectConfig {
  const tls = toTLSConfig(profile.tls) ?? (profile.apiKey !== undefined ? true : undefined);
  return dropUndefined({
    namespace: profile.namespace,
    connectionOptions: dropUndefined({ address: profile.address, apiKey: profile.apiKey, tls, metadata: profile.grpcMeta }),
  });
}

/** A profile's TLS settings as Keel's `tls` option: true, false, or undefined when unset. */
export function toTLSConfig(config?: ClientConfigTLS): boolean | undefined {
  if (config === undefined) return undefined;
  if (config.disabled === true) return false;
  const unsupported = (['clientCert', 'clientKey', 'serverCACert', 'serverName'] as const).filter((k) => config[k] !== undefined);
  if (unsupported.length) {
    throw new TypeError(
      `The profile's TLS settings ${unsupported.join(', ')} cannot be used with Keel: its service is reached over Cloudflare's TLS. ` +
        'Remove them (TLS stays on), or pass Connection.connect your own fetch for a custom CA.',
    );
  }
  return true;
}

/** The bytes of a data source: a file's, or the data given. */
export function loadConfigData(source?: ConfigDataSource): Uint8Array | undefined {
  if (!source) return undefined;
  if ('path' in source) return Uint8Array.from(readFileSync(source.path));
  return typeof source.data === 'string' ? new TextEncoder().encode(source.data) : source.data;
}

export function fromTomlProfile(toml: TomlClientConfigProfile): ClientConfigProfile {
  const grpcMeta = toml.grpc_meta && Object.fromEntries(Object.entries(toml.grpc_meta).map(([k, v]) => [normalizeGrpcMetaKey(k), v]));
  return dropUndefined({ address: toml.address, namespace: toml.namespace, apiKey: toml.api_key, tls: fromTomlTLS(toml.tls), grpcMeta });
}

export function toTomlProfile(profile: ClientConfigProfile): TomlClientConfigProfile {
  const grpc_meta = profile.grpcMeta && Object.fromEntries(Object.entries(profile.grpcMeta).map(([k, v]) => [normalizeGrpcMetaKey(k), v]));
  return dropUndefined({ address: profile.address, namespace: profile.namespace, api_key: profile.apiKey, tls: toTomlTLS(profile.tls), grpc_meta });
}

export function fromTomlConfig(config: TomlClientConfig): ClientConfig {
  return { profiles: Object.fromEntries(Object.entries(config.profile).map(([name, p]) => [name, fromTomlProfile(p)])) };
}

export function toTomlConfig(config: ClientConfig): TomlClientConfig {
  return { profile: Object.fromEntries(Object.entries(config.profiles).map(([name, p]) => [name, toTomlProfile(p)])) };
}

function fromTomlTLS(tls?: TomlClientConfigTLS): ClientConfigTLS | undefined {
  if (tls === undefined) return undefined;
  return dropUndefined({
    disabled: tls.disabled,
    serverName: tls.server_name,
    clientCert: dataSource(tls.client_cert_path, tls.client_cert_data, 'client_cert'),
    clientKey: dataSource(tls.client_key_path, tls.client_key_data, 'client_key'),
    serverCACert: dataSource(tls.server_ca_cert_path, tls.server_ca_cert_data, 'server_ca_cert'),
  });
}

function toTomlTLS(tls?: ClientConfigTLS): TomlClientConfigTLS | undefined {
  if (tls === undefined) return undefined;
  const split = (s?: ConfigDataSource) => (s === undefined ? {} : 'path' in s ? { path: s.path } : { data: typeof s.data === 'string' ? s.data : new TextDecoder().decode(s.data) });
  const [cert, key, ca] = [split(tls.clientCert), split(tls.clientKey), split(tls.serverCACert)];
  return dropUndefined({
    disabled: tls.disabled,
    server_name: tls.serverName,
    client_cert_path: cert.path,
    client_cert_data: cert.data,
    client_key_path: key.path,
    client_key_data: key.data,
    server_ca_cert_path: ca.path,
    server_ca_cert_data: ca.data,
  });
}

function dataSource(path: string | undefined, data: string | undefined, field: string): ConfigDataSource | undefined {
  if (path !== undefined && data !== undefined) throw new Error(`Cannot specify both ${field}_path and ${field}_data`);
  if (data !== undefined) return { data: new TextEncoder().encode(data) };
  return path !== undefined ? { path } : undefined;
}
