// Protocol 7's upgrade through a real local service (miniflare, as `keel dev` runs it): a worker's
// WebSocket handshake for a shard's channel is answered 101 by the shard object, and one call goes
// over it; a web page on another site (its Origin) cannot open one, as it can send no other request.
// Raw HTTP and frames, so that the headers are exactly what is sent (the SDK's client is tested with the SDK).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardChannelPath } from 'keel/protocol';
import { startLocalService, type LocalService } from 'keel/testing';

let service: LocalService;
beforeAll(async () => {
  service = await startLocalService();
});
afterAll(async () => {
  await service?.stop();
});

/** An upgrade request for shard 0's channel: the socket on 101, else the answer. */
function upgrade(headers: Record<string, string>): Promise<{ status: number; socket?: Socket; body?: string }> {
  const url = new URL(shardChannelPath('default', 0), service.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64'), ...headers } });
    req.on('upgrade', (res, socket) => resolve({ status: res.statusCode!, socket }));
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** One masked text frame, as a client sends it (RFC 6455 §5.2; payloads under 64 KiB). */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const header = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([header, mask, payload.map((b, i) => b ^ mask[i % 4]!)]);
}

/** The first text frame the server sends (unmasked, under 64 KiB). */
function readTextFrame(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length < 2) return;
      const short = data[1]! & 0x7f;
      const [start, length] = short < 126 ? [2, short] : [4, data.readUInt16BE(2)];
      if (data.length < start + length) return;
      socket.off('data', onData);
      resolve(data.subarray(start, start + length).toString());
    };
    socket.on('data', onData);
  });
}

describe('a shard channel through a local service', () => {
  it('is opened by a WebSocket handshake and answers a call on it', async () => {
    const { status, socket } = await upgrade({ host: new URL(service.url).host });
    expect(status).toBe(101);
    const answer = readTextFrame(socket!);
    socket!.write(textFrame(JSON.stringify({ id: 1, call: 'batchTasks', request: { items: [] } })));
    expect(JSON.parse(await answer)).toMatchObject({ id: 1, error: { code: 'INVALID_ARGUMENT' } });
    socket!.destroy();
  });

  it('is refused to another site’s page (its Origin), and without the upgrade', async () => {
    const host = new URL(service.url).host;
    const crossSite = await upgrade({ host, origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body).toMatch(/other sites/);
    const plain = await new Promise<number>((resolve, reject) => http.get(new URL(shardChannelPath('default', 0), service.url), (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject));
    expect(plain).toBe(426);
  });
});
