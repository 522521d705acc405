// Owns the AES-GCM payload codec: end-to-end encryption of payloads with WebCrypto, so the
// service only ever holds ciphertext (design: Security). Runs wherever `globalThis.crypto.subtle`
// exists (Node ≥ 20, Workers, browsers); it is looked up at call time, not at import.
import type { Payload as WirePayload } from '../../protocol/index.js';
import { decodeUtf8, encodeUtf8, payloadFromWire, payloadToWire, type Payload } from './encoding.js';
import { IllegalStateError, ValueError } from './errors.js';
import { encodingTypes, METADATA_ENCODING_KEY } from './payload-converter.js';
import type { PayloadCodec } from './payload-codec.js';

/** A WebCrypto key, typed from the global `crypto` so that no DOM or `node:*` types are needed. */
export type WebCryptoKey = Awaited<ReturnType<typeof globalThis.crypto.subtle.importKey>>;

/** The metadata key naming the key that encrypted a payload (the name Temporal's samples use). */
export const METADATA_ENCRYPTION_KEY_ID = 'encryption-key-id';

const IV_BYTES = 12;

/** Options of {@link AesGcmPayloadCodec.create}. */
export interface AesGcmPayloadCodecOptions {
  /** The id written beside each payload this codec encrypts; it selects the key on decode. */
  keyId: string;
  /** The key that encrypts: 16, 24 or 32 raw bytes (AES-128/192/256), or an AES-GCM `CryptoKey`. */
  key: Uint8Array | WebCryptoKey;
  /**
   * Older keys that may still be needed to decrypt, by key id: how keys are rotated. The current
   * `key` is always used for its own `keyId`.
   */
  decryptionKeys?: Record<string, Uint8Array | WebCryptoKey>;
}

function subtle(): NonNullable<typeof globalThis.crypto>['subtle'] {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new IllegalStateError('AesGcmPayloadCodec needs WebCrypto (globalThis.crypto.subtle), which this runtime lacks');
  return s;
}

async function importKey(keyId: string, key: Uint8Array | WebCryptoKey): Promise<WebCryptoKey> {
  // isView rather than instanceof: a key made in another realm is still bytes.
  if (!ArrayBuffer.isView(key)) return key as WebCryptoKey;
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new ValueError(`AES key '${keyId}' must be 16, 24 or 32 bytes long, got ${key.length}`);
  }
  return subtle().importKey('raw', new Uint8Array(key), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/**
 * Encrypts every payload with AES-GCM. The whole original payload (metadata and data) is
 * serialised as the JSON of its wire form (base64 values; the plaintext Keel has always written,
 * so data encrypted before stays readable) and encrypted under a fresh random 12-byte IV; the
 * result is `{ metadata: { encoding: 'binary/encrypted', 'encryption-key-id': keyId }, data: iv ‖ ciphertext }`. The key id is bound to the ciphertext as additional
 * authenticated data, so swapping it makes decryption fail. Decoding leaves payloads of other
 * encodings as they are.
 *
 * @example
 * const codec = await AesGcmPayloadCodec.create({ keyId: 'k1', key: myThirtyTwoBytes });
 * const client = new Client({ dataConverter: { payloadCodecs: [codec] } });
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private constructor(
    /** The id of the key that encrypts. */
    public readonly keyId: string,
    private readonly keys: ReadonlyMap<string, WebCryptoKey>,
  ) {}

  /** Imports the keys and makes the codec. */
  public static async create(options: AesGcmPayloadCodecOptions): Promise<AesGcmPayloadCodec> {
    const { keyId, key, decryptionKeys = {} } = options;
    if (typeof keyId !== 'string' || keyId === '') throw new ValueError('AesGcmPayloadCodec needs a non-empty keyId');
    const keys = new Map<string, WebCryptoKey>();
    for (const [id, k] of Object.entries(decryptionKeys)) keys.set(id, await importKey(id, k));
    keys.set(keyId, await importKey(keyId, key));
    return new AesGcmPayloadCodec(keyId, keys);
  }

  /** Makes a random 32-byte key for AES-256. */
  public static generateKey(): Uint8Array {
    return globalThis.crypto.getRandomValues(new Uint8Array(32));
  }

  /** @inheritDoc */
  public async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.keyId)!;
    const aad = encodeUtf8(this.keyId);
    return Promise.all(
      payloads.map(async (payload) => {
        const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
        const plaintext = encodeUtf8(JSON.stringify(payloadToWire(payload)));
        const ciphertext = new Uint8Array(
          await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, plaintext),
        );
        const data = new Uint8Array(IV_BYTES + ciphertext.length);
        data.set(iv, 0);
        data.set(ciphertext, IV_BYTES);
        return {
          metadata: {
            [METADATA_ENCODING_KEY]: encodeUtf8(encodingTypes.METADATA_ENCODING_ENCRYPTED),
            [METADATA_ENCRYPTION_KEY_ID]: encodeUtf8(this.keyId),
          },
          data,
        };
      }),
    );
  }

  /**
   * @inheritDoc
   * @throws {ValueError} for an encrypted payload whose key id this codec does not know, or that
   * fails authentication (wrong key, tampered data).
   */
  public async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        if (decodeUtf8(payload.metadata?.[METADATA_ENCODING_KEY]) !== encodingTypes.METADATA_ENCODING_ENCRYPTED) return payload;
        const rawKeyId = payload.metadata?.[METADATA_ENCRYPTION_KEY_ID];
        if (rawKeyId == null) {
          throw new ValueError(`Encrypted payload has no '${METADATA_ENCRYPTION_KEY_ID}' metadata; cannot choose a key`);
        }
        const keyId = decodeUtf8(rawKeyId);
        const key = this.keys.get(keyId);
        if (key === undefined) {
          throw new ValueError(
            `Payload was encrypted with key id '${keyId}', which this codec does not have (it has: ${[...this.keys.keys()].join(', ')}); add it to decryptionKeys`,
          );
        }
        const data = payload.data ?? new Uint8Array();
        if (data.length < IV_BYTES + 16) throw new ValueError('Encrypted payload is too short to hold an IV and a tag');
        let plaintext: ArrayBuffer;
        try {
          plaintext = await subtle().decrypt(
            { name: 'AES-GCM', iv: data.subarray(0, IV_BYTES), additionalData: encodeUtf8(keyId) },
            key,
            data.subarray(IV_BYTES),
          );
        } catch (err) {
          throw new ValueError(`Could not decrypt payload with key '${keyId}': the key is wrong or the data was altered`, err);
        }
        return payloadFromWire(JSON.parse(decodeUtf8(new Uint8Array(plaintext))) as WirePayload);
      }),
    );
  }
}
