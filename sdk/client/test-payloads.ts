// Test-only: payloads as the wire carries them, and a codec that visibly wraps them, for the
// client's unit tests; not exported.
import type { Payload } from '../../protocol/index.js';
import { decodeUtf8, encodeUtf8, type Payload as BytesPayload, type PayloadCodec } from '../common/index.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

/** The `json/plain` payload the default converter makes of `value`. */
export function jsonPayload(value: unknown): Payload {
  return { metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(value)) };
}

/** The value of a `json/plain` payload. */
export function jsonValue(payload: Payload): unknown {
  return JSON.parse(unb64(payload.data));
}

/** The encoding named in a payload's metadata. */
export function encodingOf(payload: Payload): string | undefined {
  const raw = payload.metadata.encoding;
  return raw === undefined ? undefined : unb64(raw);
}

/**
 * A codec that base64-wraps a payload's data once more and marks it `binary/wrapped`, keeping the
 * inner encoding in metadata; decode undoes it and leaves unmarked payloads alone. It sees
 * payloads as codecs do, in bytes.
 */
export class WrapCodec implements PayloadCodec {
  public encoded = 0;
  public decoded = 0;

  async encode(payloads: BytesPayload[]): Promise<BytesPayload[]> {
    this.encoded += payloads.length;
    return payloads.map((p) => ({
      metadata: { encoding: encodeUtf8('binary/wrapped'), inner: p.metadata?.encoding ?? new Uint8Array() },
      data: encodeUtf8(Buffer.from(p.data ?? new Uint8Array()).toString('base64')),
    }));
  }

  async decode(payloads: BytesPayload[]): Promise<BytesPayload[]> {
    return payloads.map((p) => {
      if (decodeUtf8(p.metadata?.encoding) !== 'binary/wrapped') return p;
      this.decoded++;
      return { metadata: { encoding: p.metadata?.inner ?? new Uint8Array() }, data: new Uint8Array(Buffer.from(decodeUtf8(p.data), 'base64')) };
    });
  }
}

/** What {@link WrapCodec} makes of `jsonPayload(value)`. */
export function wrappedJsonPayload(value: unknown): Payload {
  const inner = jsonPayload(value);
  return { metadata: { encoding: b64('binary/wrapped'), inner: inner.metadata.encoding! }, data: b64(inner.data) };
}
