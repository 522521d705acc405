// keel/proto against protobuf encodings of Temporal's Payload and Payloads worked out from the
// schema (temporal/api/common/v1/message.proto: map<string, bytes> metadata = 1; bytes data = 2;
// repeated Payload payloads = 1) and the protobuf wire format, in the field order protobufjs writes.
import { describe, expect, it } from 'vitest';
import { temporal } from 'keel/proto';
import { encodeUtf8, payloadFromWire, utf8ToBase64 } from '../common/encoding.js';

const { Payload, Payloads } = temporal.api.common.v1;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));

// { metadata: { encoding: 'json/plain' }, data: '"hi"' }: one map entry (field 1: key 1, value 2), then data (field 2).
const JSON_HI = '0a16 0a08 656e636f64696e67 120a 6a736f6e2f706c61696e 1204 22686922';
// { metadata: { encoding: 'binary/null' } } and no data: data is not written.
const BINARY_NULL = '0a17 0a08 656e636f64696e67 120b 62696e6172792f6e756c6c';

describe('temporal.api.common.v1.Payload', () => {
  it('encodes a JSON payload to the bytes Temporal writes, from Temporal’s shape or the wire’s', () => {
    const wireShape = { metadata: { encoding: utf8ToBase64('json/plain') }, data: utf8ToBase64('"hi"') };
    const temporalShape = { metadata: { encoding: encodeUtf8('json/plain') }, data: encodeUtf8('"hi"') };
    expect(hex(Payload.encode(wireShape).finish())).toBe(JSON_HI.replace(/\s/g, ''));
    expect(hex(Payload.encode(temporalShape).finish())).toBe(JSON_HI.replace(/\s/g, ''));
    expect(hex(Payload.encode({ metadata: { encoding: encodeUtf8('binary/null') } }).finish())).toBe(BINARY_NULL.replace(/\s/g, ''));
  });

  it('decodes Temporal’s bytes to Uint8Arrays, skipping fields it does not know', () => {
    const decoded = Payload.decode(fromHex(JSON_HI));
    expect(decoded.data).toBeInstanceOf(Uint8Array);
    expect(decoded).toEqual({ metadata: { encoding: encodeUtf8('json/plain') }, data: encodeUtf8('"hi"') });
    // field 3 (a newer field, length-delimited) and field 9 (varint) are skipped
    expect(Payload.decode(fromHex(`${BINARY_NULL} 1a03 010203 4805`))).toEqual({ metadata: { encoding: encodeUtf8('binary/null') }, data: new Uint8Array() });
  });

  it('writes lengths of 128 bytes and more as multi-byte varints', () => {
    const data = new Uint8Array(300).map((_, i) => i % 256);
    const bytes = Payload.encode({ data }).finish();
    expect(hex(bytes.subarray(0, 3))).toBe('12ac02'); // field 2, length 300
    expect(Payload.decode(bytes).data).toEqual(data);
  });

  it('round-trips the delimited form and the object forms', () => {
    const p = Payload.create({ metadata: { encoding: encodeUtf8('json/plain'), 'encryption-key-id': encodeUtf8('k1') }, data: encodeUtf8('{"a":1}') });
    expect(Payload.decodeDelimited(Payload.encodeDelimited(p).finish())).toEqual(p);
    expect(Payload.fromObject(Payload.toObject(p))).toEqual(p);
    expect(Payload.toObject(p, { bytes: String })).toEqual({ metadata: { encoding: utf8ToBase64('json/plain'), 'encryption-key-id': utf8ToBase64('k1') }, data: utf8ToBase64('{"a":1}') });
    expect(Payload.toJSON(p)).toEqual(Payload.toObject(p, { bytes: String }));
    expect(Payload.fromObject(Payload.toJSON(p))).toEqual(p);
    expect(Payload.verify(p as unknown as Record<string, unknown>)).toBeNull();
    expect(Payload.verify({ data: 5 })).toBe('data: buffer expected');
  });

  it('runs an encryption codec written for Temporal: the whole payload is encrypted, then read back', async () => {
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const iv = new Uint8Array(12);
    const payload = payloadFromWire({ metadata: { encoding: utf8ToBase64('json/plain') }, data: utf8ToBase64('{"card":"4242"}') });
    const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, Payload.encode(payload).finish()));
    const encrypted = { metadata: { encoding: encodeUtf8('binary/encrypted') }, data: ciphertext };
    const plaintext = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, encrypted.data));
    expect(Payload.decode(plaintext)).toEqual(payload);
  });
});

describe('temporal.api.common.v1.Payloads', () => {
  it('encodes each payload as field 1, in order, and decodes them back', () => {
    const bytes = Payloads.encode({ payloads: [{ metadata: { encoding: encodeUtf8('json/plain') }, data: encodeUtf8('"hi"') }, { metadata: { encoding: encodeUtf8('binary/null') } }] }).finish();
    expect(hex(bytes)).toBe(`0a1e${JSON_HI}0a19${BINARY_NULL}`.replace(/\s/g, ''));
    expect(Payloads.decode(bytes).payloads.map((p) => p.metadata['encoding'])).toEqual([encodeUtf8('json/plain'), encodeUtf8('binary/null')]);
    expect(Payloads.decodeDelimited(Payloads.encodeDelimited(Payloads.decode(bytes)).finish())).toEqual(Payloads.decode(bytes));
  });
});
