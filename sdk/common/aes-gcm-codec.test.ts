import { describe, expect, it } from 'vitest';
import type { Payload } from '../../protocol/index.js';
import { Payload as PayloadSchema } from '../../protocol/index.js';
import { AesGcmPayloadCodec } from './aes-gcm-codec.js';
import { base64ToUtf8, decodeBase64, decodeUtf8, encodeUtf8, payloadFromWire, utf8ToBase64 } from './encoding.js';
import { ValueError } from './errors.js';
import { decodeWithCodecs, encodeWithCodecs } from './payload-codec.js';
import { defaultPayloadConverter as pc, encodingOf } from './payload-converter.js';

// Most cases run the codec as the SDK does, through the wire boundary (payloads in base64 in and
// out), so the shapes the service stores are what is checked.
const onWire = (codec: AesGcmPayloadCodec) => ({
  encode: (ps: Payload[]) => encodeWithCodecs([codec], ps),
  decode: (ps: Payload[]) => decodeWithCodecs([codec], ps),
});

const key = Uint8Array.from({ length: 32 }, (_, i) => i);
const secret = 'the-launch-code-is-0000';

describe('AesGcmPayloadCodec', () => {
  it('round-trips payloads, metadata included', async () => {
    const codec = onWire(await AesGcmPayloadCodec.create({ keyId: 'k1', key }));
    const original = [pc.toPayload({ secret }), pc.toPayload(undefined), pc.toPayload(new Uint8Array([1, 2, 3]))];
    const encrypted = await codec.encode(original);
    expect(await codec.decode(encrypted)).toEqual(original);
  });

  it('leaves no plaintext in the ciphertext', async () => {
    const codec = onWire(await AesGcmPayloadCodec.create({ keyId: 'k1', key }));
    const plain = pc.toPayload({ secret });
    const [encrypted] = await codec.encode([plain]);
    const bytes = decodeBase64(encrypted!.data);
    expect(Buffer.from(bytes).includes(Buffer.from(secret))).toBe(false);
    expect(JSON.stringify(encrypted)).not.toContain(secret);
    expect(JSON.stringify(encrypted)).not.toContain(plain.data);
    expect(JSON.stringify(encrypted)).not.toContain(utf8ToBase64('json/plain'));
  });

  it('marks the result binary/encrypted with its key id, in a shape the wire accepts', async () => {
    const codec = onWire(await AesGcmPayloadCodec.create({ keyId: 'key-2024', key }));
    const [encrypted] = await codec.encode([pc.toPayload(1)]);
    expect(Object.keys(encrypted!.metadata).sort()).toEqual(['encoding', 'encryption-key-id']);
    expect(encodingOf(encrypted!)).toBe('binary/encrypted');
    expect(base64ToUtf8(encrypted!.metadata['encryption-key-id']!)).toBe('key-2024');
    expect(PayloadSchema.parse(encrypted)).toEqual(encrypted);
  });

  it('uses a fresh IV for every payload', async () => {
    const codec = onWire(await AesGcmPayloadCodec.create({ keyId: 'k1', key }));
    const p = pc.toPayload('same');
    const [a, b] = await codec.encode([p, p]);
    expect(a!.data).not.toBe(b!.data);
    expect(decodeBase64(a!.data).subarray(0, 12)).not.toEqual(decodeBase64(b!.data).subarray(0, 12));
  });

  it('leaves payloads of other encodings alone on decode', async () => {
    const codec = onWire(await AesGcmPayloadCodec.create({ keyId: 'k1', key }));
    const plain = pc.toPayload({ a: 1 });
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('decodes with an older key after rotation', async () => {
    const oldKey = Uint8Array.from({ length: 16 }, () => 7);
    const before = onWire(await AesGcmPayloadCodec.create({ keyId: 'old', key: oldKey }));
    const [encrypted] = await before.encode([pc.toPayload('kept')]);
    const after = onWire(await AesGcmPayloadCodec.create({ keyId: 'new', key, decryptionKeys: { old: oldKey } }));
    expect(pc.fromPayload(((await after.decode([encrypted!])) as Payload[])[0]!)).toBe('kept');
    const [reEncrypted] = await after.encode([pc.toPayload('x')]);
    expect(base64ToUtf8(reEncrypted!.metadata['encryption-key-id']!)).toBe('new');
  });

  it('accepts a CryptoKey', async () => {
    const cryptoKey = await crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
    const codec = onWire(await AesGcmPayloadCodec.create({ keyId: 'ck', key: cryptoKey }));
    const p = pc.toPayload('via CryptoKey');
    expect(await codec.decode(await codec.encode([p]))).toEqual([p]);
  });

  it('throws a clear error for an unknown key id', async () => {
    const a = onWire(await AesGcmPayloadCodec.create({ keyId: 'a', key }));
    const b = onWire(await AesGcmPayloadCodec.create({ keyId: 'b', key }));
    const encrypted = await a.encode([pc.toPayload(1)]);
    await expect(b.decode(encrypted)).rejects.toThrow(ValueError);
    await expect(b.decode(encrypted)).rejects.toThrow(/key id 'a'.*does not have/);
  });

  it('fails authentication for a wrong key, tampered data, or a swapped key id', async () => {
    const codec = onWire(await AesGcmPayloadCodec.create({ keyId: 'k1', key }));
    const [encrypted] = await codec.encode([pc.toPayload({ secret })]);

    const wrong = onWire(await AesGcmPayloadCodec.create({ keyId: 'k1', key: new Uint8Array(32) }));
    await expect(wrong.decode([encrypted!])).rejects.toThrow(/key is wrong or the data was altered/);

    const bytes = decodeBase64(encrypted!.data);
    bytes[bytes.length - 1]! ^= 1;
    const tampered = { ...encrypted!, data: Buffer.from(bytes).toString('base64') };
    await expect(codec.decode([tampered])).rejects.toThrow(ValueError);

    const twoKeys = onWire(await AesGcmPayloadCodec.create({ keyId: 'k1', key, decryptionKeys: { k2: key } }));
    const swapped = { ...encrypted!, metadata: { ...encrypted!.metadata, 'encryption-key-id': utf8ToBase64('k2') } };
    await expect(twoKeys.decode([swapped])).rejects.toThrow(/altered/);
  });

  it('rejects keys of the wrong length and an empty key id', async () => {
    await expect(AesGcmPayloadCodec.create({ keyId: 'k', key: new Uint8Array(10) })).rejects.toThrow(/16, 24 or 32 bytes/);
    await expect(AesGcmPayloadCodec.create({ keyId: '', key })).rejects.toThrow(ValueError);
  });

  it('takes and gives Temporal’s payload shape, bytes, when called directly', async () => {
    const codec = await AesGcmPayloadCodec.create({ keyId: 'k1', key });
    const plain = payloadFromWire(pc.toPayload({ secret }));
    const [encrypted] = await codec.encode([plain]);
    expect(encrypted!.data).toBeInstanceOf(Uint8Array);
    expect(decodeUtf8(encrypted!.metadata!['encoding'])).toBe('binary/encrypted');
    expect(await codec.decode([encrypted!])).toEqual([plain]);
    expect(await codec.decode([{ metadata: { encoding: encodeUtf8('json/plain') }, data: encodeUtf8('1') }])).toEqual([
      { metadata: { encoding: encodeUtf8('json/plain') }, data: encodeUtf8('1') },
    ]);
  });

  it('generates 32-byte random keys', () => {
    const k1 = AesGcmPayloadCodec.generateKey();
    expect(k1).toHaveLength(32);
    expect(k1).not.toEqual(AesGcmPayloadCodec.generateKey());
  });
});
