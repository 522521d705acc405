/**
 * `keel/envconfig`: client settings from the TOML config file and the environment, as
 * `@temporalio/envconfig` has them (TEMPORAL_* variables, and Keel's KEEL_* names over them).
 * @module
 */
export {
  loadClientConnectConfig,
  loadClientConfigProfile,
  loadClientConfig,
  loadClientConfigFromToml,
  clientConfigToToml,
  toClientOptions,
  toTLSConfig,
  fromTomlConfig,
  fromTomlProfile,
  toTomlConfig,
  toTomlProfile,
  loadConfigData,
  type ClientConfig,
  type ClientConfigProfile,
  type ClientConfigTLS,
  type ClientConnectConfig,
  type LoadClientConfigOptions,
  type LoadClientProfileOptions,
  type ClientConfigFromTomlOptions,
  type ConfigDataSource,
} from './envconfig.js';
