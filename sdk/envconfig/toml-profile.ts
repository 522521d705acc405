// Owns where a client profile's raw settings come from, with Temporal's rules: the TOML config
// file (an explicit source, else $TEMPORAL_CONFIG_FILE, else <user config dir>/temporalio/temporal.toml),
// the profile in it ($TEMPORAL_PROFILE, else 'default'), then the TEMPORAL_* environment variables
// over it — and Keel's own KEEL_* names over those.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify, type TomlTable } from 'smol-toml';

/** Where configuration data comes from: a file, or its contents. */
export type ConfigDataSource = { path: string } | { data: string | Uint8Array };

/** One profile as the TOML file spells it (snake_case, Temporal's keys). */
export interface TomlClientConfigProfile {
  address?: string;
  namespace?: string;
  api_key?: string;
  tls?: TomlClientConfigTLS;
  codec?: { endpoint?: string; auth?: string };
  grpc_meta?: Record<string, string>;
}

export interface TomlClientConfigTLS {
  disabled?: boolean;
  client_cert_path?: string;
  client_cert_data?: string;
  client_key_path?: string;
  client_key_data?: string;
  server_ca_cert_path?: string;
  server_ca_cert_data?: string;
  server_name?: string;
  disable_host_verification?: boolean;
}

export interface TomlClientConfig {
  profile: Record<string, TomlClientConfigProfile>;
}

type Env = Record<string, string | undefined>;

export const DEFAULT_PROFILE = 'default';

/** gRPC metadata keys are lower case with dashes (`TEMPORAL_GRPC_META_MY_KEY` → `my-key`). */
export function normalizeGrpcMetaKey(key: string): string {
  return key.toLowerCase().replaceAll('_', '-');
}

/** The text of `source`, else of the file the environment or the platform names; undefined if that file does not exist. */
export function readConfigText(source: ConfigDataSource | undefined, env: Env): string | undefined {
  if (source && 'data' in source) return typeof source.data === 'string' ? source.data : new TextDecoder().decode(source.data);
  const file = source?.path ?? env['KEEL_CONFIG_FILE'] ?? env['TEMPORAL_CONFIG_FILE'] ?? defaultConfigFilePath();
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    // No file is no configuration, as in Temporal; anything else (permissions, a directory) is an error.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Parses a config file; `strict` refuses keys Temporal does not know. */
export function parseTomlConfig(text: string, strict: boolean): TomlClientConfig {
  const parsed = parse(text);
  if (strict) checkKeys(parsed);
  const profile = (parsed['profile'] ?? {}) as Record<string, TomlClientConfigProfile>;
  return { profile };
}

export function stringifyTomlConfig(config: TomlClientConfig): string {
  return stringify(config as unknown as TomlTable);
}

const ALLOWED: Record<string, ReadonlySet<string>> = {
  profile: new Set(['address', 'namespace', 'api_key', 'tls', 'codec', 'grpc_meta']),
  tls: new Set(['disabled', 'client_cert_path', 'client_key_path', 'client_cert_data', 'client_key_data', 'server_ca_cert_path', 'server_ca_cert_data', 'server_name', 'disable_host_verification']),
  codec: new Set(['endpoint', 'auth']),
};

function checkKeys(parsed: TomlTable): void {
  const unknownTop = Object.keys(parsed).filter((k) => k !== 'profile');
  if (unknownTop.length) throw new Error(`Validation error: key(s) unrecognized: ${unknownTop.join(', ')}`);
  const profiles = parsed['profile'];
  if (profiles === undefined) return;
  if (!isTable(profiles)) throw new Error('Validation error: profile must be a table');
  for (const [name, profile] of Object.entries(profiles)) {
    if (!isTable(profile)) throw new Error(`Validation error: profile.${name} must be a table`);
    const unknown = Object.keys(profile).filter((k) => !ALLOWED['profile']!.has(k));
    if (unknown.length) throw new Error(`Validation error: key(s) unrecognized in profile.${name}: ${unknown.join(', ')}`);
    for (const part of ['tls', 'codec'] as const) {
      const table = profile[part];
      if (table === undefined) continue;
      if (!isTable(table)) throw new Error(`Validation error: profile.${name}.${part} must be a table`);
      const bad = Object.keys(table).filter((k) => !ALLOWED[part]!.has(k));
      if (bad.length) throw new Error(`Validation error: key(s) unrecognized in profile.${name}.${part}: ${bad.join(', ')}`);
    }
  }
}

const isTable = (v: unknown): v is TomlTable => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** The profile's settings: the file's profile, then the environment over it. */
export function loadTomlProfile(options: {
  profile?: string | undefined;
  configSource?: ConfigDataSource | undefined;
  disableFile?: boolean | undefined;
  disableEnv?: boolean | undefined;
  configFileStrict?: boolean | undefined;
  overrideEnvVars?: Env | undefined;
}): TomlClientConfigProfile {
  if (options.disableFile && options.disableEnv) throw new Error('Cannot disable both file and environment loading');
  const env: Env = options.overrideEnvVars ?? process.env;
  let profile: TomlClientConfigProfile = {};
  if (!options.disableFile) {
    const text = readConfigText(options.configSource, env);
    const config = text === undefined ? { profile: {} } : parseTomlConfig(text, options.configFileStrict ?? false);
    const name = options.profile ?? env['KEEL_PROFILE'] ?? env['TEMPORAL_PROFILE'];
    const found = config.profile[name ?? DEFAULT_PROFILE];
    // A profile asked for by name must exist; the default one may be missing.
    if (found === undefined && name) throw new Error(`Profile '${name}' not found in config data`);
    profile = structuredClone(found ?? {});
  }
  if (!options.disableEnv) applyEnv(profile, env);
  return profile;
}

/** TEMPORAL_* variables over the file's values, then KEEL_* over both (Keel's own names win). */
function applyEnv(profile: TomlClientConfigProfile, env: Env): void {
  const pick = (name: string) => env[`KEEL_${name}`] ?? env[`TEMPORAL_${name}`];
  profile.address = pick('ADDRESS') ?? profile.address;
  profile.namespace = pick('NAMESPACE') ?? profile.namespace;
  profile.api_key = pick('API_KEY') ?? profile.api_key;
  const tls = dropUndefined({
    // TEMPORAL_TLS=true turns TLS on, false turns it off (the Temporal CLI's and Go SDK's reading).
    disabled: pick('TLS') === undefined ? undefined : !toBool(pick('TLS')),
    client_cert_path: pick('TLS_CLIENT_CERT_PATH'),
    client_cert_data: pick('TLS_CLIENT_CERT_DATA'),
    client_key_path: pick('TLS_CLIENT_KEY_PATH'),
    client_key_data: pick('TLS_CLIENT_KEY_DATA'),
    server_ca_cert_path: pick('TLS_SERVER_CA_CERT_PATH'),
    server_ca_cert_data: pick('TLS_SERVER_CA_CERT_DATA'),
    server_name: pick('TLS_SERVER_NAME'),
    disable_host_verification: toBool(pick('TLS_DISABLE_HOST_VERIFICATION')),
  });
  if (profile.tls || Object.keys(tls).length) profile.tls = { ...profile.tls, ...tls };
  const codec = dropUndefined({ endpoint: pick('CODEC_ENDPOINT'), auth: pick('CODEC_AUTH') });
  if (profile.codec || Object.keys(codec).length) profile.codec = { ...profile.codec, ...codec };
  for (const prefix of ['TEMPORAL_GRPC_META_', 'KEEL_GRPC_META_']) {
    for (const [key, value] of Object.entries(env)) {
      if (!key.startsWith(prefix)) continue;
      const header = normalizeGrpcMetaKey(key.slice(prefix.length));
      profile.grpc_meta ??= {};
      // An empty value removes the header.
      if (!value) delete profile.grpc_meta[header];
      else profile.grpc_meta[header] = value;
    }
  }
}

function toBool(v: string | undefined): boolean | undefined {
  return v === undefined ? undefined : v === '1' || v === 'true';
}

export function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Temporal's default location: <user config dir>/temporalio/temporal.toml. */
function defaultConfigFilePath(): string {
  return path.join(userConfigDir(), 'temporalio', 'temporal.toml');
}

function userConfigDir(): string {
  switch (os.platform()) {
    case 'win32':
      if (!process.env['APPDATA']) throw new Error('%AppData% is not defined');
      return process.env['APPDATA'];
    case 'darwin':
      if (!process.env['HOME']) throw new Error('$HOME is not defined');
      return path.join(process.env['HOME'], 'Library', 'Application Support');
    default: {
      const xdg = process.env['XDG_CONFIG_HOME'];
      if (xdg) {
        if (!path.isAbsolute(xdg)) throw new Error('path in $XDG_CONFIG_HOME is relative');
        return xdg;
      }
      if (!process.env['HOME']) throw new Error('neither $XDG_CONFIG_HOME nor $HOME are defined');
      return path.join(process.env['HOME'], '.config');
    }
  }
}
