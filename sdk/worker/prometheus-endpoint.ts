// Owns the HTTP endpoint Runtime.install starts for `telemetryOptions.metrics.prometheus`:
// node:http on `bindAddress` ('host:port'), answering GET /metrics with the registry's text.
import { createServer, type Server } from 'node:http';
import type { MetricRegistry } from '../../protocol/metric-registry.js';

export interface PrometheusEndpoint {
  /** The address it listens on (the port resolved when 0 was asked). */
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

/** Splits 'host:port' ('[::1]:9464' for IPv6); throws a TypeError that says what to write. */
export function parseBindAddress(bindAddress: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(bindAddress);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new TypeError(`telemetryOptions.metrics.prometheus.bindAddress '${bindAddress}' is not host:port (e.g. '0.0.0.0:9464')`);
  return { host: m[1] ?? m[2]!, port };
}

export function startPrometheusEndpoint(registry: MetricRegistry, bindAddress: string): Promise<PrometheusEndpoint> {
  const { host, port } = parseBindAddress(bindAddress);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Metrics are at GET /metrics\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(registry.render());
  });
  // Scrapes must not keep a process alive that has nothing else to do.
  server.unref();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address();
      resolve({
        address: { host, port: typeof a === 'object' && a ? a.port : port },
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}
