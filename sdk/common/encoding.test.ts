import { describe, expect, it } from 'vitest';
import { base64ToUtf8, decodeBase64, decodeUtf8, encodeBase64, encodeUtf8, utf8ToBase64 } from './encoding.js';
import { ValueError } from './errors.js';

describe('base64', () => {
  it('encodes like RFC 4648 test vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, b64] of vectors) {
      expect(encodeBase64(encodeUtf8(plain))).toBe(b64);
      expect(decodeUtf8(decodeBase64(b64))).toBe(plain);
    }
  });

  it('round-trips every byte value and large inputs', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(decodeBase64(encodeBase64(all))).toEqual(all);
    const big = Uint8Array.from({ length: 200_003 }, (_, i) => (i * 31) & 0xff);
    const encoded = encodeBase64(big);
    expect(encoded).toBe(Buffer.from(big).toString('base64'));
    // Compare as Buffers: a deep toEqual over 200k elements is needlessly slow.
    expect(Buffer.from(decodeBase64(encoded)).equals(Buffer.from(big))).toBe(true);
  });

  it('decodes input without padding', () => {
    expect(decodeUtf8(decodeBase64('Zm9vYg'))).toBe('foob');
  });

  it('rejects characters outside the alphabet and impossible lengths', () => {
    expect(() => decodeBase64('Zm9v!')).toThrow(ValueError);
    expect(() => decodeBase64('Zm9v-_')).toThrow(/unexpected character/);
    expect(() => decodeBase64('Z')).toThrow(/length/);
    expect(() => decodeBase64('Zg===')).toThrow(ValueError);
  });
});

describe('utf8', () => {
  it('round-trips non-ASCII text', () => {
    const text = 'héllo wörld — 你好 🌍';
    expect(decodeUtf8(encodeUtf8(text))).toBe(text);
    expect(base64ToUtf8(utf8ToBase64(text))).toBe(text);
  });

  it('writes metadata values as base64 of UTF-8', () => {
    expect(utf8ToBase64('json/plain')).toBe('anNvbi9wbGFpbg==');
  });

  it('writes the same base64 for ASCII text (read from its characters) as for its UTF-8 bytes, at every length and position of a non-ASCII character', () => {
    const ascii = '{"a":"x y","n":[1,2,3],"t":"\\u0000\\t~\x7f"}' + String.fromCharCode(...Array.from({ length: 128 }, (_, i) => i));
    for (let len = 0; len <= ascii.length; len++) {
      const text = ascii.slice(0, len);
      expect(utf8ToBase64(text)).toBe(Buffer.from(text, 'utf8').toString('base64'));
      for (const at of [0, len - 2, len - 1, len].filter((i) => i >= 0)) {
        const mixed = text.slice(0, at) + 'é' + text.slice(at);
        expect(utf8ToBase64(mixed)).toBe(Buffer.from(mixed, 'utf8').toString('base64'));
      }
    }
  });
});
