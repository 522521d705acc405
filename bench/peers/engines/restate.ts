// Restate: its server binary from npm (@restatedev/restate-server) with its state on disk
// (RocksDB under --base-dir, the default fsync settings), and one service endpoint with the
// TypeScript SDK's defaults in its own Node process (restate-endpoint.ts). The driver calls
// the workflows through the HTTP ingress, which answers with the result.
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineFactory, SleepResult } from '../engine';
import { getJson, postJson, until } from '../http';
import { spawnReady, stopChild } from '../spawn';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** A port nobody listens on now (asked of the kernel). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function restateServerBinary(): string {
  const pkg = require.resolve('@restatedev/restate-server-linux-x64/package.json');
  return path.join(path.dirname(pkg), 'bin', 'restate-server');
}

export const startRestate: EngineFactory = async ({ stateDir }) => {
  const [ingress, admin, fabric] = [await freePort(), await freePort(), await freePort()];
  const version = (require('@restatedev/restate-server/package.json') as { version: string }).version;
  const server = await spawnReady('restate-server', restateServerBinary(), ['--no-logo', '--base-dir', stateDir, '--listen-mode', 'tcp', '--log-disable-ansi-codes', 'true'], {
    env: {
      ...process.env,
      // Only 127.0.0.1: no telemetry, and the ports this bench chose.
      DO_NOT_TRACK: '1',
      RESTATE_DISABLE_TELEMETRY: 'true',
      RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ingress}`,
      RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${admin}`,
      RESTATE_BIND_ADDRESS: `127.0.0.1:${fabric}`,
    },
    readyText: 'My Node ID is',
  });
  const endpointPort = await freePort();
  const endpoint = await spawnReady('restate endpoint', process.execPath, ['--import', 'tsx', path.join(here, '..', 'restate-endpoint.ts'), String(endpointPort)], { cwd: path.resolve(here, '..') });
  const adminUrl = `http://127.0.0.1:${admin}`;
  await until(() => getJson(`${adminUrl}/health`), 60_000, 'restate admin');
  await until(() => postJson(`${adminUrl}/deployments`, { uri: `http://127.0.0.1:${endpointPort}`, force: true }), 60_000, 'restate deployment registration');
  const base = `http://127.0.0.1:${ingress}`;
  await until(() => postJson(`${base}/w1/probe-${process.pid}/run`, 'x'), 60_000, 'restate ingress');
  return {
    label: `Restate ${version} (restate-server + one SDK endpoint, defaults)`,
    w1: (id, value) => postJson<string>(`${base}/w1/${id}/run`, value),
    w2: (id, steps) => postJson<number>(`${base}/w2/${id}/run`, steps),
    sleep: (id, ms) => postJson<SleepResult>(`${base}/sleep/${id}/run`, ms),
    async stop() {
      await stopChild(endpoint);
      await stopChild(server, 30_000);
    },
  };
};
