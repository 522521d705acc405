// keel/envconfig with Temporal's rules: the file's profile, TEMPORAL_* over it, KEEL_* over both.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clientConfigToToml, loadClientConfig, loadClientConfigFromToml, loadClientConfigProfile, loadClientConnectConfig } from 'keel/envconfig';

const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-envconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'temporal.toml');
writeFileSync(
  file,
  `
[profile.default]
address = "localhost:7233"
namespace = "default"

[profile.prod]
address = "keel.example.com:443"
namespace = "orders"
api_key = "k-prod"
[profile.prod.grpc_meta]
my_header = "v1"

[profile.mtls]
address = "x:7233"
[profile.mtls.tls]
client_cert_path = "/tmp/cert.pem"
client_key_path = "/tmp/key.pem"
`,
);

describe('loadClientConnectConfig', () => {
  it('reads the default profile of $TEMPORAL_CONFIG_FILE', () => {
    expect(loadClientConnectConfig({ overrideEnvVars: { TEMPORAL_CONFIG_FILE: file } })).toEqual({
      namespace: 'default',
      connectionOptions: { address: 'localhost:7233' },
    });
  });

  it('takes $TEMPORAL_PROFILE, turns TLS on for an API key, and normalises metadata keys', () => {
    expect(loadClientConnectConfig({ overrideEnvVars: { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' } })).toEqual({
      namespace: 'orders',
      connectionOptions: { address: 'keel.example.com:443', apiKey: 'k-prod', tls: true, metadata: { 'my-header': 'v1' } },
    });
  });

  it('applies TEMPORAL_* variables over the file, and KEEL_* over both', () => {
    const env = { TEMPORAL_CONFIG_FILE: file, TEMPORAL_ADDRESS: 't:1', TEMPORAL_NAMESPACE: 'tns', KEEL_NAMESPACE: 'kns', TEMPORAL_TLS: 'false', TEMPORAL_GRPC_META_X_TEAM: 'blue' };
    expect(loadClientConnectConfig({ overrideEnvVars: env })).toEqual({
      namespace: 'kns',
      connectionOptions: { address: 't:1', tls: false, metadata: { 'x-team': 'blue' } },
    });
    expect(loadClientConnectConfig({ overrideEnvVars: { KEEL_ADDRESS: 'https://keel.example.workers.dev', KEEL_API_KEY: 'k' }, disableFile: true })).toEqual({
      connectionOptions: { address: 'https://keel.example.workers.dev', apiKey: 'k', tls: true },
    });
  });

  it('works with no file at all, and fails on a named profile that is missing', () => {
    const missing = path.join(dir, 'nope.toml');
    expect(loadClientConnectConfig({ overrideEnvVars: { TEMPORAL_CONFIG_FILE: missing } })).toEqual({ connectionOptions: {} });
    expect(() => loadClientConnectConfig({ profile: 'staging', configSource: { path: file } })).toThrow("Profile 'staging' not found in config data");
    expect(() => loadClientConnectConfig({ disableEnv: true, disableFile: true })).toThrow(/Cannot disable both/);
  });

  it('refuses client certificates, which Keel cannot use, naming them', () => {
    expect(loadClientConfigProfile({ profile: 'mtls', configSource: { path: file }, disableEnv: true }).tls).toEqual({
      clientCert: { path: '/tmp/cert.pem' },
      clientKey: { path: '/tmp/key.pem' },
    });
    expect(() => loadClientConnectConfig({ profile: 'mtls', configSource: { path: file }, disableEnv: true })).toThrow(/clientCert, clientKey cannot be used with Keel/);
  });
});

describe('loadClientConfig', () => {
  it('lists every profile, round-trips through TOML, and refuses unknown keys when strict', () => {
    const config = loadClientConfig({ configSource: { path: file } });
    expect(Object.keys(config.profiles)).toEqual(['default', 'prod', 'mtls']);
    expect(loadClientConfigFromToml(clientConfigToToml(config), { strict: true })).toEqual(config);
    expect(() => loadClientConfig({ configSource: { data: '[profile.a]\nadress = "typo"' }, configFileStrict: true })).toThrow('key(s) unrecognized in profile.a: adress');
  });
});
